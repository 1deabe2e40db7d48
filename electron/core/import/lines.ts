/**
 * The first physical line of each row of a CSV (`fileLine`), worked out when someone first asks for it rather than
 * while the file is read: counting the line breaks in every cell of 100,000 rows is a pass over the whole text that
 * the import itself does not need (only a row's details show its file line). The rows' cells are kept anyway, so
 * their breaks can be counted later, by the same `recordBreaks` and in the same order as reading them would.
 * What is not kept verbatim has its breaks counted as it is read: records that are not rows (the header, blank
 * records) and rows whose cells are not the record (too long to keep, or cut at the column limit).
 */
import { recordBreaks } from './parse'

export class FileLines {
  /** Lines of rows 0 … known - 1; the rest are not worked out yet. */
  private lines = new Int32Array(0)
  private known = 0
  /** Lines taken by the records read since the last row that are not rows. */
  private pending = 0
  /** Lines taken by the records before the first row (the header, blank records before it). */
  private first = 0
  /** Row → lines taken by the records just before it that are not rows (only later rows with some: blank records). */
  private readonly gapBefore = new Map<number, number>()
  /** Row → line breaks of its record, for rows whose kept cells are not the record. */
  private readonly ownBreaks = new Map<number, number>()
  /** Rows added so far. */
  private rows = 0

  constructor(
    private readonly brk: '\n' | '\r',
    /** The kept cells of row `index`. */
    private readonly cellsOf: (index: number) => readonly string[],
  ) {}

  /** A record that is not a row (the header, a blank record): it takes its lines before the next row. */
  skip(record: readonly string[]): void {
    this.pending += 1 + recordBreaks(record, this.brk)
  }

  /** Row `index` (the next one) was added; `record`: the record as read, when the kept cells are not it. */
  added(index: number, record?: readonly string[]): void {
    if (index === 0) this.first = this.pending
    else if (this.pending) this.gapBefore.set(index, this.pending)
    this.pending = 0
    if (record) this.ownBreaks.set(index, recordBreaks(record, this.brk))
    this.rows = index + 1
  }

  /** The first physical line of row `index`. */
  at(index: number): number {
    if (index >= this.known) this.fill(index)
    return this.lines[index]!
  }

  /** The first physical line of the next record (after every row and skipped record so far). */
  next(): number {
    return (this.rows ? this.endOf(this.rows - 1) : 1) + this.pending
  }

  /** The line after row `index`'s last line. */
  private endOf(index: number): number {
    return this.at(index) + 1 + this.breaksOf(index)
  }

  private breaksOf(index: number): number {
    const own = this.ownBreaks.size ? this.ownBreaks.get(index) : undefined
    return own ?? recordBreaks(this.cellsOf(index), this.brk)
  }

  /** Works out the lines of every row up to `index`, in order (each row's line follows from the one before). */
  private fill(index: number): void {
    if (this.lines.length < this.rows) {
      const lines = new Int32Array(this.rows)
      lines.set(this.lines.subarray(0, this.known))
      this.lines = lines
    }
    const gaps = this.gapBefore
    for (let i = this.known; i <= index; i++) {
      if (i === 0) this.lines[0] = 1 + this.first
      else this.lines[i] = this.lines[i - 1]! + 1 + this.breaksOf(i - 1) + (gaps.size ? (gaps.get(i) ?? 0) : 0)
    }
    this.known = index + 1
  }
}
