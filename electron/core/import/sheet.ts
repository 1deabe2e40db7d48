/**
 * An imported sheet in compact form. Per row the import keeps the parser's cell array, the line, the status and
 * the two cross-row hashes (typed arrays); the problems of the reading (ragged rows, quotes), resolved avatars,
 * cross-row problems and rows replaced as a whole (an inline edit, a live dry run) sit in sparse maps. Row
 * objects (`SheetRow`) are built on demand — a page for the preview, one at a time for the CLI, every row once
 * for a job — by the same validator the import ran, so a built row is exactly what the import checked.
 *
 * Why not keep 100,000 `SheetRow`s: each is about six long-lived objects (row, params, members, e-mails, cells,
 * key). Built during the import, the garbage collector copies every one of them out of the young generation, and
 * the import cost 2.3–2.6× bare papaparse; the app then cloned them all across IPC at once. Kept compact, the
 * import is parse + validate, and only the rows someone looks at become objects.
 */
import type { ImportedSheet, Problem, RowStatus, SheetMeta, SheetOverview, SheetRow, SheetRowsPage, SheetSummary } from '../../shared/sheet'
import type { AvatarResult } from './avatar'
import type { ImportContext } from './context'
import { FileLines } from './lines'
import type { FieldPlan } from './rows'
import { applyAvatar, buildRow, checkRecord, compilePlan, crossProblems, dupHashOf, isCrossProblem, pairHashOf, statusOf } from './rows'

const STATUSES: readonly RowStatus[] = ['ready', 'warning', 'error']
const STATUS_CODE: Record<RowStatus, number> = { ready: 0, warning: 1, error: 2 }
const severityCode = (p: Problem): number => (p.severity === 'error' ? 2 : 1)

/** The row key of the row at `index`: `r` + its ordinal among the data rows (stable for the same file). */
export const keyOf = (index: number): string => 'r' + (index + 1)

/** The index of the row with `key` in a sheet of `length` rows, or -1. */
export function indexOfKey(key: string, length: number): number {
  if (key.length < 2 || key.charCodeAt(0) !== 114 /* r */ || !/^r[1-9]\d{0,9}$/.test(key)) return -1
  const i = Number(key.slice(1)) - 1
  return i < length ? i : -1
}

/** `to` with `from` copied to its start. */
function grown<T extends Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from)
  return to
}

/**
 * A copy of a stored row that shares nothing a caller could change: every list and record is copied (problems,
 * avatar info and the strings are immutable values and stay shared). Far cheaper than structuredClone.
 */
export function copyRow(row: SheetRow): SheetRow {
  const params = { ...row.params }
  if (params.USERS) params.USERS = params.USERS.slice()
  const copy: SheetRow = { ...row, cells: { ...row.cells }, params, emails: row.emails.slice(), problems: row.problems.slice() }
  if (row.avatar) copy.avatar = { ...row.avatar }
  if (row.live) {
    const live: NonNullable<SheetRow['live']> = { ...row.live, resolved: { ...row.live.resolved }, names: { ...row.live.names } }
    if (row.live.addedUsers) live.addedUsers = row.live.addedUsers.slice()
    copy.live = live
  }
  return copy
}

export class Sheet implements SheetOverview {
  fileProblems: Problem[] = []
  summary: SheetSummary = { rows: 0, ready: 0, warning: 0, error: 0 }
  /** Number of rows. */
  length = 0

  private records: string[][] = []
  private lines = new Int32Array(256)
  /** CSV: each row's first physical line, worked out when asked (null for a spreadsheet: no file lines). */
  private fileLines: FileLines | null = null
  /** Each row's status without its cross-row problems: 0 ready, 1 warning, 2 error. */
  private base = new Uint8Array(256)
  private dup = new Int32Array(256)
  private pair = new Int32Array(256)
  private readonly structural = new Map<number, Problem[]>()
  private readonly avatars = new Map<number, AvatarResult>()
  /** Rows replaced as a whole, stored without their cross-row problems. */
  private readonly replaced = new Map<number, SheetRow>()
  private cross = new Map<number, Problem[]>()
  /** The header row as imported: the cells of rows not replaced are read by it. */
  private headers: string[] = []
  private cellsTemplate: Record<string, string> = {}
  private plan: FieldPlan = compilePlan({})

  constructor(
    public meta: SheetMeta,
    /** What re-validating a row needs (avatar edge, colours, file reader, avatar cache). */
    readonly ctx: ImportContext,
  ) {}

  /** Sets the header row and the field plan; rows added later are read with them. */
  setColumns(headers: string[], plan: FieldPlan): void {
    this.headers = headers
    this.plan = plan
    // Built by JSON.parse, which lays every key out inside the object: its clones then need no separate
    // property array either. Same keys, same order as assigning them one by one.
    const template: Record<string, string> = {}
    for (const name of headers) template[name] = ''
    this.cellsTemplate = JSON.parse(JSON.stringify(template)) as Record<string, string>
  }

  /** The rows come from a CSV whose physical lines are counted by `brk` (rows then have a `fileLine`). */
  countFileLines(brk: '\n' | '\r'): void {
    this.fileLines = new FileLines(brk, (i) => this.records[i]!)
  }

  /** A CSV record that is not a row (the header, a blank record): it takes lines before the next row. */
  skipRecord(record: readonly string[]): void {
    this.fileLines?.skip(record)
  }

  /** The first physical line of the next CSV record (0 when the sheet has no file lines). */
  nextFileLine(): number {
    return this.fileLines ? this.fileLines.next() : 0
  }

  /**
   * Validates one record and keeps it (the array is kept as it is: do not change it afterwards). `line`: its row
   * number as a spreadsheet shows it. `structural`: the problems found while reading it. `record`: the CSV record
   * as read, when the kept `fields` are not it (cut, or not kept). Returns the row's index.
   */
  add(fields: string[], line: number, structural: Problem[] | null, record?: readonly string[]): number {
    const i = this.length
    if (i === this.lines.length) this.grow()
    this.records.push(fields)
    this.lines[i] = line
    this.length = i + 1
    this.fileLines?.added(i, record)
    if (structural) this.structural.set(i, structural)
    // Only the verdict is kept: the row object is built when someone asks for the row.
    const v = checkRecord(fields, this.plan, structural)
    this.base[i] = STATUS_CODE[v.status]
    this.dup[i] = v.dup
    this.pair[i] = v.pair
    return i
  }

  /** Puts the resolved avatar of row `index` in place (its problem or warning raises the row's status). */
  setAvatar(index: number, result: AvatarResult): void {
    this.avatars.set(index, result)
    const p = 'problem' in result ? result.problem : result.warning
    if (p) this.base[index] = Math.max(this.base[index]!, severityCode(p))
  }

  /** Replaces row `index` as a whole (an edit, a live dry run); its cross-row problems are recomputed later. */
  setRow(index: number, row: SheetRow): void {
    const own = row.problems.some(isCrossProblem) ? { ...row, problems: row.problems.filter((p) => !isCrossProblem(p)) } : row
    own.status = statusOf(own.problems)
    this.replaced.set(index, own)
    this.note(index, own)
  }

  /** Runs the cross-row checks over every row and refreshes the summary; returns the rows whose cross-row problems changed. */
  applyCross(): number[] {
    const n = this.length
    const before = this.cross
    this.cross = crossProblems(this.dup.subarray(0, n), this.pair.subarray(0, n), (i) => this.ownRow(i, false))
    const changed: number[] = []
    const same = (a: Problem[] | undefined, b: Problem[] | undefined): boolean =>
      a === b || (!!a && !!b && a.length === b.length && a.every((p, k) => p.code === b[k]!.code && p.message === b[k]!.message))
    for (const i of new Set([...before.keys(), ...this.cross.keys()])) if (!same(before.get(i), this.cross.get(i))) changed.push(i)
    // Counted from the typed array; only the few rows with cross-row problems are looked up (statusAt per row
    // would be a map look-up for each of 100,000 rows).
    const count = [0, 0, 0]
    const base = this.base
    for (let i = 0; i < n; i++) count[base[i]!]!++
    for (const i of this.cross.keys()) {
      count[base[i]!]!--
      count[STATUS_CODE[this.statusAt(i)]]!++
    }
    this.summary = { rows: n, ready: count[0]!, warning: count[1]!, error: count[2]! }
    return changed
  }

  /**
   * Row `index` as an object, with every problem: a new object each call, so changing it changes nothing in the
   * sheet (`setRow` stores a change). Empty lists (no problems, no e-mails) are shared frozen arrays: assign a new
   * list rather than pushing to one.
   */
  rowAt(index: number): SheetRow {
    // A replaced row is stored: hand out a deep copy. Any other row was just built for this call.
    const row = this.replaced.has(index) ? copyRow(this.ownRow(index)) : this.ownRow(index)
    const cross = this.cross.get(index)
    if (cross) {
      row.problems = [...row.problems, ...cross]
      row.status = statusOf(row.problems)
    }
    return row
  }

  /** Row `index`'s status, cross-row problems included (no row object is built). */
  statusAt(index: number): RowStatus {
    let code = this.base[index]!
    const cross = this.cross.get(index)
    if (cross) for (const p of cross) code = Math.max(code, severityCode(p))
    return STATUSES[code]!
  }

  indexOfKey(key: string): number {
    return indexOfKey(key, this.length)
  }

  /** Rows `offset` … `offset + limit - 1` (fewer at the end). */
  page(offset: number, limit: number): SheetRowsPage {
    const end = Math.min(this.length, offset + limit)
    const rows: SheetRow[] = []
    for (let i = offset; i < end; i++) rows.push(this.rowAt(i))
    return { offset, total: this.length, rows }
  }

  /** Every row, one at a time, in sheet order. */
  *eachRow(): Generator<SheetRow> {
    for (let i = 0; i < this.length; i++) yield this.rowAt(i)
  }

  /** Every row as an object at once (for code that needs them all: a job, a test). */
  allRows(): SheetRow[] {
    return this.page(0, this.length).rows
  }

  overview(): SheetOverview {
    return { meta: this.meta, fileProblems: this.fileProblems, summary: this.summary }
  }

  /** The sheet with every row built (the CLI's JSON, tests). */
  materialize(): ImportedSheet {
    return { ...this.overview(), rows: this.allRows() }
  }

  /**
   * Up to `n` non-blank values of each column (by header index), from the first rows that have them: what the
   * mapping step shows under each column. Stops reading rows once every column has its values (at most 2,000 rows).
   */
  samples(n: number): string[][] {
    const out: string[][] = this.headers.map(() => [])
    let missing = out.length
    for (let i = 0; i < this.length && i < 2000 && missing > 0; i++) {
      const fields = this.records[i]!
      for (let k = 0; k < out.length; k++) {
        const list = out[k]!
        const v = (fields[k] ?? '').trim()
        if (list.length < n && v !== '' && !list.includes(v)) {
          list.push(v.length > 80 ? `${v.slice(0, 79)}…` : v)
          if (list.length === n) missing--
        }
      }
    }
    return out
  }

  /** Drops every row (the import failed half-way: nothing of it is kept). */
  clear(): void {
    this.records = []
    this.length = 0
    this.fileLines = null
    this.structural.clear()
    this.avatars.clear()
    this.replaced.clear()
    this.cross = new Map()
    this.summary = { rows: 0, ready: 0, warning: 0, error: 0 }
  }

  /**
   * Row `index` without its cross-row problems: the stored row when it was replaced, else built from its cells.
   * `fileLine: false` for a look at its values only (the cross-row checks): the file lines of the rows before it
   * are then not worked out.
   */
  ownRow(index: number, fileLine = true): SheetRow {
    const replaced = this.replaced.get(index)
    if (replaced) return replaced
    const fields = this.records[index]!
    const row = buildRow(keyOf(index), this.lines[index]!, this.cellsOf(fields), fields, this.plan, this.structural.get(index) ?? null, this.ctx)
    if (fileLine && this.fileLines) row.fileLine = this.fileLines.at(index)
    const avatar = this.avatars.get(index)
    if (avatar) applyAvatar(row, avatar)
    return row
  }

  /** The record's cells by header, verbatim; non-blank cells beyond the header row as "Column N". */
  private cellsOf(fields: string[]): Record<string, string> {
    const h = this.headers
    const cells: Record<string, string> = { ...this.cellsTemplate }
    for (let k = 0; k < h.length; k++) cells[h[k]!] = fields[k] ?? ''
    for (let k = h.length; k < fields.length; k++) if (fields[k]!.trim() !== '') cells[`Column ${k + 1}`] = fields[k]!
    return cells
  }

  /** Records a row's verdict: its status (without cross-row problems) and its cross-row hashes. */
  private note(index: number, row: SheetRow): void {
    this.base[index] = STATUS_CODE[row.status]
    this.dup[index] = dupHashOf(row)
    this.pair[index] = pairHashOf(row)
  }

  private grow(): void {
    const cap = this.lines.length * 2
    this.lines = grown(this.lines, new Int32Array(cap))
    this.base = grown(this.base, new Uint8Array(cap))
    this.dup = grown(this.dup, new Int32Array(cap))
    this.pair = grown(this.pair, new Int32Array(cap))
  }
}
