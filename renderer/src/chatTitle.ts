/**
 * How the preview words a chat's title, in the UI language (pure).
 *
 * The core's `titlePreview` of a generated title is English ("Red Chat #…", "Chat #… (colour picked by the portal,
 * round-robin)", or "Chat with …" when the portal has chat colours off). The renderer words generated titles itself
 * from `color` / `colorAuto`; a title the sheet or form gives is shown verbatim.
 */
import { COLORS } from '../../electron/shared/chat'
import type { SheetRow } from '../../electron/shared/sheet'
import type { Translate } from './format'
import type { Lang } from './i18n'

export type TitleSource = Pick<SheetRow, 'titlePreview' | 'titleGenerated' | 'color' | 'colorAuto'>

/** The core's auto-title when the portal has chat colours off (electron/core/import/rows.ts). */
const COLOURS_OFF = /^Chat with ([\s\S]+)$/
const COLOURS_OFF_EMPTY = 'Chat'

/** The title the preview shows: verbatim when given, else the generated one in words of the current language. */
export function titleText(row: TitleSource, t: Translate, lang: Lang): string {
  if (!row.titleGenerated) return row.titlePreview
  const off = COLOURS_OFF.exec(row.titlePreview)
  if (off) return t('autoTitle.withMembers', { names: off[1] })
  if (row.titlePreview === COLOURS_OFF_EMPTY) return t('autoTitle.plain')
  if (row.colorAuto || !row.color || !(row.color in COLORS)) return t('autoTitle.auto')
  return t('autoTitle.color', { color: COLORS[row.color][lang] })
}
