/** Spreadsheet workbooks (.xlsx, .xls, .ods) exported by LibreOffice Calc: read like their CSV twin. */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_BYTES, importSheet, isReadable, sniffWorkbook } from '../../../electron/core/import'
import type { Sheet } from '../../../electron/core/import'
import { WORKBOOK_MAX_UNPACKED, zipEntries } from '../../../electron/core/import/workbook'

const dir = join(__dirname, '../../fixtures/sheets')
const load = async (name: string, opts: Parameters<typeof importSheet>[2] = {}, as = name): Promise<Sheet> =>
  importSheet(await readFile(join(dir, name)), { fileName: as, dir }, opts)
const comparable = (s: Sheet) => s.allRows().map((r) => ({ line: r.line, status: r.status, params: r.params, emails: r.emails, owner: r.owner, problems: r.problems, cells: r.cells, notes: r.notes }))
const codes = (s: Sheet): string[] => s.fileProblems.map((p) => p.code)

/** A zip whose central directory lists `entries` (no content: only the directory is read before unpacking). */
function zipListing(entries: { name: string; size: number }[]): Uint8Array {
  const parts: Buffer[] = [Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(26)]
  const start = 30
  let cd = 0
  const dirs = entries.map((e) => {
    const name = Buffer.from(e.name)
    const h = Buffer.alloc(46)
    h.writeUInt32LE(0x02014b50, 0)
    h.writeUInt32LE(e.size, 24)
    h.writeUInt16LE(name.length, 28)
    cd += 46 + name.length
    return Buffer.concat([h, name])
  })
  const eocd = Buffer.alloc(22)
  eocd.writeUInt32LE(0x06054b50, 0)
  eocd.writeUInt16LE(entries.length, 8)
  eocd.writeUInt16LE(entries.length, 10)
  eocd.writeUInt32LE(cd, 12)
  eocd.writeUInt32LE(start, 16)
  return new Uint8Array(Buffer.concat([...parts, ...dirs, eocd]))
}

describe('workbooks', () => {
  it.each(['chats.xlsx', 'chats.xls', 'chats.ods'])('%s reads exactly like the CSV export of the same sheet', async (name) => {
    const csv = await load('chats.utf8-comma.csv')
    const book = await load(name)
    expect(book.meta).toMatchObject({ format: name.split('.')[1], sheetNames: ['chats'], sheetName: 'chats', headers: csv.meta.headers, mapping: csv.meta.mapping })
    expect(book.fileProblems).toEqual([])
    expect(comparable(book)).toEqual(comparable(csv))
    expect(book.allRows()[0]!.fileLine).toBeUndefined()
    expect(book.meta.samples).toEqual(csv.meta.samples)
  })

  it.each(['features.xlsx', 'features.ods', 'features.xls'])('%s: the chats sheet, displayed text, merges, hidden rows, formulas', async (name) => {
    const s = await load(name)
    // "Read me" comes first but names no chat field: the sheet that does is read.
    expect(s.meta).toMatchObject({ sheetNames: ['Read me', 'Chats'], sheetName: 'Chats' })
    // The hidden row 4 is left out; the numbers are the spreadsheet's.
    expect(s.allRows().map((r) => r.line)).toEqual([2, 3, 5])
    const [sales, support, atlas] = s.allRows()
    expect(sales!.cells).toMatchObject({ ENTITY_ID: '12345678901234567890', 'Start date': '05.03.2026', Code: '00123', Department: 'North', OWNER: '2' })
    expect(support!.cells).toMatchObject({ ENTITY_ID: '1234567890123', 'Start date': '31.12.2026', Code: '007', USERS: '4' })
    // A vertical merge repeats its value on each row it covers.
    expect(support!.cells.Department).toBe('North')
    expect(atlas!.cells.OWNER).toBe('6')
    // .xls as LibreOffice writes it stores 0 as a text formula's cached value: exactly why the warning is there.
    if (name !== 'features.xls') expect(atlas!.params.TITLE).toBe('Team Atlas')
    expect(sales!.params).toMatchObject({ USERS: [2, 3], TYPE: 'OPEN', COLOR: 'RED', ENTITY_ID: '12345678901234567890' })
    expect(sales!.notes?.map((n) => n.code)).toEqual(['TYPE_READ_AS', 'COLOR_READ_AS'])
    expect(codes(s)).toEqual(['WORKBOOK_MERGED', 'WORKBOOK_FORMULAS', 'WORKBOOK_HIDDEN_ROWS'])
    expect(s.fileProblems[0]!.message).toContain('H2:H4')
    expect(s.fileProblems[1]!.message).toContain('A5, E5')
    expect(s.fileProblems[2]!.message).toContain('Rows 4 ')
  })

  it('another sheet can be picked by name', async () => {
    const s = await load('features.xlsx', { sheet: 'Read me' })
    expect(s.meta.sheetName).toBe('Read me')
    expect(codes(s)).toContain('FILE_NO_ROWS')
    expect(isReadable(s.fileProblems)).toBe(false)
  })

  it('a workbook renamed .csv is read by its content, and says so', async () => {
    const s = await load('chats.xlsx', {}, 'chats.csv')
    expect(s.meta.format).toBe('xlsx')
    expect(s.length).toBe(8)
    expect(codes(s)).toEqual(['FILE_IS_WORKBOOK'])
  })

  it('the row limit applies (fatal, with the figures)', async () => {
    const s = await load('chats.xlsx', { maxRows: 5 })
    expect(codes(s)).toEqual(['FILE_TOO_MANY_ROWS'])
    expect(s.fileProblems[0]!.message).toBe('The sheet has more than 5 rows, the most one import takes. Split it into smaller sheets.')
    expect(s.length).toBe(0)
    expect((await load('chats.xlsx', { maxRows: 8 })).length).toBe(8)
  })

  it('the byte limit applies before anything is unpacked', async () => {
    const bytes = await readFile(join(dir, 'chats.xlsx'))
    const s = await importSheet(bytes, { fileName: 'chats.xlsx' }, { maxBytes: 1000 })
    expect(codes(s)).toEqual(['FILE_TOO_LARGE'])
    expect(DEFAULT_MAX_BYTES).toBe(50 * 1024 * 1024)
  })

  it('a zip that is no workbook, or one that would unpack too big, is refused by its directory', async () => {
    const plain = zipListing([{ name: 'readme.txt', size: 10 }])
    expect(zipEntries(plain)).toEqual([{ name: 'readme.txt', size: 10 }])
    const s = await importSheet(plain, { fileName: 'x.xlsx' })
    expect(codes(s)).toEqual(['FILE_BINARY'])
    expect(s.fileProblems[0]!.message).toContain('a ZIP archive, not a spreadsheet')
    const bomb = zipListing([{ name: 'xl/workbook.xml', size: 1000 }, { name: 'xl/worksheets/sheet1.xml', size: WORKBOOK_MAX_UNPACKED }])
    expect(sniffWorkbook(bomb)).toMatchObject({ problem: { code: 'WORKBOOK_TOO_BIG_UNPACKED' } })
    expect(sniffWorkbook(zipListing([{ name: 'xl/workbook.xml', size: 1000 }]))).toEqual({ format: 'xlsx' })
  })
})
