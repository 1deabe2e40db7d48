/**
 * Results export (issue item 9): the sheet's original columns plus status, chat_id, chat_link, error_code and
 * error_message. Cells that a spreadsheet would execute (starting with = + - @ or a full-width twin, also behind
 * white space or invisible characters, or with tab or CR) are neutralised with a leading apostrophe.
 */
import { chatLink } from '../../shared/chat'
import type { StoredJob } from './store'

export const RESULT_COLUMNS = ['status', 'chat_id', 'chat_link', 'error_code', 'error_message'] as const

/**
 * What a spreadsheet may skip before it looks for a formula: white space (including no-break and ideographic
 * spaces, tab, CR, LF), zero-width and other invisible format characters, bidi marks, the BOM and the soft hyphen.
 */
const INVISIBLE_PREFIX = /^(?:[\s\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufeff\uffa0]|\u034f|\u17b4|\u17b5)*/
/** Characters that start a formula, in ASCII and in their full-width and small-form variants (＝＋－＠ ﹦﹢﹣﹫). */
const FORMULA_START = /^[=+\-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b]/

/**
 * Prefixes formula-looking text with ' so spreadsheets show it instead of running it: a cell that starts with
 * = + - @ (or a full-width twin), also behind leading white space or invisible characters, or with tab or CR.
 */
export function neutralise(cell: string): string {
  if (/^[\t\r]/.test(cell)) return `'${cell}`
  return FORMULA_START.test(cell.replace(INVISIBLE_PREFIX, '')) ? `'${cell}` : cell
}

function quote(cell: string): string {
  return /[",\r\n]|^\s|\s$/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell
}

export function csvLine(cells: string[]): string {
  return cells.map((c) => quote(neutralise(c))).join(',')
}

/**
 * The job's results as CSV text (UTF-8 with a BOM so spreadsheet programs pick the encoding, CRLF line ends).
 * `portal` gives chat links; without it (a draft never synced) the link column stays empty.
 */
export function exportResultsCsv(job: StoredJob, opts: { portal?: string; bom?: boolean } = {}): string {
  const portal = opts.portal ?? job.state.portal
  const headers = job.record.headers
  const lines = [csvLine([...headers, ...RESULT_COLUMNS.map((c) => (headers.includes(c) ? `result_${c}` : c))])]
  for (const r of job.record.rows) {
    const s = job.row(r.key)
    const chatId = s.chatId !== undefined ? String(s.chatId) : ''
    const link = s.chatId !== undefined && portal ? chatLink(portal, s.chatId) : ''
    lines.push(csvLine([...headers.map((h) => r.cells[h] ?? ''), s.state, chatId, link, s.errorCode ?? '', s.errorMessage ?? '']))
  }
  return `${opts.bom === false ? '' : '\ufeff'}${lines.join('\r\n')}\r\n`
}
