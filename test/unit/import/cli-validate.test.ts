import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { validateCommand } from '../../../electron/cli/commands/validate'
import type { CliIO } from '../../../electron/cli/types'
import { tempDir } from '../../helpers/temp'

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const stdout = Object.assign(new PassThrough(), { isTTY: false })
  stdout.on('data', (d: Buffer) => (out += d.toString()))
  const stderr = new PassThrough()
  stderr.on('data', (d: Buffer) => (err += d.toString()))
  const io: CliIO = { stdout, stderr, stdin: new PassThrough(), env, interrupted: new Promise(() => {}) }
  const data = tempDir('b24-cli-data-')
  const code = await validateCommand.run([...argv, '--data', data], io)
  await new Promise((r) => setImmediate(r))
  return { code, out, err }
}

const sample = join(__dirname, '../../../resources/sample-chats.csv')

describe('b24chat validate', () => {
  it('--json: one document, rows in file order with exact params, AVATAR summarised', async () => {
    const { code, out } = await run([sample, '--json'])
    expect(code).toBe(0)
    const doc = JSON.parse(out)
    expect(doc).toMatchObject({ file: sample, encoding: 'utf-8', delimiter: ',', summary: { ready: 10, warning: 0, error: 2 } })
    expect(doc.rows.map((r: { line: number }) => r.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
    const first = doc.rows[0]
    expect(first.status).toBe('ready')
    expect(first.params).toMatchObject({ USERS: [2, 3, 4], TYPE: 'CHAT', TITLE: 'Sales — North-West', COLOR: 'RED' })
    expect(first.params.AVATAR).toMatch(/^<base64, .* image\/png 256×256>$/)
    const noTitle = doc.rows.find((r: { line: number }) => r.line === 8)
    expect(noTitle.params).not.toHaveProperty('TITLE')
    const bad = doc.rows.find((r: { line: number }) => r.line === 11)
    expect(bad.problems).toEqual([expect.objectContaining({ field: 'COLOR', code: 'COLOR_INVALID', message: expect.stringContaining('Fuchsia') })])
  })

  it('table: problems with line and field, and a summary; Russian with --lang ru', async () => {
    const en = await run([sample])
    expect(en.code).toBe(0)
    expect(en.out).toMatch(/^\s+12\s+error\s+TYPE\s+"secret" is not a chat type/m)
    expect(en.out).toContain('Summary: 12 rows — 10 ready, 0 with warnings, 2 with errors')
    const ru = await run([sample, '--lang', 'ru'])
    expect(ru.out).toContain('Итого: 12 строк')
    expect(ru.out).toContain('«secret» — не тип чата')
  })

  it('exits non-zero with a clear message when the file cannot be read; 2 on bad options', async () => {
    const dir = tempDir('b24-cli-')
    await writeFile(join(dir, 'book.xlsx'), Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0]))
    await writeFile(join(dir, 'empty.csv'), '')
    const missing = await run([join(dir, 'nope.csv')])
    expect(missing.code).toBe(1)
    expect(missing.err).toMatch(/No such file/)
    const xlsx = await run([join(dir, 'book.xlsx'), '--json'])
    expect(xlsx).toMatchObject({ code: 1, out: '' })
    expect(xlsx.err).toMatch(/not a sheet \(a ZIP archive, not a spreadsheet\)\. Open a CSV, .xlsx, .xls or .ods file/)
    expect((await run([join(dir, 'empty.csv')])).err).toMatch(/empty/)
    expect((await run([sample, '--delimiter', 'x'])).code).toBe(2)
    expect((await run([sample, '--encoding', 'koi8-r'])).code).toBe(2)
    expect((await run([])).code).toBe(2)
    expect((await run([sample, '--bogus'])).code).toBe(2)
  })

  it('--encoding and --delimiter override detection', async () => {
    const { out } = await run([join(__dirname, '../../fixtures/sheets/chats.cp1251-semicolon.csv'), '--json', '--encoding', 'cp1252', '--delimiter', 'semicolon'])
    const doc = JSON.parse(out)
    expect(doc).toMatchObject({ encoding: 'windows-1252', delimiter: ';' })
    expect(doc.rows[0].params.TITLE).not.toBe('Продажи, Москва')
  })

  it('reads a workbook: says which format and sheet, not an encoding', async () => {
    const book = join(__dirname, '../../fixtures/sheets/features.ods')
    const table = await run([book])
    expect(table.code).toBe(0)
    expect(table.out).toContain(`${book}: .ods workbook, sheet "Chats", 3 rows`)
    const doc = JSON.parse((await run([book, '--json'])).out)
    expect(doc).toMatchObject({ format: 'ods', sheet: 'Chats', sheets: ['Read me', 'Chats'] })
    expect(doc.rows.map((r: { line: number }) => r.line)).toEqual([2, 3, 5])
  })

  it('a header-only sheet is refused (exit 1) with its way forward', async () => {
    const dir = tempDir('b24-cli-')
    await writeFile(join(dir, 'head.csv'), 'TITLE,USERS\n')
    const r = await run([join(dir, 'head.csv')])
    expect(r.code).toBe(1)
    expect(r.err).toContain('no data rows. Add one row per chat below the header')
  })
})
