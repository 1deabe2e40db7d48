/** Property tests: any bytes, any mutation of a real sheet → rows or a file-level problem, never a throw. */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import fc from 'fast-check'
import * as XLSX from '@e965/xlsx'
import { describe, expect, it } from 'vitest'
import { importSheet, isReadable, revalidateRow } from '../../../electron/core/import'
import { DELIMITERS, ENCODINGS } from '../../../electron/shared/sheet'
import type { Sheet } from '../../../electron/core/import'
import type { ImportedSheet, SheetRow } from '../../../electron/shared/sheet'

const dir = join(__dirname, '../../fixtures/sheets')

function wellFormed(sheet: Sheet | ImportedSheet): void {
  const s = 'materialize' in sheet ? sheet.materialize() : sheet
  // The compact statuses the summary counts are the statuses of the rows as built.
  if ('materialize' in sheet) s.rows.forEach((r, i) => expect(sheet.statusAt(i)).toBe(r.status))
  expect(Array.isArray(s.rows)).toBe(true)
  if (!s.rows.length) expect(s.fileProblems.length).toBeGreaterThan(0)
  expect(s.summary.rows).toBe(s.rows.length)
  expect(s.summary.ready + s.summary.warning + s.summary.error).toBe(s.rows.length)
  let last = 0
  for (const r of s.rows) {
    expect(r.line).toBeGreaterThan(last)
    last = r.line
    expect(r.status).toBe(r.problems.some((p) => p.severity === 'error') ? 'error' : r.problems.length ? 'warning' : 'ready')
    for (const p of r.problems) expect(p.message && p.messageRu).toBeTruthy()
    if (r.params.USERS) expect(r.params.USERS.every((u) => Number.isInteger(u) && u > 0)).toBe(true)
    if (r.params.TITLE !== undefined) expect(r.params.TITLE.length).toBeGreaterThan(0)
  }
  if (!isReadable(s.fileProblems)) expect(s.rows).toEqual([])
}

/** Byte-level mutations: flips, deletions, insertions of CSV-significant bytes, truncation. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.constantFrom(0x22, 0x2c, 0x3b, 0x09, 0x0a, 0x0d, 0x00, 0xff, 0xd0, 0xef) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
)

interface Mutation { kind: string; at: number; byte?: number; len?: number; bytes?: Uint8Array }

function mutate(src: Uint8Array, muts: Mutation[]): Uint8Array {
  let b = Buffer.from(src)
  for (const m of muts) {
    const at = b.length ? m.at % (b.length + 1) : 0
    if (m.kind === 'set' && at < b.length) b[at] = m.byte!
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len!)])
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes!), b.subarray(at)])
    else if (m.kind === 'truncate') b = b.subarray(0, at)
  }
  return new Uint8Array(b)
}

describe('never crashes', () => {
  it('on mutated real exports (every encoding, any override)', async () => {
    const sources = await Promise.all(['chats.utf8-comma.csv', 'chats.cp1251-semicolon.csv', 'chats.utf16-tab.txt', 'chats.utf8-crlf.csv'].map((f) => readFile(join(dir, f))))
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...sources), fc.array(mutation, { minLength: 1, maxLength: 6 }),
        fc.option(fc.constantFrom(...ENCODINGS)), fc.option(fc.constantFrom(...DELIMITERS)),
        async (src, muts, encoding, delimiter) => {
          const s = await importSheet(mutate(src, muts), { fileName: 'fuzz.csv', dir }, { encoding: encoding ?? undefined, delimiter: delimiter ?? undefined })
          wellFormed(s)
        },
      ),
      { numRuns: 200, seed: 4242 },
    )
  })

  it('on arbitrary bytes and arbitrary text cells', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => wellFormed(await importSheet(bytes, { fileName: 'x' }))),
      { numRuns: 200, seed: 7 },
    )
    const cellText = fc.string({ unit: fc.constantFrom('a', 'Я', ',', ';', '"', '\n', '\r', ' ', '=', '@', '1', '|', '\t', 'x@y.z', 'RED', 'OPEN', '😀'), maxLength: 30 })
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(cellText, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 }), async (table) => {
        // A fixed last column: a CR at the very end of a record's last cell is read as part of the line break.
        const text = ['TITLE,USERS,TYPE,COLOR,ENTITY_TYPE,ENTITY_ID,END', ...table.map((r) => [...r.map((c) => `"${c.replace(/"/g, '""')}"`), ...Array(6 - r.length).fill(''), 'end'].join(','))].join('\r\n')
        const s = await importSheet(new TextEncoder().encode(text), { fileName: 'x' })
        wellFormed(s)
        // What a quoted cell held comes back verbatim.
        expect(s.allRows().map((r) => r.cells.TITLE)).toEqual(table.map((r) => r[0]))
        const first = s.allRows()[0]
        if (first) wellFormed({ ...s.materialize(), rows: [await revalidateRow(s, first.key, 'COLOR', table[0]![0]!)], summary: { rows: 1, ...countOf(s) } })
      }),
      { numRuns: 200, seed: 99 },
    )
  })
})

describe('workbooks never crash either', () => {
  it('on mutated real .xlsx / .xls / .ods exports', async () => {
    const sources = await Promise.all(['chats.xlsx', 'chats.xls', 'chats.ods', 'features.xlsx'].map((f) => readFile(join(dir, f))))
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...sources), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (src, muts) => {
        wellFormed(await importSheet(mutate(src, muts), { fileName: 'fuzz.xlsx', dir }, { workbookTimeoutMs: 3000 }))
      }),
      { numRuns: 100, seed: 515 },
    )
  })

  it('any table written as .xlsx / .ods comes back cell for cell, numbered as the spreadsheet shows it', async () => {
    const cellText = fc.string({ unit: fc.constantFrom('a', 'Я', ',', ';', '"', '\n', ' ', '=', '@', '1', '0', '|', 'x@y.z', 'RED', 'OPEN', '😀'), maxLength: 20 })
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(cellText, { minLength: 5, maxLength: 5 }), { minLength: 1, maxLength: 6 }), fc.constantFrom('xlsx', 'ods'), async (raw, bookType) => {
        // SheetJS's own .ods writer does not keep whitespace-only text (it is a writer limit, not the reader's).
        const table = bookType === 'ods' ? raw.map((r) => r.map((c) => c.replace(/\s/g, ''))) : raw
        const ws = XLSX.utils.aoa_to_sheet([['TITLE', 'USERS', 'TYPE', 'COLOR', 'END'], ...table.map((r) => [...r.slice(0, 4), 'end'])])
        const wb = XLSX.utils.book_new()
        XLSX.utils.book_append_sheet(wb, ws, 'Chats')
        const bytes = new Uint8Array(XLSX.write(wb, { type: 'array', bookType: bookType as 'xlsx' | 'ods' }) as ArrayBuffer)
        const s = await importSheet(bytes, { fileName: `t.${bookType}` })
        wellFormed(s)
        // Every row has its 'end' cell, so none is blank: each comes back with the spreadsheet's row number.
        expect(s.allRows().map((r) => [r.line, r.cells.TITLE, r.cells.USERS])).toEqual(table.map((r, i) => [i + 2, r[0], r[1]]))
      }),
      { numRuns: 30, seed: 2024 },
    )
  })
})

function countOf(s: Sheet): { ready: number; warning: number; error: number } {
  const r = s.allRows()[0]!
  return { ready: r.status === 'ready' ? 1 : 0, warning: r.status === 'warning' ? 1 : 0, error: r.status === 'error' ? 1 : 0 }
}

describe('hostile sheets stay within a memory ceiling', () => {
  /**
   * Shapes that once ran away (issue 13, "Seen" 1): very wide, very tall, one huge cell, a quote never closed,
   * a members cell of 300,000 ids, 150,000 equal rows, old-Mac line breaks, binary, broken UTF-8, thousands of
   * distinct bad avatars. Each is imported whole; the heap at its peak (sampled after every chunk, garbage
   * included) stays under 100 bytes per input byte + 256 MiB, what the sheet keeps under 30 bytes per input
   * byte + 32 MiB, and every result is well-formed. The largest of each shape always runs (`examples`).
   */
  const shape = fc.oneof(
    fc.record({ kind: fc.constant('wide' as const), n: fc.integer({ min: 1, max: 300_000 }) }),
    fc.record({ kind: fc.constant('tall' as const), n: fc.integer({ min: 1, max: 400_000 }) }),
    fc.record({ kind: fc.constant('long-cell' as const), n: fc.integer({ min: 1, max: 3_000_000 }) }),
    fc.record({ kind: fc.constant('unterminated' as const), n: fc.integer({ min: 1, max: 3_000_000 }) }),
    fc.record({ kind: fc.constant('users' as const), n: fc.integer({ min: 1, max: 300_000 }) }),
    fc.record({ kind: fc.constant('equal-rows' as const), n: fc.integer({ min: 1, max: 150_000 }) }),
    fc.record({ kind: fc.constant('cr-only' as const), n: fc.integer({ min: 1, max: 200_000 }) }),
    fc.record({ kind: fc.constant('binary' as const), n: fc.integer({ min: 1, max: 2_000_000 }) }),
    fc.record({ kind: fc.constant('bad-utf8' as const), n: fc.integer({ min: 1, max: 2_000_000 }) }),
    fc.record({ kind: fc.constant('bad-avatars' as const), n: fc.integer({ min: 1, max: 20_000 }) }),
  )
  const LARGEST = [
    { kind: 'wide' as const, n: 300_000 }, { kind: 'tall' as const, n: 400_000 }, { kind: 'long-cell' as const, n: 3_000_000 },
    { kind: 'unterminated' as const, n: 3_000_000 }, { kind: 'users' as const, n: 300_000 }, { kind: 'equal-rows' as const, n: 150_000 },
    { kind: 'cr-only' as const, n: 200_000 }, { kind: 'binary' as const, n: 2_000_000 }, { kind: 'bad-utf8' as const, n: 2_000_000 },
    { kind: 'bad-avatars' as const, n: 20_000 },
  ]
  const build = ({ kind, n }: { kind: string; n: number }): Uint8Array => {
    const text = (s: string): Uint8Array => new TextEncoder().encode(s)
    switch (kind) {
      case 'wide': return text(`${Array.from({ length: n }, (_, i) => `c${i}`).join(',')}\n${'1,'.repeat(n - 1)}1\n`)
      case 'tall': return text(`TITLE,USERS\n${'a,1\n'.repeat(n)}`)
      case 'long-cell': return text(`TITLE,USERS\n"${'x'.repeat(n)}",1\n`)
      case 'unterminated': return text(`TITLE,USERS\nA,1\n"${'y,\n'.repeat(Math.ceil(n / 3))}`)
      case 'users': return text(`TITLE,USERS\nA,"${Array.from({ length: n }, (_, i) => String(1 + (i % 1000))).join(',')}"\n`)
      case 'equal-rows': return text(`TITLE,USERS,ENTITY_TYPE,ENTITY_ID\n${'Same,1,X,1\n'.repeat(n)}`)
      case 'cr-only': return text(`TITLE,USERS\r${'Chat,1\r'.repeat(n)}`)
      case 'binary': return new Uint8Array(n).map((_, i) => (i * 7919) & 0xff)
      case 'bad-utf8': return new Uint8Array(n).map((_, i) => (i % 5 === 0 ? 0xc3 : 0x41 + (i % 26)))
      default: return text(`TITLE,USERS,AVATAR\n${Array.from({ length: n }, (_, i) => `C${i},1,data:image/png;base64,${Buffer.from(`not an image ${i}`).toString('base64')}`).join('\n')}\n`)
    }
  }

  it('under every hostile shape (memory checked at every chunk)', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    let worst = { kind: '', n: 0, ratio: 0 }
    await fc.assert(
      fc.asyncProperty(shape, async (spec) => {
        const bytes = build(spec)
        gc()
        const base = process.memoryUsage().heapUsed
        let peak = 0
        const sample = (): void => {
          peak = Math.max(peak, process.memoryUsage().heapUsed - base)
        }
        const s = await importSheet(bytes, { fileName: 'hostile.csv' }, { onProgress: sample })
        sample()
        // At its peak (garbage included: loose), and what the imported sheet keeps (after a collection: strict).
        const what = `${spec.kind} × ${spec.n} (${bytes.byteLength} bytes)`
        expect(peak, `${what}: peak ${(peak / 1048576).toFixed(0)} MiB`).toBeLessThan(100 * bytes.byteLength + 256 * 1024 * 1024)
        gc()
        const kept = process.memoryUsage().heapUsed - base
        const ceiling = 30 * bytes.byteLength + 32 * 1024 * 1024
        if (kept / ceiling > worst.ratio) worst = { kind: spec.kind, n: spec.n, ratio: kept / ceiling }
        expect(kept, `${what}: keeps ${(kept / 1048576).toFixed(0)} MiB`).toBeLessThan(ceiling)
        // Cheap checks (no row built for a sheet of 200,000): counts add up, an unreadable sheet keeps no rows.
        expect(s.summary.ready + s.summary.warning + s.summary.error).toBe(s.length)
        if (!isReadable(s.fileProblems)) expect(s.length).toBe(0)
        if (s.length) {
          const ends = s.length > 1 ? [s.rowAt(0), s.rowAt(s.length - 1)] : [s.rowAt(0)]
          wellFormed({ ...s.overview(), rows: ends, summary: { rows: ends.length, ...tally(ends) } })
        }
      }),
      { numRuns: 24, seed: 1313, examples: LARGEST.map((x) => [x]) },
    )
    expect(worst.ratio).toBeLessThan(1)
  }, 240_000)
})

function tally(rows: SheetRow[]): { ready: number; warning: number; error: number } {
  const c = { ready: 0, warning: 0, error: 0 }
  for (const r of rows) c[r.status]++
  return c
}
