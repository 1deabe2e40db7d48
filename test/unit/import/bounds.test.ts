/**
 * Bounded input (issue 13, "Seen" 1): files are read through a cap that counts bytes as they arrive, only regular
 * files are read, and a sheet's rows, columns and record length are capped with messages that name the limit.
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BoundedReadError, readBounded } from '../../../electron/core/bounded-read'
import type { ReadFailure } from '../../../electron/core/bounded-read'
import { importSheet, isReadable, readSheetFile, revalidateRow, uniqueHeaders } from '../../../electron/core/import'
import { firstInvalidUtf8 } from '../../../electron/core/import/decode'
import { detectNewline } from '../../../electron/core/import/parse'
import { INPUT_LIMITS } from '../../../electron/shared/limits'
import { codes, cp, importText, utf8 } from './helpers'
import { SPARSE_SIZE, sparseFile } from '../../helpers/files'

const linux = process.platform === 'linux'

async function failure(p: Promise<unknown>): Promise<ReadFailure> {
  try {
    await p
  } catch (e) {
    if (e instanceof BoundedReadError) return e.failure
    throw e
  }
  throw new Error('expected the read to be refused')
}

describe('readBounded', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'b24-bounded-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  const opts = { maxBytes: 1024, timeoutMs: 10_000 }

  it('reads a regular file whole, and one at the limit exactly', async () => {
    await writeFile(join(dir, 'a.csv'), 'x'.repeat(1024))
    expect((await readBounded(join(dir, 'a.csv'), opts)).byteLength).toBe(1024)
    await writeFile(join(dir, 'b.csv'), 'x'.repeat(1025))
    expect(await failure(readBounded(join(dir, 'b.csv'), opts))).toEqual({ reason: 'too-large', limit: 1024, size: 1025 })
  })

  it('refuses /dev/zero as a device, without reading it', async () => {
    expect(await failure(readBounded('/dev/zero', { maxBytes: INPUT_LIMITS.sheetBytes, timeoutMs: 10_000 }))).toEqual({ reason: 'not-file', kind: 'device' })
  })

  it('refuses a FIFO nobody writes to at once (the open does not wait for a writer)', async () => {
    const fifo = join(dir, 'pipe.csv')
    execFileSync('mkfifo', [fifo])
    expect(await failure(readBounded(fifo, opts))).toEqual({ reason: 'not-file', kind: 'fifo' })
  })

  it('refuses a folder, a socket, a missing file', async () => {
    expect(await failure(readBounded(dir, opts))).toEqual({ reason: 'not-file', kind: 'directory' })
    const sock = join(dir, 's.sock')
    const server = createServer()
    await new Promise<void>((r) => server.listen(sock, () => r()))
    try {
      const f = await failure(readBounded(sock, opts))
      expect(f.reason).toBe('not-file')
    } finally {
      await new Promise((r) => server.close(r))
    }
    expect(await failure(readBounded(join(dir, 'nope.csv'), opts))).toEqual({ reason: 'not-found' })
  })

  it('follows a symlink to what it names (a link to /dev/zero is a device)', async () => {
    await symlink('/dev/zero', join(dir, 'zero.csv'))
    expect(await failure(readBounded(join(dir, 'zero.csv'), opts))).toEqual({ reason: 'not-file', kind: 'device' })
  })

  it.runIf(linux)('refuses /proc and /sys files: they call themselves regular and report a made-up size', async () => {
    expect(await failure(readBounded('/proc/self/status', opts))).toEqual({ reason: 'not-file', kind: 'system' })
    expect(await failure(readBounded('/proc/self/maps', opts))).toEqual({ reason: 'not-file', kind: 'system' })
  })

  it.runIf(linux)('counts bytes as they arrive: a file that reports size 0 still stops at the cap', async () => {
    // /proc/self/maps reports 0 bytes and holds more; read as if it were not a /proc file, it hits the count.
    expect(await failure(readBounded('/proc/self/maps', { maxBytes: 16, timeoutMs: 10_000, platform: 'darwin' }))).toEqual({ reason: 'too-large', limit: 16 })
  })

  it('refuses a sparse 1.9 GB file by its size, reading nothing', async () => {
    const file = join(dir, 'sparse.csv')
    await sparseFile(file)
    const before = process.memoryUsage().rss
    expect(await failure(readBounded(file, { maxBytes: INPUT_LIMITS.sheetBytes, timeoutMs: 10_000 }))).toMatchObject({ reason: 'too-large', size: SPARSE_SIZE })
    // Nothing of it was read: far less than the cap was allocated.
    expect(process.memoryUsage().rss - before).toBeLessThan(INPUT_LIMITS.sheetBytes)
  })

  it('gives up at its deadline and when the caller aborts', async () => {
    const file = join(dir, 'big.csv')
    await sparseFile(file, 40 * 1024 * 1024, '')
    // 160 reads of 256 KiB, each a round trip to the thread pool: far more than 1 ms.
    expect(await failure(readBounded(file, { maxBytes: 50 * 1024 * 1024, timeoutMs: 1 }))).toEqual({ reason: 'timeout', ms: 1 })
    const ac = new AbortController()
    ac.abort(new Error('stop'))
    await expect(readBounded(file, { maxBytes: 50 * 1024 * 1024, timeoutMs: 10_000, signal: ac.signal })).rejects.toThrow('stop')
  })

  it('readSheetFile turns each refusal into a file problem in both languages', async () => {
    const zero = await readSheetFile('/dev/zero')
    expect(zero).toMatchObject({ problem: { code: 'FILE_NOT_A_FILE', message: 'This is a device, not a file. Open a sheet saved as a file (.csv).' } })
    expect('problem' in zero && zero.problem.messageRu).toContain('устройство')
    expect(await readSheetFile(dir)).toMatchObject({ problem: { code: 'FILE_NOT_A_FILE', message: expect.stringContaining('a folder') } })
    expect(await readSheetFile(join(dir, 'nope.csv'))).toMatchObject({ problem: { code: 'FILE_NOT_FOUND' } })
    expect(await readSheetFile(join(dir, 'sparse.csv'))).toMatchObject({ problem: { code: 'FILE_TOO_LARGE', message: 'The file is 1945.6 MB; the limit is 50.0 MB. Split it into smaller sheets.' } })
    const big = await readSheetFile(join(dir, 'b.csv'), { maxBytes: 1000 })
    expect(big).toMatchObject({ problem: { code: 'FILE_TOO_LARGE' } })
    if ('problem' in zero) expect(isReadable([zero.problem])).toBe(false)
  })
})

describe('sheet limits', () => {
  it('refuses a header row with more columns than the limit, naming it (200,000 columns: at once)', async () => {
    const wide = `${Array.from({ length: 200_000 }, (_, i) => `c${i}`).join(',')}\n${Array.from({ length: 200_000 }, () => '1').join(',')}\n`
    const s = await importText(wide)
    expect(s.length).toBe(0)
    expect(s.fileProblems).toEqual([expect.objectContaining({ code: 'FILE_TOO_MANY_COLUMNS', message: expect.stringContaining(`200000 columns; the limit is ${INPUT_LIMITS.columns}`) })])
    expect(isReadable(s.fileProblems)).toBe(false)
  })

  it('stops at the row limit with a message that names it, keeping no rows', async () => {
    const s = await importText(`TITLE,USERS\n${'A,1\n'.repeat(11)}`, { limits: { rows: 10 } })
    expect(s.length).toBe(0)
    expect(s.fileProblems.map((p) => p.code)).toEqual(['FILE_TOO_MANY_ROWS'])
    expect(s.fileProblems[0]!.message).toContain('more than 10 rows')
    expect((await importText(`TITLE,USERS\n${'A,1\n'.repeat(10)}`, { limits: { rows: 10 } })).length).toBe(10)
  })

  it('a record longer than the limit is an error row that keeps nothing of its cells', async () => {
    const s = await importText(`TITLE,USERS\nok,1\n"${'x'.repeat(500)}",1\nalso,2\n`, { limits: { recordChars: 100 } })
    expect(s.allRows().map((r) => r.status)).toEqual(['ready', 'error', 'ready'])
    const long = s.allRows()[1]!
    expect(codes(long)).toEqual(['ROW_TOO_LONG'])
    expect(long.problems[0]!.message).toContain('502 characters long; the limit is 100')
    expect(long.cells).toEqual({ TITLE: '', USERS: '' })
    // An unterminated quote swallows the rest of the file into one record: that record is refused, not parsed.
    const open = await importText(`TITLE,USERS\n"${'y,'.repeat(200)}\n`, { limits: { recordChars: 100 } })
    expect(codes(open.allRows()[0]!)).toContain('ROW_TOO_LONG')
  })

  it('a header row longer than the limit stops the import', async () => {
    const s = await importText(`${'h'.repeat(200)},b\n1,2\n`, { limits: { recordChars: 100 } })
    expect(s.fileProblems.map((p) => p.code)).toEqual(['FILE_HEADER_TOO_LONG'])
    expect(isReadable(s.fileProblems)).toBe(false)
  })

  it('a data row with cells beyond the column limit keeps only as many cells as the limit', async () => {
    const s = await importText(`TITLE,USERS\nA,1,${'x,'.repeat(50)}x\n`, { limits: { columns: 10 } })
    const row = s.allRows()[0]!
    expect(codes(row)).toContain('ROW_TOO_MANY_FIELDS')
    expect(row.problems[0]!.message).toContain('This row has 53 cells')
    expect(Object.keys(row.cells)).toHaveLength(10)
  })

  it('the same limits apply to an inline edit', async () => {
    const s = await importText('TITLE,USERS\nA,1\n')
    await expect(revalidateRow(s, 'r1', 'USERS', '1,'.repeat(INPUT_LIMITS.recordChars))).rejects.toMatchObject({ appError: { code: 'VALIDATION', message: expect.stringContaining(`the limit is ${INPUT_LIMITS.recordChars}`) } })
  })
})

describe('what was quadratic', () => {
  it('renames columns of one name in linear time: a few set look-ups per column', () => {
    class CountingSet extends Set<string> {
      lookups = 0
      override has(v: string): boolean {
        this.lookups++
        return super.has(v)
      }
    }
    const seen = new CountingSet()
    const { headers, problems } = uniqueHeaders(['x', ...Array.from({ length: 20_000 }, () => 'x')], seen)
    expect(headers.slice(0, 3)).toEqual(['x', 'x (2)', 'x (3)'])
    expect(headers.at(-1)).toBe('x (20001)')
    expect(new Set(headers).size).toBe(20_001)
    expect(problems).toHaveLength(20_000)
    // Searching the free suffix from 2 each time made ~200,000,000 look-ups here (200,000 columns: hours).
    expect(seen.lookups).toBeLessThan(3 * 20_001)
    // A name that collides with an earlier rename still gets a free one.
    expect(uniqueHeaders(['a (2)', 'a', 'a', 'a']).headers).toEqual(['a (2)', 'a', 'a (3)', 'a (4)'])
  })

  it('a header row longer than 64 KiB still ends at its line break', () => {
    const header = Array.from({ length: 20_000 }, (_, i) => `c${i}`).join(',')
    expect(detectNewline(`${header}\n1,2\n`)).toBe('\n')
    expect(detectNewline(`${header}\r\n1,2\r\n`)).toBe('\r\n')
  })

  it('100,000 equal rows name a few of the others each, in linear time', async () => {
    const s = await importText(`TITLE,USERS\n${'Same,1\n'.repeat(100_000)}`)
    const row = s.rowAt(50_000)
    expect(row.problems.find((p) => p.code === 'ROW_DUPLICATE')!.message).toBe('Same title and members as line 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 (+99989): this would create a second, identical chat.')
    expect(s.rowAt(0).problems[0]!.message).toContain('as line 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 (+99989)')
    expect(s.rowAt(3).problems[0]!.message).toContain('as line 2, 3, 4, 6, 7, 8, 9, 10, 11, 12 (+99989)')
  })
})

describe('invalid UTF-8', () => {
  it('names the first byte that is not UTF-8, its line and offset, and keeps the override', async () => {
    const bytes = Buffer.concat([Buffer.from('TITLE,USERS\nПривет,1\nCaf'), Buffer.from([0xe9]), Buffer.from(',2\n')])
    const s = await importSheet(new Uint8Array(bytes), { fileName: 'x.csv' })
    expect(s.meta.encoding).toMatch(/^windows-125[12]$/)
    expect(s.fileProblems).toEqual([expect.objectContaining({ code: 'FILE_NOT_UTF8', severity: 'warning' })])
    const offset = Buffer.byteLength('TITLE,USERS\nПривет,1\nCaf')
    expect(s.fileProblems[0]!.message).toBe(`The file is not valid UTF-8 (the first byte that is not, 0xE9, is on line 3, at byte ${offset}), so it was read as ${s.meta.encoding}. If letters look wrong, choose another encoding.`)
    expect(s.fileProblems[0]!.messageRu).toContain(`первый неверный байт 0xE9 — в строке 3, позиция ${offset}`)
    // Chosen by hand: no guess to warn about.
    const chosen = await importSheet(new Uint8Array(bytes), { fileName: 'x.csv' }, { encoding: 'windows-1251' })
    expect(chosen.meta.encoding).toBe('windows-1251')
    expect(chosen.fileProblems.map((p) => p.code)).toEqual([])
    expect((await importSheet(cp('TITLE\nЧат\n', 'windows-1251'), { fileName: 'x.csv' })).fileProblems[0]!.message).toContain('0xD7, is on line 2, at byte 6')
  })

  it('finds the first invalid byte as TextDecoder would (overlong, surrogate, truncated)', () => {
    expect(firstInvalidUtf8(utf8('plain Ascii and Юникод 😀'))).toBeNull()
    expect(firstInvalidUtf8(new Uint8Array([0x41, 0xc0, 0x80]))).toEqual({ offset: 1, byte: 0xc0, line: 1 })
    expect(firstInvalidUtf8(new Uint8Array([0x0a, 0xed, 0xa0, 0x80]))).toEqual({ offset: 1, byte: 0xed, line: 2 })
    expect(firstInvalidUtf8(new Uint8Array([0x41, 0xe2, 0x82]))).toEqual({ offset: 1, byte: 0xe2, line: 1 })
    expect(firstInvalidUtf8(new Uint8Array([0xf4, 0x90, 0x80, 0x80]))).toEqual({ offset: 0, byte: 0xf4, line: 1 })
    for (const bytes of [[0xc3, 0x28], [0xe0, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0x80]]) {
      const fatal = (() => {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes))
          return false
        } catch {
          return true
        }
      })()
      expect(fatal).toBe(firstInvalidUtf8(new Uint8Array(bytes)) !== null)
    }
  })
})
