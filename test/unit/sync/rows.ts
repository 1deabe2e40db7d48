import type { ChatParams } from '../../../electron/shared/chat'
import type { SheetRow } from '../../../electron/shared/sheet'

/** A minimal imported row for engine tests. */
export function row(i: number, params: ChatParams = {}, extra: Partial<SheetRow> = {}): SheetRow {
  const title = params.TITLE ?? `Chat ${i}`
  return {
    key: `k${i}`,
    line: i + 1,
    cells: { Title: title, Note: extra.cells?.Note ?? '' },
    status: 'ready',
    params: { TITLE: title, ...params },
    emails: [],
    titlePreview: title,
    titleGenerated: false,
    colorAuto: true,
    problems: [],
    ...extra,
  }
}

export const rows = (n: number, from = 0): SheetRow[] => Array.from({ length: n }, (_, i) => row(from + i))
