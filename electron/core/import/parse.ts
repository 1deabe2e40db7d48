/**
 * Text → records with papaparse's core parser, fed in chunks with a yield to the event loop between them, so a
 * 100k-row sheet never blocks the process for long. Each record carries the quote errors papaparse saw in it; its
 * physical lines are counted by whoever needs them (`recordBreaks`). Also: newline and delimiter detection.
 */
import Papa from 'papaparse'
import type { Delimiter } from '../../shared/sheet'

export type Newline = '\n' | '\r' | '\r\n'

/**
 * '\r\n' when every line break in the first 64 KiB is CRLF; '\n' for LF files and mixed ones (a trailing CR
 * is then stripped from each record); '\r' for old-Mac files.
 */
export function detectNewline(text: string): Newline {
  const lf = text.indexOf('\n')
  if (lf === -1) return text.includes('\r') ? '\r' : '\n'
  // The first line break always counts, even beyond 64 KiB (a header row that long is read as one line otherwise).
  const end = Math.max(lf + 1, Math.min(text.length, 65_536))
  for (let i = lf; i !== -1 && i < end; i = text.indexOf('\n', i + 1)) if (text.charCodeAt(i - 1) !== 13) return '\n'
  return '\r\n'
}

interface PapaResult {
  data: string[][]
  errors: { code: string; row?: number }[]
  meta: { cursor: number }
}

function makeParser(delimiter: string, newline: Newline, preview = 0): Papa.Parser {
  return new Papa.Parser({ delimiter, newline, quoteChar: '"', escapeChar: '"', preview } as Papa.ParseConfig)
}

/**
 * Picks the delimiter whose header row splits into the most columns and whose next rows agree with it.
 * Ranking: header has ≥ 2 columns, then the share of sample rows with the header's column count, then the count.
 */
export function detectDelimiter(text: string, newline: Newline = detectNewline(text)): Delimiter {
  const cut = text.length > 65536 ? text.lastIndexOf(newline, 65536) : -1
  const sample = cut > 0 ? text.slice(0, cut + 1) : text.slice(0, 65536)
  let best: Delimiter = ','
  let bestScore = -1
  // On a tie the delimiter least likely to appear inside cell text wins.
  for (const d of ['\t', '|', ';', ','] as const satisfies readonly Delimiter[]) {
    let rows: string[][]
    try {
      rows = (makeParser(d, newline, 60).parse(sample, 0, false) as PapaResult).data
    } catch {
      continue
    }
    rows = rows.filter((r) => !(r.length === 1 && r[0]!.trim() === ''))
    const h = rows[0]?.length ?? 0
    if (h < 2) continue
    const agree = rows.filter((r) => r.length === h).length / rows.length
    const score = agree * 10_000 + Math.min(h, 9_999)
    if (score > bestScore) {
      bestScore = score
      best = d
    }
  }
  return best
}

/** The character physical lines are counted by in a text read with `newline`: LF, or CR in an old-Mac file. */
export const lineBreakOf = (newline: Newline): '\n' | '\r' => (newline === '\r' ? '\r' : '\n')

/** Line breaks inside a record's cells (quoted ones): the record spans this many physical lines more than one. */
export function recordBreaks(fields: readonly string[], brk: '\n' | '\r'): number {
  let breaks = 0
  for (let k = 0; k < fields.length; k++) {
    const f = fields[k]!
    for (let i = f.indexOf(brk); i !== -1; i = f.indexOf(brk, i + 1)) breaks++
  }
  return breaks
}

export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

export interface ParseOptions {
  /** Characters per chunk (default 512 Ki: a few tens of ms of work between two turns of the event loop). */
  chunkChars?: number
  signal?: AbortSignal
  /** The text's line break, when the caller has detected it already (default: `detectNewline(text)`). */
  newline?: Newline
}

export interface RecordSink {
  /**
   * One record, in file order (synchronous: called in a tight loop). Its physical lines are not counted here: a
   * record spans 1 + `recordBreaks(fields, lineBreakOf(newline))` lines, which the caller counts when it needs them.
   */
  record(fields: string[], quoteError: 'unterminated' | 'malformed' | undefined): void
  /** After each chunk's records; the event loop gets a turn after it resolves. */
  chunkDone?(): void | Promise<void>
}

/**
 * Parses `text` chunk by chunk, handing every record to `sink.record`. Between chunks the event loop gets a
 * turn. Never throws for any text; quote errors are reported on the record concerned.
 */
export async function parseRecords(text: string, delimiter: Delimiter, sink: RecordSink, opts: ParseOptions = {}): Promise<void> {
  const newline = opts.newline ?? detectNewline(text)
  const stripCr = newline === '\n'
  const base = opts.chunkChars ?? 524_288
  let chunk = base
  let pos = 0
  // Start of the unparsed text (the incomplete record carried over from the previous chunk begins here).
  let start = 0
  for (;;) {
    opts.signal?.throwIfAborted()
    const end = Math.min(text.length, pos + chunk)
    const last = end >= text.length
    // A slice of `text`, never a copy: the cells papaparse cuts from it are slices of the one decoded text, so a
    // big sheet keeps one copy of its text alive instead of one per chunk.
    const input = text.slice(start, end)
    pos = end
    const res = makeParser(delimiter, newline).parse(input, 0, !last) as PapaResult
    const data = res.data
    let bad: Map<number, 'unterminated' | 'malformed'> | undefined
    for (const e of res.errors) {
      if (e.row === undefined || e.row >= data.length) continue
      bad ??= new Map()
      if (e.code === 'MissingQuotes') bad.set(e.row, 'unterminated')
      else if (e.code === 'InvalidQuotes' && !bad.has(e.row)) bad.set(e.row, 'malformed')
    }
    // The empty "record" after the file's final line break is not a line.
    const count = last && data.length && data[data.length - 1]!.length === 1 && data[data.length - 1]![0] === '' ? data.length - 1 : data.length
    for (let i = 0; i < count; i++) {
      const fields = data[i]!
      const lastIdx = fields.length - 1
      if (stripCr) {
        const f = fields[lastIdx]!
        if (f.charCodeAt(f.length - 1) === 13) fields[lastIdx] = f.slice(0, -1)
      }
      sink.record(fields, bad?.get(i))
    }
    if (!last) {
      start += res.meta.cursor
      // No complete record in this chunk (a huge quoted cell, or an unterminated quote): read more at once, so
      // re-scanning the carried-over text stays O(n log n) overall.
      chunk = data.length === 0 ? chunk * 2 : base
    }
    if (sink.chunkDone) await sink.chunkDone()
    if (last) return
    await yieldToLoop()
  }
}
