/** The same sheet exported by LibreOffice Calc in five locale flavours must read identically. */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importSheet } from '../../../electron/core/import'
import type { Sheet } from '../../../electron/core/import'

const dir = join(__dirname, '../../fixtures/sheets')
const FILES = {
  'chats.utf8-comma.csv': { encoding: 'utf-8', delimiter: ',' },
  'chats.cp1251-semicolon.csv': { encoding: 'windows-1251', delimiter: ';' },
  'chats.utf16-tab.txt': { encoding: 'utf-16le', delimiter: '\t' },
  'chats.utf8-bom.csv': { encoding: 'utf-8', delimiter: ',' },
  'chats.utf8-crlf.csv': { encoding: 'utf-8', delimiter: ',' },
} as const

const load = async (name: string): Promise<Sheet> => importSheet(await readFile(join(dir, name)), { fileName: name, dir })
const comparable = (s: Sheet) => s.allRows().map((r) => ({ line: r.line, status: r.status, params: r.params, emails: r.emails, owner: r.owner, problems: r.problems, titlePreview: r.titlePreview }))

describe('LibreOffice exports', () => {
  it.each(Object.entries(FILES))('%s: encoding and delimiter detected', async (name, expected) => {
    const s = await load(name)
    expect(s.meta).toMatchObject({ encodingDetected: expected.encoding, delimiterDetected: expected.delimiter })
    // A single-byte file says it was not UTF-8 and where (the first Cyrillic letter of the header); nothing else.
    expect(s.fileProblems.map((p) => p.code)).toEqual(expected.encoding.startsWith('windows-') ? ['FILE_NOT_UTF8'] : [])
  })

  it('every flavour yields the same rows, params and problems', async () => {
    const reference = comparable(await load('chats.utf8-comma.csv'))
    for (const name of Object.keys(FILES)) expect(comparable(await load(name)), name).toEqual(reference)
  })

  it('the reference reads as intended', async () => {
    const s = await load('chats.utf8-comma.csv')
    expect(s.meta.headers.at(-1)).toBe('Заметки')
    // Rows are numbered as Calc shows them; the quoted two-line message of row 2 moves only the file lines.
    expect(s.allRows().map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9])
    expect(s.allRows().map((r) => r.fileLine)).toEqual([2, 4, 5, 6, 7, 8, 9, 10])
    const [moscow, support, cafe, auto, colour, type, twin, members] = s.allRows()
    expect(moscow!.params).toMatchObject({ TITLE: 'Продажи, Москва', USERS: [2, 3], TYPE: 'CHAT', COLOR: 'RED', MESSAGE: 'Привет!\nПланёрка в 10:00.' })
    expect(moscow!.emails).toEqual(['user4@sandbox.test'])
    expect(moscow!.avatar).toMatchObject({ width: 48, height: 48 })
    expect(moscow!.cells['Заметки']).toBe('row 1')
    expect(support!.params).toMatchObject({ TITLE: 'Support "Tier 2"', USERS: [5, 6, 7], TYPE: 'OPEN', COLOR: 'LIGHT_BLUE' })
    expect(cafe!.params).toMatchObject({ TITLE: 'Кафе «Цюрих» — Ёлка', MESSAGE: '=SUM(A1:A3)', ENTITY_TYPE: 'CRM', ENTITY_ID: 'DEAL|1663' })
    expect(auto!.params.TITLE).toBeUndefined()
    expect(auto!.titleGenerated).toBe(true)
    expect([colour, type, twin, members].map((r) => r!.problems.map((p) => p.code))).toEqual([
      ['COLOR_INVALID'], ['TYPE_INVALID'], ['ENTITY_PAIR_DUPLICATE'], ['USERS_INVALID'],
    ])
    expect(cafe!.problems.map((p) => p.code)).toEqual(['ENTITY_PAIR_DUPLICATE'])
    expect(members!.params.MESSAGE).toBe('@mention -1 +1')
  })
})
