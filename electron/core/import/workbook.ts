/**
 * Spreadsheets (.xlsx, .xls, .ods) → records of displayed text, with SheetJS (@e965/xlsx) in a worker thread
 * (workbook-worker.ts): bytes in, the chosen sheet's rows (each with its spreadsheet row number) and file-level
 * notes out. Rules (see
 * README.md "Spreadsheets"): cells as the program displays them (General-format integers exactly, so long ids keep
 * every digit); a formula's cached value, with a warning; a vertically merged cell's value repeated down its rows;
 * hidden rows left out, with a warning; the same byte and row limits as a CSV.
 */
import * as XLSX from '@e965/xlsx'
import type { Problem, SheetFormat } from '../../shared/sheet'
import { makeProblem } from '../../shared/problems'
import { autoMapping } from './mapping'
import type { ExtractedSheet } from './workbook-worker'
import { extractWorkbook } from './workbook-worker'

export type WorkbookFormat = Exclude<SheetFormat, 'csv'>

/** Most bytes the parts of a zipped workbook may unpack to (a zip bomb is refused before it is unpacked). */
export const WORKBOOK_MAX_UNPACKED = 400 * 1024 * 1024

const ZIP = [0x50, 0x4b, 0x03, 0x04]
const OLE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]
const startsWith = (b: Uint8Array, sig: number[]): boolean => sig.every((v, i) => b[i] === v)

interface ZipEntry {
  name: string
  size: number
}

/** The entries of a zip's central directory (names and unpacked sizes), or null when it has none readable. */
export function zipEntries(b: Uint8Array): ZipEntry[] | null {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const stop = Math.max(0, b.length - 22 - 0xffff)
  let eocd = -1
  for (let i = b.length - 22; i >= stop; i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i
      break
    }
  }
  if (eocd < 0) return null
  const count = dv.getUint16(eocd + 10, true)
  let at = dv.getUint32(eocd + 16, true)
  const out: ZipEntry[] = []
  const dec = new TextDecoder()
  for (let k = 0; k < count; k++) {
    if (at + 46 > b.length || dv.getUint32(at, true) !== 0x02014b50) return null
    const size = dv.getUint32(at + 24, true)
    const nameLen = dv.getUint16(at + 28, true)
    const skip = nameLen + dv.getUint16(at + 30, true) + dv.getUint16(at + 32, true)
    out.push({ name: dec.decode(b.subarray(at + 46, at + 46 + nameLen)), size: size === 0xffffffff ? Infinity : size })
    at += 46 + skip
  }
  return out
}

export type Sniffed = { format: WorkbookFormat } | { problem: Problem } | null

/**
 * What kind of workbook the bytes are, by content (never by the file name): null when they are not a zip or an
 * OLE compound file at all; a problem when they are one of those but not a spreadsheet, or would unpack too big.
 */
export function sniffWorkbook(bytes: Uint8Array): Sniffed {
  if (startsWith(bytes, ZIP)) {
    const entries = zipEntries(bytes)
    const notSheet = makeProblem('FILE', 'FILE_BINARY', { kind: 'a ZIP archive, not a spreadsheet', kindRu: 'ZIP-архив, а не таблица' })
    if (!entries) return { problem: notSheet }
    const total = entries.reduce((n, e) => n + e.size, 0)
    if (total > WORKBOOK_MAX_UNPACKED) return { problem: makeProblem('FILE', 'WORKBOOK_TOO_BIG_UNPACKED', { limit: `${WORKBOOK_MAX_UNPACKED / 1024 / 1024} MB` }) }
    const names = new Set(entries.map((e) => e.name))
    if (names.has('xl/workbook.xml') || names.has('xl/workbook.bin')) return { format: 'xlsx' }
    if (names.has('content.xml') && names.has('mimetype')) {
      // The mimetype is the first entry, stored uncompressed (OpenDocument's rule); writers that break the rule
      // are read the slow way.
      const ODS = 'application/vnd.oasis.opendocument.spreadsheet'
      let mime = new TextDecoder().decode(bytes.subarray(38, 38 + ODS.length))
      if (mime !== ODS) {
        try {
          const entry = XLSX.CFB.find(XLSX.CFB.read(bytes, { type: 'array' }), 'mimetype')
          mime = entry?.content ? new TextDecoder().decode(entry.content as Uint8Array) : ''
        } catch {
          mime = ''
        }
      }
      if (mime.startsWith(ODS)) return { format: 'ods' }
    }
    return { problem: notSheet }
  }
  if (startsWith(bytes, OLE)) {
    try {
      const cfb = XLSX.CFB.read(bytes, { type: 'array' })
      if (XLSX.CFB.find(cfb, 'Workbook') || XLSX.CFB.find(cfb, 'Book')) return { format: 'xls' }
    } catch {
      // not a readable compound file: fall through
    }
    return { problem: makeProblem('FILE', 'FILE_BINARY', { kind: 'an Office document that is not a spreadsheet', kindRu: 'документ Office, но не таблица' }) }
  }
  return null
}

export interface WorkbookRecord {
  fields: string[]
  /** Row number as the spreadsheet shows it (1-based). */
  row: number
}

export interface WorkbookRead {
  /** Visible sheets, in workbook order. */
  sheetNames: string[]
  sheetName: string
  records: WorkbookRecord[]
  /** File-level notes (formulas, merged cells, hidden rows, rounded numbers). */
  problems: Problem[]
}

const listOf = (xs: string[]): string => (xs.length > 5 ? `${xs.slice(0, 5).join(', ')} (+${xs.length - 5})` : xs.join(', '))

export interface ReadWorkbookOptions {
  sheet?: string
  maxRows: number
  signal?: AbortSignal
  /** Deadline of the worker that parses the file (default 120 s). */
  timeoutMs?: number
}

/**
 * Reads one sheet of a workbook (parsed in a worker: `extractWorkbook`): `sheet` by name, else the first visible
 * sheet whose header row names a chat field, else the first visible sheet with any cell. More than `maxRows` rows
 * below the header is a fatal problem; so is a file the reader cannot parse in time.
 */
export async function readWorkbook(bytes: Uint8Array, format: WorkbookFormat, opts: ReadWorkbookOptions): Promise<WorkbookRead | { problem: Problem }> {
  const got = await extractWorkbook(bytes, format, { sheetRows: opts.maxRows + 2, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.signal ? { signal: opts.signal } : {}) })
  if (!got.ok) return { problem: makeProblem('FILE', 'FILE_UNREADABLE', { reason: got.message }) }
  const visible = got.sheets.filter((x) => !x.hidden)
  const candidates = visible.length ? visible : got.sheets
  const header = (x: ExtractedSheet): string[] => x.rows.find((r) => r.cells.some((c) => c.trim()))?.cells ?? []
  const chosen =
    (opts.sheet !== undefined ? got.sheets.find((x) => x.name === opts.sheet) : undefined) ??
    candidates.find((x) => Object.keys(autoMapping(header(x))).length > 0) ??
    candidates.find((x) => header(x).length > 0) ??
    candidates[0]
  if (!chosen) return { problem: makeProblem('FILE', 'FILE_EMPTY') }
  if (chosen.totalRows > opts.maxRows + 1) return { problem: makeProblem('FILE', 'FILE_TOO_MANY_ROWS', { rows: chosen.totalRows, limit: opts.maxRows }) }
  const width = chosen.rows.reduce((n, r) => Math.max(n, r.cells.length), 0)
  const records = chosen.rows.map(({ r, cells }) => {
    while (cells.length < width) cells.push('')
    return { fields: cells, row: r + 1 }
  })
  const problems: Problem[] = []
  if (chosen.merges.length) problems.push(makeProblem('FILE', 'WORKBOOK_MERGED', { ranges: listOf(chosen.merges) }))
  if (chosen.formulas.length) problems.push(makeProblem('FILE', 'WORKBOOK_FORMULAS', { count: chosen.formulas.length, cells: listOf(chosen.formulas) }))
  if (chosen.rounded.length) problems.push(makeProblem('FILE', 'WORKBOOK_ROUNDED', { cells: listOf(chosen.rounded) }))
  if (chosen.hiddenRows.length) problems.push(makeProblem('FILE', 'WORKBOOK_HIDDEN_ROWS', { rows: listOf(chosen.hiddenRows.map(String)) }))
  return { sheetNames: candidates.map((x) => x.name), sheetName: chosen.name, records, problems }
}
