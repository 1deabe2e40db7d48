import { describe, expect, it } from 'vitest'
import { decode, detectEncoding, guessSingleByte, sniffBinary } from '../../../electron/core/import/decode'
import { detectDelimiter, detectNewline, parseRecords, recordBreaks } from '../../../electron/core/import/parse'
import { importSheet } from '../../../electron/core/import'
import { cp, importText, utf16le, utf8 } from './helpers'

const RU = 'Название;Участники\nПродажи Москва;1, 2\nБухгалтерия и отчётность;3\n'
const FR = 'Titre;Membres\nCafé de la gare;1\nRéunion générale à Zürich;2\n'

describe('encoding detection', () => {
  it('recognises BOMs and UTF-16 without one', () => {
    expect(detectEncoding(utf8(`\uFEFF${RU}`))).toBe('utf-8')
    expect(detectEncoding(utf16le(RU))).toBe('utf-16le')
    expect(detectEncoding(new Uint8Array(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(RU, 'utf16le').swap16()])))).toBe('utf-16be')
    expect(detectEncoding(utf16le('TITLE\tUSERS\nSales\t1\n', false))).toBe('utf-16le')
  })

  it('takes valid UTF-8 as UTF-8 and tells windows-1251 from windows-1252 by the bytes', () => {
    expect(detectEncoding(utf8(RU))).toBe('utf-8')
    expect(detectEncoding(cp(RU, 'windows-1251'))).toBe('windows-1251')
    expect(detectEncoding(cp(FR, 'windows-1252'))).toBe('windows-1252')
    expect(guessSingleByte(cp('Grüße aus Köln, Straße', 'windows-1252'))).toBe('windows-1252')
    expect(guessSingleByte(cp('ЁЛКА ПРАЗДНИК', 'windows-1251'))).toBe('windows-1251')
  })

  it('decodes each encoding back to the same text and drops the BOM', () => {
    expect(decode(cp(RU, 'windows-1251'), 'windows-1251').text).toBe(RU)
    expect(decode(utf16le(RU), 'utf-16le').text).toBe(RU)
    expect(decode(utf8(`\uFEFF${RU}`), 'utf-8').text).toBe(RU)
    expect(decode(new Uint8Array([0x61, 0xff, 0x62]), 'utf-8').lossy).toBe(true)
  })

  it('recognises workbooks, PDFs, images and binary junk', () => {
    expect(sniffBinary(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2]))?.en).toMatch(/xlsx/)
    expect(sniffBinary(new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1]))?.en).toMatch(/xls/)
    expect(sniffBinary(utf8('%PDF-1.7'))?.en).toMatch(/PDF/)
    expect(sniffBinary(new Uint8Array([1, 2, 3, 0, 5, 6, 7, 8, 9]))).not.toBeNull()
    expect(sniffBinary(utf8(RU))).toBeNull()
    expect(sniffBinary(utf16le(RU))).toBeNull()
  })
})

describe('delimiter and line breaks', () => {
  it('detects , ; tab and | even when cells contain the others', () => {
    expect(detectDelimiter('a,b,c\n1,"x;y",3\n')).toBe(',')
    expect(detectDelimiter('Название;Участники\nПродажи, Москва;1, 2\nОтдел;3\n')).toBe(';')
    expect(detectDelimiter('Members (ids, e-mails)\tTitle\n1, 2\tSales\n')).toBe('\t')
    expect(detectDelimiter('a|b\n1|2\n')).toBe('|')
  })

  it('uses CRLF only when every break is CRLF', () => {
    expect(detectNewline('a\r\nb\r\n')).toBe('\r\n')
    expect(detectNewline('a\r\n"x\ny"\r\n')).toBe('\n')
    expect(detectNewline('a\rb\r')).toBe('\r')
    expect(detectNewline('a\nb')).toBe('\n')
  })

  it('gives every record across quoted line breaks and chunk boundaries; a row keeps its first physical line', async () => {
    const text = 'h1,h2\r\n"a\r\nb\r\nc",1\r\n\r\nplain,2\r\n"x ""q"", y",3\r\n'
    for (const chunkChars of [3, 7, 64, 1 << 20]) {
      const got: [string[], number][] = []
      await parseRecords(text, ',', { record: (f) => void got.push([f, recordBreaks(f, '\n')]) }, { chunkChars })
      expect(got.filter(([f]) => f.some((c) => c !== ''))).toEqual([
        [['h1', 'h2'], 0],
        [['a\r\nb\r\nc', '1'], 2],
        [['plain', '2'], 0],
        [['x "q", y', '3'], 0],
      ])
      // Rows are numbered by record (the blank one counts); the file line counts the breaks in the quoted cell.
      const sheet = await importText(text, { chunkChars })
      expect(sheet.allRows().map((r) => [r.line, r.fileLine])).toEqual([[2, 2], [4, 6], [5, 7]])
    }
  })

  it('reports an unterminated quote on the record that runs to the end, with the lines it spans', async () => {
    const text = 'a,b\n1,"open\n2,3\n4,5'
    const got: [string[], string | undefined][] = []
    await parseRecords(text, ',', { record: (f, q) => void got.push([f, q]) }, { chunkChars: 4 })
    expect(got).toEqual([[['a', 'b'], undefined], [['1', 'open\n2,3\n4,5'], 'unterminated']])
    const sheet = await importText(text, { chunkChars: 4 })
    expect(sheet.fileProblems.find((p) => p.code === 'QUOTE_UNTERMINATED')?.message).toContain('line 2 ')
    const [row] = sheet.allRows()
    expect(row!.problems.find((p) => p.code === 'ROW_UNTERMINATED_QUOTE')?.message).toContain('(line 4)')
    expect(row!.fileLine).toBe(2)
  })
})

describe('file-level problems', () => {
  it('empty, whitespace-only, binary and oversized files', async () => {
    const f = async (b: Uint8Array, maxBytes?: number) => (await importSheet(b, { fileName: 'x.csv' }, { maxBytes })).fileProblems.map((p) => p.code)
    expect(await f(new Uint8Array())).toEqual(['FILE_EMPTY'])
    expect(await f(utf8(' \r\n\t\n'))).toEqual(['FILE_EMPTY'])
    expect(await f(utf8(';;;\n;;\n'))).toEqual(['FILE_NO_HEADER'])
    expect(await f(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0]))).toEqual(['FILE_BINARY'])
    expect(await f(utf8('TITLE\nx\n'), 5)).toEqual(['FILE_TOO_LARGE'])
    const big = await importSheet(utf8('TITLE\nx\n'), { fileName: 'x.csv' }, { maxBytes: 5 })
    expect(big.fileProblems[0]!.message).toMatch(/limit is 5 bytes/)
    expect(big.fileProblems[0]!.messageRu).toMatch(/не больше 5 bytes/)
  })

  it('header only, nothing mapped, duplicate and empty headers', async () => {
    expect((await importText('TITLE,USERS\n')).fileProblems.map((p) => p.code)).toEqual(['FILE_NO_ROWS'])
    const none = await importText('foo,bar\n1,2\n')
    expect(none.fileProblems.map((p) => p.code)).toEqual(['MAPPING_NONE'])
    expect(none.allRows()[0]!.status).toBe('error')
    const dup = await importText('TITLE,Notes,,Notes\nA,x,y,z\n')
    expect(dup.meta.headers).toEqual(['TITLE', 'Notes', 'Column 3', 'Notes (2)'])
    expect(dup.fileProblems.map((p) => p.code)).toEqual(['HEADER_EMPTY', 'HEADER_DUPLICATE'])
    expect(dup.allRows()[0]!.cells).toEqual({ TITLE: 'A', Notes: 'x', 'Column 3': 'y', 'Notes (2)': 'z' })
  })

  it('unterminated quote: row error and a file-level note with the line', async () => {
    const s = await importText('TITLE,USERS\nok,1\n"broken,2\nnext,3\n')
    expect(s.allRows().map((r) => [r.line, r.status])).toEqual([[2, 'ready'], [3, 'error']])
    expect(s.allRows()[1]!.problems.map((p) => p.code)).toContain('ROW_UNTERMINATED_QUOTE')
    expect(s.fileProblems.map((p) => p.code)).toEqual(['QUOTE_UNTERMINATED'])
    expect(s.fileProblems[0]!.message).toMatch(/line 3/)
  })

  it('ragged rows: extra non-empty cells are an error and kept, missing ones a warning', async () => {
    const s = await importText('TITLE,USERS\nA,1,extra\nB\nC,2,,\n')
    expect(s.allRows().map((r) => r.problems.map((p) => p.code)[0])).toEqual(['ROW_TOO_MANY_FIELDS', 'ROW_TOO_FEW_FIELDS', undefined])
    expect(s.allRows()[0]!.cells['Column 3']).toBe('extra')
  })

  it('honours an encoding and delimiter override', async () => {
    const bytes = cp('TITLE;USERS\nПродажи;1\n', 'windows-1251')
    const auto = await importSheet(bytes, { fileName: 'x.csv' })
    expect(auto.allRows()[0]!.params.TITLE).toBe('Продажи')
    const forced = await importSheet(bytes, { fileName: 'x.csv' }, { encoding: 'windows-1252', delimiter: ',' })
    expect(forced.meta).toMatchObject({ encoding: 'windows-1252', encodingDetected: 'windows-1251', delimiter: ',', delimiterDetected: ';' })
    expect(forced.allRows()[0]!.params.TITLE).not.toBe('Продажи')
  })

  it('yields to the event loop and reports progress on a big sheet', async () => {
    const lines = ['TITLE,USERS']
    for (let i = 0; i < 20_000; i++) lines.push(`Chat ${i},"${i % 199 + 1}, ${(i * 7) % 199 + 1}"`)
    const progress: number[] = []
    let ticks = 0
    const timer = setInterval(() => ticks++, 0)
    const s = await importText(lines.join('\n'), { onProgress: (n) => progress.push(n), chunkChars: 16_384 })
    clearInterval(timer)
    expect(s.allRows()).toHaveLength(20_000)
    expect(progress.length).toBeGreaterThan(1)
    expect(progress.at(-1)).toBe(20_000)
    expect(ticks).toBeGreaterThan(0)
  })
})
