/**
 * Bulk fixes as lists of cell edits (pure): set a value, add members, put relative avatar paths in a folder, find
 * and replace. Each returns only the edits that change something; the backend applies a list in one pass
 * (`sheets.editCells`) and the sheet store keeps the undo/redo history of these lists.
 */
import type { CellEditInput } from '../../electron/shared/ipc'
import type { SheetRow } from '../../electron/shared/sheet'

type Rowish = Pick<SheetRow, 'key' | 'cells'>

/** The current text of `column` (a header) in a row ('' when the row has no such cell). */
export const cellOf = (row: Rowish, column: string): string => row.cells[column] ?? ''

/** `column` set to `value` in every row where it differs. */
export function setValueEdits(rows: readonly Rowish[], column: string, value: string): CellEditInput[] {
  const out: CellEditInput[] = []
  for (const r of rows) if (cellOf(r, column) !== value) out.push({ rowKey: r.key, column, value })
  return out
}

const TOKEN_SEP = /[\s,;]+/

/** Members `add` (ids or e-mails, any separators) appended to the USERS cell of every row that lacks one of them. */
export function addMembersEdits(rows: readonly Rowish[], column: string, add: string): CellEditInput[] {
  const wanted = add.split(TOKEN_SEP).filter(Boolean)
  if (!wanted.length) return []
  const out: CellEditInput[] = []
  for (const r of rows) {
    const current = cellOf(r, column)
    const have = new Set(current.split(TOKEN_SEP).filter(Boolean).map((t) => t.toLowerCase()))
    const missing = wanted.filter((t) => !have.has(t.toLowerCase()))
    if (missing.length) out.push({ rowKey: r.key, column, value: current.trim() ? `${current.trim()}, ${missing.join(', ')}` : missing.join(', ') })
  }
  return out
}

/** A path that is already absolute, a URL or inline data: left as it is by the avatar-folder fix. */
const isAnchored = (p: string): boolean => /^([a-z][a-z0-9+.-]*:|[\\/]|[a-z]:[\\/])/i.test(p) || /^[A-Za-z0-9+/=\s]{200,}$/.test(p)

/** Every relative avatar path put under `folder` ("avatars/a.png" → "<folder>/avatars/a.png"). */
export function avatarFolderEdits(rows: readonly Rowish[], column: string, folder: string): CellEditInput[] {
  const base = folder.trim().replace(/[\\/]+$/, '')
  if (!base) return []
  const sep = base.includes('\\') && !base.includes('/') ? '\\' : '/'
  const out: CellEditInput[] = []
  for (const r of rows) {
    const p = cellOf(r, column).trim()
    if (!p || isAnchored(p)) continue
    out.push({ rowKey: r.key, column, value: `${base}${sep}${p.replace(/^\.[\\/]/, '')}` })
  }
  return out
}

export interface FindReplace {
  find: string
  replace: string
  /** Headers to search; all of them when empty. */
  columns: readonly string[]
  matchCase: boolean
  /** Only cells whose whole text is `find`. */
  wholeCell: boolean
}

/** Every occurrence of `find` replaced in the chosen columns. */
export function findReplaceEdits(rows: readonly Rowish[], headers: readonly string[], q: FindReplace): CellEditInput[] {
  if (!q.find) return []
  const columns = q.columns.length ? q.columns : headers
  const escaped = q.find.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const re = new RegExp(q.wholeCell ? `^${escaped}$` : escaped, q.matchCase ? 'g' : 'gi')
  const out: CellEditInput[] = []
  for (const r of rows) {
    for (const column of columns) {
      const v = cellOf(r, column)
      if (!v) continue
      re.lastIndex = 0
      if (!re.test(v)) continue
      re.lastIndex = 0
      const next = v.replace(re, () => q.replace)
      if (next !== v) out.push({ rowKey: r.key, column, value: next })
    }
  }
  return out
}

/** One entry of the undo history: the edits as applied and the values they replaced. */
export interface EditBatch {
  edits: { rowKey: string; column: string; before: string; after: string }[]
}

export interface EditHistory {
  done: readonly EditBatch[]
  undone: readonly EditBatch[]
}

export const emptyHistory = (): EditHistory => ({ done: [], undone: [] })

/** Most batches kept for undo. */
export const HISTORY_MAX = 100

/** A new batch was applied: it can be undone; what was undone can no longer be redone. */
export function pushBatch(h: EditHistory, batch: EditBatch): EditHistory {
  return { done: [...h.done, batch].slice(-HISTORY_MAX), undone: [] }
}

/** The edits that undo the last batch, and the history once they are applied; null when there is nothing to undo. */
export function undoStep(h: EditHistory): { edits: CellEditInput[]; next: EditHistory } | null {
  const batch = h.done[h.done.length - 1]
  if (!batch) return null
  // Backwards, so a cell edited twice in one batch ends at its first value.
  const edits = [...batch.edits].reverse().map((e) => ({ rowKey: e.rowKey, column: e.column, value: e.before }))
  return { edits, next: { done: h.done.slice(0, -1), undone: [...h.undone, batch] } }
}

/** The edits that redo the last undone batch, and the history once they are applied. */
export function redoStep(h: EditHistory): { edits: CellEditInput[]; next: EditHistory } | null {
  const batch = h.undone[h.undone.length - 1]
  if (!batch) return null
  const edits = batch.edits.map((e) => ({ rowKey: e.rowKey, column: e.column, value: e.after }))
  return { edits, next: { done: [...h.done, batch], undone: h.undone.slice(0, -1) } }
}
