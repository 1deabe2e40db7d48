/**
 * Sheet import: bytes of a CSV/TSV export → rows with the exact im.chat.add params and their problems.
 * The public API of electron/core/import (see README.md).
 */
import { createHash } from 'node:crypto'
import { CHAT_FIELDS } from '../../shared/chat'
import type { ChatField } from '../../shared/chat'
import type { ComposeForm } from '../../shared/ipc'
import type { ColumnMapping, ImportOptions, Problem, SheetMeta, SheetRow, SheetSummary } from '../../shared/sheet'
import { SHEET_PAGE_MAX } from '../../shared/sheet'
import { INPUT_LIMITS } from '../../shared/limits'
import { makeProblem } from '../../shared/problems'
import { AppFailure } from '../../shared/result'
import type { AvatarResult } from './avatar'
import { DEFAULT_AVATAR_EDGE, formatSize, prepareAvatar, resolveAvatarCell } from './avatar'
import type { ImportContext } from './context'
import { decode, detectEncoding, firstInvalidUtf8, sniffBinary, utf8Validity } from './decode'
import { applyLive, liveCacheOf } from './live'
import type { MappingLookup, MappingMemory } from './mapping'
import { resolveMapping } from './mapping'
import { detectDelimiter, detectNewline, lineBreakOf, parseRecords, recordBreaks, yieldToLoop } from './parse'
import type { Newline } from './parse'
import type { FieldIndex } from './rows'
import { applyAvatar, avatarCellOf, buildRow, compilePlan, statusOf } from './rows'
import { Sheet } from './sheet'
import type { WorkbookRead } from './workbook'
import { readWorkbook, sniffWorkbook } from './workbook'

export { prepareAvatar } from './avatar'
export { Sheet, keyOf } from './sheet'
export { liveCheck } from './live'
export { MappingMemory, autoMapping, normalizeHeader } from './mapping'
export { templateCsv, TEMPLATE_FILE_NAME } from './template'
export { isReadable } from '../../shared/problems'
export { readSheetFile, readAvatarFile, sheetReadProblem } from './source'
export { INPUT_LIMITS } from '../../shared/limits'
export { sniffWorkbook } from './workbook'

/** Largest sheet file accepted (bytes): INPUT_LIMITS.sheetBytes. */
export const DEFAULT_MAX_BYTES = INPUT_LIMITS.sheetBytes
/** Most data rows a sheet may have (below its header row), CSV or workbook: INPUT_LIMITS.rows. */
export const DEFAULT_MAX_ROWS = INPUT_LIMITS.rows

export type ImportSheetOptions = ImportOptions & {
  mappingMemory?: MappingMemory
  readFile?: (path: string) => Promise<Uint8Array>
  onProgress?: (rowsDone: number) => void
  maxBytes?: number
  /** Most data rows a workbook's sheet may have (default DEFAULT_MAX_ROWS). */
  maxRows?: number
  /** How long the worker that parses a workbook may take (default 120 s). */
  workbookTimeoutMs?: number
  signal?: AbortSignal
  /** Characters parsed between two turns of the event loop (default 512 Ki). */
  chunkChars?: number
  /** Folder relative avatar paths resolve against instead of the sheet's folder (the one the user picked). */
  avatarFolder?: string
  /** More folders avatar files may come from, besides the sheet's folder and `avatarFolder` (the user allowed them). */
  avatarFolders?: readonly string[]
  /** Bounds on rows, columns and record length (default INPUT_LIMITS; tests use smaller ones). */
  limits?: Partial<Record<'rows' | 'columns' | 'recordChars', number>>
}

/** Stops the reading of a sheet that breaks a limit: the sheet keeps no rows and this one file-level problem. */
class StopReading extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message)
  }
}

const STRUCTURAL = new Set(['ROW_TOO_MANY_FIELDS', 'ROW_TOO_FEW_FIELDS', 'ROW_UNTERMINATED_QUOTE', 'ROW_MALFORMED_QUOTES'])

/**
 * Headers made usable as keys: trimmed, never empty, never repeated. Linear in the number of columns: the next
 * free suffix of each repeated name is remembered (searching it from 2 each time was quadratic: 200,000 columns
 * of one name kept `validate` busy for hours).
 */
export function uniqueHeaders(raw: string[], seen: Set<string> = new Set()): { headers: string[]; problems: Problem[] } {
  const problems: Problem[] = []
  const nextSuffix = new Map<string, number>()
  const headers = raw.map((h, i) => {
    let name = h.replace(/^\uFEFF/, '').trim()
    if (!name) {
      name = `Column ${i + 1}`
      problems.push(makeProblem('FILE', 'HEADER_EMPTY', { n: i + 1, name }))
    }
    if (seen.has(name) || name === '__proto__') {
      let k = nextSuffix.get(name) ?? 2
      while (seen.has(`${name} (${k})`)) k++
      nextSuffix.set(name, k + 1)
      const renamed = `${name} (${k})`
      problems.push(makeProblem('FILE', 'HEADER_DUPLICATE', { name, renamed }))
      name = renamed
    }
    seen.add(name)
    return name
  })
  return { headers, problems }
}

const isBlank = (fields: string[]): boolean => {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!
    if (f !== '' && f.trim() !== '') return false
  }
  return true
}

/**
 * Reads a sheet. Never throws for any input: what cannot be read becomes a file-level problem, what is wrong
 * with a row becomes a row problem. Yields to the event loop between chunks; `onProgress` gets the row count.
 * The rows are validated into a compact `Sheet`; `sheet.rowAt(i)` / `page` / `rows()` build them as objects.
 */
export async function importSheet(bytes: Uint8Array, source: { fileName: string; dir?: string }, opts: ImportSheetOptions = {}): Promise<Sheet> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES
  const meta: SheetMeta = {
    fileName: source.fileName, bytes: bytes.byteLength, encoding: 'utf-8', encodingDetected: 'utf-8', delimiter: ',', delimiterDetected: ',',
    headers: [], mapping: {}, mappingRemembered: false, contentHash: '',
  }
  if (source.dir !== undefined) meta.dir = source.dir
  const avatarBase = opts.avatarFolder ?? source.dir
  const avatarRoots = [...new Set([source.dir, opts.avatarFolder, ...(opts.avatarFolders ?? [])].filter((d): d is string => !!d))]
  const ctx: ImportContext = { maxEdge: opts.avatarMaxEdge ?? DEFAULT_AVATAR_EDGE, colorsEnabled: opts.colorsEnabled ?? true, avatars: new Map(), avatarRoots, outside: new Map(), noFolder: new Set() }
  if (avatarBase !== undefined) ctx.avatarBase = avatarBase
  if (opts.readFile) ctx.readFile = opts.readFile
  const sheet = new Sheet(meta, ctx)
  if (bytes.byteLength > maxBytes) {
    sheet.fileProblems.push(makeProblem('FILE', 'FILE_TOO_LARGE', { size: formatSize(bytes.byteLength), limit: formatSize(maxBytes) }))
    return sheet
  }
  // The sha256 of the bytes keys a job (resume, idempotency tags).
  meta.contentHash = createHash('sha256').update(bytes).digest('hex')
  await readInto(sheet, bytes, opts)
  return sheet
}

/** Everything after the size check and the hash: fills `sheet`; what cannot be read becomes a file-level problem. */
async function readInto(sheet: Sheet, bytes: Uint8Array, opts: ImportSheetOptions): Promise<void> {
  const meta = sheet.meta
  const ctx = sheet.ctx
  const fatal = (p: Problem): void => {
    sheet.fileProblems.push(p)
  }
  try {
    if (bytes.byteLength === 0) return fatal(makeProblem('FILE', 'FILE_EMPTY'))
    // A workbook is recognised by its content, whatever its name (an .xlsx renamed .csv is read as a workbook).
    const sniffed = sniffWorkbook(bytes)
    if (sniffed && 'problem' in sniffed) return fatal(sniffed.problem)
    let book: WorkbookRead | undefined
    let text = ''
    let newline: Newline = '\n'
    if (sniffed) {
      const read = await readWorkbook(bytes, sniffed.format, {
        ...(opts.sheet !== undefined ? { sheet: opts.sheet } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.workbookTimeoutMs ? { timeoutMs: opts.workbookTimeoutMs } : {}),
        maxRows: opts.maxRows ?? DEFAULT_MAX_ROWS,
      })
      if ('problem' in read) return fatal(read.problem)
      book = read
      meta.format = sniffed.format
      meta.sheetNames = read.sheetNames
      meta.sheetName = read.sheetName
      if (!/\.(xlsx|xlsm|xls|ods)$/i.test(meta.fileName)) sheet.fileProblems.push(makeProblem('FILE', 'FILE_IS_WORKBOOK', { format: sniffed.format }))
      sheet.fileProblems.push(...read.problems)
    } else {
      const binary = sniffBinary(bytes)
      if (binary) return fatal(makeProblem('FILE', 'FILE_BINARY', { kind: binary.en, kindRu: binary.ru }))
      const utf8 = utf8Validity(bytes)
      meta.encodingDetected = detectEncoding(bytes, utf8)
      meta.encoding = opts.encoding ?? meta.encodingDetected
      const decoded = decode(bytes, meta.encoding, utf8)
      text = decoded.text
      if (decoded.lossy) sheet.fileProblems.push(makeProblem('FILE', 'FILE_DECODE', { encoding: meta.encoding }))
      // Not UTF-8, so read with a guessed single-byte encoding: say so, and where the first byte that is not UTF-8 is.
      if (!opts.encoding && (meta.encoding === 'windows-1251' || meta.encoding === 'windows-1252')) {
        const bad = firstInvalidUtf8(bytes)
        if (bad) sheet.fileProblems.push(makeProblem('FILE', 'FILE_NOT_UTF8', { byte: bad.byte.toString(16).toUpperCase().padStart(2, '0'), line: bad.line, offset: bad.offset, encoding: meta.encoding }))
      }
      if (text.trim() === '') return fatal(makeProblem('FILE', 'FILE_EMPTY'))
      newline = detectNewline(text)
      meta.delimiterDetected = detectDelimiter(text, newline)
      meta.delimiter = opts.delimiter ?? meta.delimiterDetected
    }

    let headers: string[] | null = null
    let mapped: ChatField[] = []
    let plan = compilePlan({})
    let skippedBlank = 0
    let unterminatedLine = 0
    const pending: { index: number; cell: string }[] = []

    // The memory is read before parsing, so the header row can be set up synchronously when it arrives.
    let remembered: MappingLookup | undefined
    if (!opts.mapping && opts.mappingMemory) {
      try {
        remembered = await opts.mappingMemory.lookup()
      } catch {
        remembered = undefined
      }
    }
    const maxRows = opts.limits?.rows ?? INPUT_LIMITS.rows
    const maxColumns = opts.limits?.columns ?? INPUT_LIMITS.columns
    const maxChars = opts.limits?.recordChars ?? INPUT_LIMITS.recordChars
    const setupHeaders = (raw: string[]): string[] => {
      if (raw.length > maxColumns) throw new StopReading(makeProblem('FILE', 'FILE_TOO_MANY_COLUMNS', { count: raw.length, limit: maxColumns }))
      if (recordLength(raw) > maxChars) throw new StopReading(makeProblem('FILE', 'FILE_HEADER_TOO_LONG', { length: recordLength(raw), limit: maxChars }))
      const u = uniqueHeaders(raw)
      // One at a time: a spread of 200,000 header problems overflows the stack.
      for (const p of u.problems) sheet.fileProblems.push(p)
      meta.headers = u.headers
      let manual = opts.mapping
      if (!manual && remembered) {
        manual = remembered(u.headers)
        if (manual) meta.mappingRemembered = true
      }
      const m = resolveMapping(u.headers, manual)
      meta.mapping = m.mapping
      sheet.fileProblems.push(...m.problems)
      mapped = CHAT_FIELDS.filter((f) => m.index[f] !== undefined)
      plan = compilePlan(m.index)
      sheet.setColumns(u.headers, plan)
      return u.headers
    }

    /** One record: `row` is its number as a spreadsheet shows it (a CSV's physical lines: sheet.countFileLines). */
    const record = (all: string[], row: number, quoteError: 'unterminated' | 'malformed' | undefined): void => {
      let fields = all
      // Where an unterminated quote starts (it runs to the end of the file, so this is the last record).
      if (quoteError === 'unterminated') unterminatedLine = sheet.nextFileLine()
      if (headers === null) {
        if (!isBlank(fields)) headers = setupHeaders(fields)
        sheet.skipRecord(all)
        return
      }
      if (isBlank(fields)) {
        skippedBlank++
        sheet.skipRecord(all)
        return
      }
      if (sheet.length >= maxRows) throw new StopReading(makeProblem('FILE', 'FILE_TOO_MANY_ROWS', { limit: maxRows }))
      const h = headers
      let structural: Problem[] | null = null
      const length = recordLength(fields)
      if (length > maxChars) {
        // Not kept, not validated: only its problem (its cells could be tens of megabytes of member lists).
        sheet.add(h.map(() => ''), row, [makeProblem('ROW', 'ROW_TOO_LONG', { length, limit: maxChars })], all)
        return
      }
      // Cells beyond the column limit are dropped (the row is an error for having too many anyway).
      if (fields.length > maxColumns) fields = fields.slice(0, maxColumns)
      if (fields.length !== h.length) {
        if (fields.length > h.length) {
          let extra = false
          for (let i = h.length; i < fields.length; i++) if (fields[i]!.trim() !== '') extra = true
          if (extra) (structural ??= []).push(makeProblem('ROW', 'ROW_TOO_MANY_FIELDS', { count: all.length, headers: h.length }))
        } else {
          ;(structural ??= []).push(makeProblem('ROW', 'ROW_TOO_FEW_FIELDS', { count: fields.length, headers: h.length }))
        }
      }
      if (quoteError === 'unterminated') (structural ??= []).push(makeProblem('ROW', 'ROW_UNTERMINATED_QUOTE', { end: unterminatedLine + recordBreaks(all, lineBreakOf(newline)) }))
      else if (quoteError === 'malformed') (structural ??= []).push(makeProblem('ROW', 'ROW_MALFORMED_QUOTES'))
      const index = sheet.add(fields, row, structural, fields === all ? undefined : all)
      if (plan.avatar >= 0) {
        const cell = avatarCellOf(fields, plan)
        if (cell) pending.push({ index, cell })
      }
    }

    const chunkDone = async (): Promise<void> => {
      for (const { index, cell } of pending.splice(0)) {
        sheet.setAvatar(index, await resolveAvatar(cell, ctx, index, opts.signal))
        await yieldToLoop()
      }
      opts.onProgress?.(sheet.length)
    }
    if (book) {
      const records = book.records
      for (let i = 0; i < records.length; i++) {
        record(records[i]!.fields, records[i]!.row, undefined)
        if (i % 20_000 === 19_999) {
          opts.signal?.throwIfAborted()
          await chunkDone()
          await yieldToLoop()
        }
      }
      await chunkDone()
    } else {
      // Rows are numbered as a spreadsheet program shows the file: one row per record (blank ones too), whatever
      // line breaks quoted cells hold. The physical line stays with the row as `fileLine`.
      let ordinal = 0
      sheet.countFileLines(lineBreakOf(newline))
      await parseRecords(text, meta.delimiter, {
        record: (fields, quoteError) => record(fields, ++ordinal, quoteError),
        chunkDone,
      }, { signal: opts.signal, chunkChars: opts.chunkChars, newline })
    }
    meta.samples = sheet.samples(3)

    if (headers === null) return fatal(makeProblem('FILE', 'FILE_NO_HEADER'))
    if (skippedBlank) meta.skippedBlank = skippedBlank
    if (unterminatedLine) sheet.fileProblems.push(makeProblem('FILE', 'QUOTE_UNTERMINATED', { line: unterminatedLine }))
    if (!sheet.length) sheet.fileProblems.push(makeProblem('FILE', 'FILE_NO_ROWS'))
    if (!mapped.length) sheet.fileProblems.push(makeProblem('FILE', 'MAPPING_NONE'))
    sheet.applyCross()
    if (opts.mapping && opts.mappingMemory) {
      const full: ColumnMapping = {}
      for (const f of CHAT_FIELDS) full[f] = meta.mapping[f] ?? ''
      try {
        await opts.mappingMemory.remember(meta.headers, full)
      } catch {
        // Remembering is a convenience; a read-only data dir must not fail the import.
      }
    }
    return
  } catch (e) {
    if (opts.signal?.aborted) throw new AppFailure('CANCELLED', 'The import was cancelled.')
    sheet.clear()
    ctx.outside.clear()
    ctx.noFolder.clear()
    if (e instanceof StopReading) return fatal(e.problem)
    fatal(makeProblem('FILE', 'FILE_UNREADABLE', { reason: e instanceof Error ? e.message.slice(0, 200) : 'unknown error' }))
  }
}

/** Characters of a record: its cells and the delimiters between them. */
function recordLength(fields: readonly string[]): number {
  let n = fields.length - 1
  for (let i = 0; i < fields.length; i++) n += fields[i]!.length
  return n
}

/**
 * The prepared avatar of row `index`'s AVATAR cell; rows that name the same image share one preparation. Notes
 * the folder when the image is outside the folders avatars may come from.
 */
async function resolveAvatar(cell: string, ctx: ImportContext, index: number, signal?: AbortSignal): Promise<AvatarResult> {
  let p = ctx.avatars.get(cell)
  if (!p) {
    p = resolveAvatarCell(cell, { dir: ctx.avatarBase, roots: ctx.avatarRoots, readFile: ctx.readFile, maxEdge: ctx.maxEdge, signal })
    ctx.avatars.set(cell, p)
  }
  noteAvatar(ctx, index, await p)
  return p
}

/** Keeps track of row `index`'s avatar being outside the allowed folders, or relative without a folder. */
function noteAvatar(ctx: ImportContext, index: number, result: AvatarResult | null): void {
  if (result && 'folder' in result && result.folder) ctx.outside.set(index, result.folder)
  else ctx.outside.delete(index)
  if (result && 'problem' in result && result.problem.code === 'AVATAR_NO_FOLDER') ctx.noFolder.add(index)
  else ctx.noFolder.delete(index)
}

/**
 * Where a sheet's avatars stand: the folders outside the allowed ones its rows point to, with the number of rows
 * each (most first, at most `max`), and the rows whose relative path had no folder to resolve against.
 */
export function avatarSummary(sheet: Sheet, max = 100): { outside: { folder: string; rows: number }[]; unresolved: number } {
  const count = new Map<string, number>()
  for (const folder of sheet.ctx.outside.values()) count.set(folder, (count.get(folder) ?? 0) + 1)
  const outside = [...count].map(([folder, rows]) => ({ folder, rows })).sort((a, b) => b.rows - a.rows || a.folder.localeCompare(b.folder))
  return { outside: outside.slice(0, max), unresolved: sheet.ctx.noFolder.size }
}

/** The folders avatars of `sheet` may come from. */
export const avatarRootsOf = (sheet: Sheet): string[] => [...sheet.ctx.avatarRoots]

/** Field → its position in CHAT_FIELDS (cells rebuilt from a mapping are laid out that way). */
const FIELD_ORDER: FieldIndex = Object.fromEntries(CHAT_FIELDS.map((f, i) => [f, i]))

const FIELD_BY_NAME = new Map<string, ChatField>(CHAT_FIELDS.map((f) => [f.toLowerCase(), f]))

/** One cell edit: the row, the column (its header, or an API field name) and the new text. */
export interface CellEdit {
  rowKey: string
  column: string
  value: string
}

/** What a batch of edits changed: the rows to show anew (edited ones and those whose cross-row checks changed). */
export interface EditOutcome {
  /** Rows in sheet order; empty when `truncated` (more than `maxRows` changed: read the sheet again). */
  rows: SheetRow[]
  /** How many rows changed. */
  changed: number
  truncated: boolean
  summary: SheetSummary
}

/** Does `column` name a header of the sheet or an API field? (Checked for every edit before anything changes.) */
function knownColumn(meta: SheetMeta, column: string): boolean {
  return meta.headers.includes(column) || FIELD_BY_NAME.has(column.trim().toLowerCase())
}

/** The header a column name edits: a header as it is, else the column mapped to that API field (added if none). */
function headerFor(meta: SheetMeta, column: string): string {
  if (meta.headers.includes(column)) return column
  const field = FIELD_BY_NAME.get(column.trim().toLowerCase())!
  let header = meta.mapping[field]
  if (!header) {
    header = meta.headers.includes(field) ? `${field} (${meta.headers.length + 1})` : field
    meta.headers = [...meta.headers, header]
    meta.mapping = { ...meta.mapping, [field]: header }
  }
  return header
}

/**
 * Applies a batch of cell edits in one pass: every edit is checked first (a row key that is not in the sheet, or a
 * column that is neither a header nor an API field, refuses the whole batch), then each touched row is rebuilt once
 * with all its edits, its avatar resolved and what a live dry run learnt re-applied, and the cross-row checks and
 * the summary run once. An unmapped API field gets a new column named after it.
 */
export async function applyEdits(sheet: Sheet, edits: readonly CellEdit[], opts: { maxRows?: number } = {}): Promise<EditOutcome> {
  const meta = sheet.meta
  const byRow = new Map<number, { column: string; value: string }[]>()
  for (const e of edits) {
    const at = sheet.indexOfKey(e.rowKey)
    if (at === -1) throw new AppFailure('NOT_FOUND', 'That row is not in the sheet any more; import the file again.', { messageRu: 'Этой строки больше нет в листе; импортируйте файл снова.' })
    if (!knownColumn(meta, e.column)) throw new AppFailure('VALIDATION', `The sheet has no column "${e.column.slice(0, 100)}".`, { messageRu: `В таблице нет столбца «${e.column.slice(0, 100)}».`, field: e.column.slice(0, 100) })
    const list = byRow.get(at)
    if (list) list.push(e)
    else byRow.set(at, [{ column: e.column, value: e.value }])
  }
  const headerOf = new Map<string, string>()
  for (const list of byRow.values()) for (const e of list) if (!headerOf.has(e.column)) headerOf.set(e.column, headerFor(meta, e.column))
  // Rebuilt rows are laid out by field (CHAT_FIELDS order), whatever the file's column order was.
  const mapped = CHAT_FIELDS.filter((f) => meta.mapping[f])
  const plan = compilePlan(Object.fromEntries(mapped.map((f) => [f, FIELD_ORDER[f]])))
  const ctx = sheet.ctx
  const cache = liveCacheOf(sheet)
  // Every edited row is checked against the record limit before any row changes: a batch is applied whole or not at all.
  const edited = new Map<number, Record<string, string>>()
  for (const [at, list] of byRow) {
    const cells = { ...sheet.ownRow(at).cells }
    for (const e of list) cells[headerOf.get(e.column)!] = e.value
    const length = recordLength(Object.values(cells))
    if (length > INPUT_LIMITS.recordChars) {
      const limit = INPUT_LIMITS.recordChars
      throw new AppFailure('VALIDATION', `With this value the row would be ${length} characters long; the limit is ${limit}.`, {
        messageRu: `С этим значением длина строки была бы ${length} символов, а допустимо не больше ${limit}.`,
        field: (list[0]?.column ?? '').slice(0, 100),
      })
    }
    edited.set(at, cells)
  }
  let turn = 0
  for (const [at, cells] of edited) {
    const old = sheet.ownRow(at)
    const fields = CHAT_FIELDS.map((f) => {
      const h = meta.mapping[f]
      return h ? (cells[h] ?? '') : ''
    })
    const structural = old.problems.filter((p) => STRUCTURAL.has(p.code) && p.code !== 'ROW_TOO_MANY_FIELDS')
    const extras = Object.keys(cells).filter((k) => !meta.headers.includes(k) && cells[k]!.trim() !== '')
    if (extras.length) structural.push(makeProblem('ROW', 'ROW_TOO_MANY_FIELDS', { count: meta.headers.length + extras.length, headers: meta.headers.length }))
    const row = buildRow(old.key, old.line, cells, fields, plan, structural, ctx)
    if (old.fileLine) row.fileLine = old.fileLine
    const avatar = avatarCellOf(fields, plan)
    if (avatar) applyAvatar(row, await resolveAvatar(avatar, ctx, at))
    else noteAvatar(ctx, at, null)
    if (cache) applyLive(row, cache)
    sheet.setRow(at, row)
    if (++turn % 5000 === 0) await yieldToLoop()
  }
  const touched = new Set([...byRow.keys(), ...sheet.applyCross()])
  const max = opts.maxRows ?? SHEET_PAGE_MAX
  const truncated = touched.size > max
  const rows = truncated ? [] : [...touched].sort((x, y) => x - y).map((i) => sheet.rowAt(i))
  return { rows, changed: touched.size, truncated, summary: sheet.summary }
}

/**
 * Inline edit of one cell, by header text or by API field name (an unmapped field gets a new column named after
 * it): `applyEdits` with one edit. Returns the new row (it replaces the old one in the sheet).
 */
export async function revalidateRow(sheet: Sheet, rowKey: string, column: string, value: string): Promise<SheetRow> {
  await applyEdits(sheet, [{ rowKey, column, value }], { maxRows: 0 })
  return sheet.rowAt(sheet.indexOfKey(rowKey))
}

/** Validates the one-off Compose form with the same rules as a sheet row (line 0, key "compose"). */
export async function validateCompose(form: ComposeForm, opts: { avatarMaxEdge?: number; colorsEnabled?: boolean; readFile?: (path: string) => Promise<Uint8Array> } = {}): Promise<SheetRow> {
  const cells: Record<string, string> = {
    USERS: (form.users ?? []).map(String).join(', '),
    TYPE: form.type ?? '',
    TITLE: form.title ?? '',
    DESCRIPTION: form.description ?? '',
    COLOR: form.color ?? '',
    MESSAGE: form.message ?? '',
    AVATAR: form.avatar ?? '',
    ENTITY_TYPE: form.entityType ?? '',
    ENTITY_ID: form.entityId ?? '',
    COPILOT_MAIN_ROLE: form.copilotMainRole ?? '',
    OWNER: form.owner === undefined ? '' : String(form.owner),
  }
  const fields = CHAT_FIELDS.map((f) => (f === 'AVATAR' ? '' : cells[f] ?? ''))
  const row = buildRow('compose', 0, cells, fields, compilePlan(FIELD_ORDER), null, opts)
  const avatar = cells.AVATAR!.trim()
  if (avatar) {
    // The picker sends base64 or a data: URI, never a path.
    const base64 = avatar.replace(/^data:[^,]*,/i, '').replace(/\s+/g, '')
    const result: AvatarResult = await prepareAvatar(new Uint8Array(Buffer.from(base64, 'base64')), opts.avatarMaxEdge, { en: 'The picked file', ru: 'Выбранный файл' })
    applyAvatar(row, result)
    // An avatar alone is something to send.
    row.problems = row.problems.filter((p) => p.code !== 'ROW_EMPTY')
    row.status = statusOf(row.problems)
  }
  return row
}
