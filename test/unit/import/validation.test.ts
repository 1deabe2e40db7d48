import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MappingMemory, autoMapping, importSheet, revalidateRow, templateCsv, validateCompose } from '../../../electron/core/import'
import { parseColor, parseEntity, parseType, parseUsers } from '../../../electron/core/import/fields'
import type { Problem } from '../../../electron/shared/sheet'
import { codes, importText, pngBytes, utf8 } from './helpers'
import { tempDir } from '../../helpers/temp'

describe('field rules', () => {
  it('USERS: ids and e-mails with any separator, bad tokens named', () => {
    const p: Problem[] = []
    expect(parseUsers('1, 2;3 4\n5\u00a06,2', p)).toEqual({ ids: [1, 2, 3, 4, 5, 6], emails: [] })
    expect(parseUsers('Ivan@Example.COM; 7', p)).toEqual({ ids: [7], emails: ['ivan@example.com'] })
    expect(p).toEqual([])
    parseUsers('1, Ivan, 0, 99999999999, a@b', p)
    expect(p).toHaveLength(1)
    expect(p[0]).toMatchObject({ field: 'USERS', code: 'USERS_INVALID', severity: 'error' })
    expect(p[0]!.message).toContain('"Ivan", "0", "99999999999", "a@b"')
    expect(p[0]!.messageRu).toContain('"Ivan"')
  })

  it('TYPE: OPEN/CHAT any case, Russian words, empty → CHAT, else error', () => {
    const p: Problem[] = []
    expect(['open', 'Chat', '', 'Открытый', 'закрытый'].map((t) => parseType(t, p))).toEqual(['OPEN', 'CHAT', 'CHAT', 'OPEN', 'CHAT'])
    expect(p).toEqual([])
    parseType('private-ish', p)
    expect(p.map((x) => x.code)).toEqual(['TYPE_INVALID'])
  })

  it('COLOR: 16 codes any case, English and Russian names, hex; ORANGE and others rejected', () => {
    const p: Problem[] = []
    expect(['red', 'Sky blue', 'light_blue', 'Голубой', 'зеленый', 'Grey', '#F76187', 'dark blue'].map((c) => parseColor(c, p))).toEqual(
      ['RED', 'LIGHT_BLUE', 'LIGHT_BLUE', 'LIGHT_BLUE', 'GREEN', 'GRAY', 'PINK', 'DARK_BLUE'])
    expect(parseColor('', p)).toBeUndefined()
    expect(p).toEqual([])
    parseColor('Orange', p)
    parseColor('Fuchsia', p)
    expect(p.map((x) => x.code)).toEqual(['COLOR_UNSAFE', 'COLOR_INVALID'])
  })

  it('ENTITY pair: lengths, documented formats, reserved types, case, incomplete pairs', () => {
    const run = (t: string, id: string) => {
      const p: Problem[] = []
      parseEntity(t, id, p)
      return p.map((x) => `${x.field}:${x.code}:${x.severity}`)
    }
    expect(run('CRM', 'DEAL|1663')).toEqual([])
    expect(run('CRM', 'DYNAMIC_128|5')).toEqual([])
    expect(run('CRM', 'deal 1663')).toEqual(['ENTITY_ID:ENTITY_ID_FORMAT:error'])
    expect(run('TASKS', 'abc')).toEqual(['ENTITY_TYPE:ENTITY_TYPE_RESERVED:warning', 'ENTITY_ID:ENTITY_ID_FORMAT:error'])
    expect(run('LINES', 'telegrambot|2|209607941|744')).toEqual(['ENTITY_TYPE:ENTITY_TYPE_RESERVED:warning'])
    expect(run('SONET_GROUP', '17')[0]).toBe('ENTITY_TYPE:ENTITY_TYPE_RESERVED:warning')
    expect(run('crm', 'DEAL|1')).toEqual(['ENTITY_TYPE:ENTITY_TYPE_CASE:warning'])
    expect(run('X'.repeat(51), '1')).toEqual(['ENTITY_TYPE:ENTITY_TYPE_TOO_LONG:error'])
    expect(run('BULK', 'y'.repeat(256))).toEqual(['ENTITY_ID:ENTITY_ID_TOO_LONG:error'])
    expect(run('BULK', '')).toEqual(['ENTITY_ID:ENTITY_PAIR_INCOMPLETE:warning'])
    expect(run('constructor', 'x')).toEqual([])
  })
  it('MESSAGE and DESCRIPTION: at most 20,000 characters as sent (CR LF counts as one break, an emoji as one character)', async () => {
    const q = (v: string): string => `"${v}"`
    const cases: [string, boolean][] = [
      ['x'.repeat(20_000), false],
      ['x'.repeat(20_001), true],
      // 20,001 UTF-16 units, but CR LF is sent as one line break: 20,000 characters.
      [`${'x'.repeat(19_998)}\r\ny`, false],
      [`${'x'.repeat(19_999)}\r\ny`, true],
      // Two UTF-16 units for one character: 20,000 characters.
      [`${'x'.repeat(19_999)}😀`, false],
      [`${'x'.repeat(20_000)}😀`, true],
    ]
    const rows = cases.map(([v], i) => `Chat ${i},1,${q(v)},${q(v)}`).join('\n')
    const sheet = await importText(`TITLE,USERS,MESSAGE,DESCRIPTION\n${rows}\n`)
    sheet.allRows().forEach((r, i) => {
      const [v, long] = cases[i]!
      expect(codes(r), `case ${i}`).toEqual(long ? ['MESSAGE_LONG', 'MESSAGE_LONG'] : [])
      expect(r.params.MESSAGE).toBe(v.replace(/\r\n/g, '\n'))
      expect(r.params.DESCRIPTION).toBe(v.replace(/\r\n/g, '\n'))
    })
  })
})

describe('rows and params', () => {
  it('builds exactly the im.chat.add params, with API names and USERS as numbers', async () => {
    const s = await importText('TITLE,USERS,TYPE,COLOR,DESCRIPTION,MESSAGE,ENTITY_TYPE,ENTITY_ID,COPILOT_MAIN_ROLE,OWNER,Notes\r\n' +
      '" Deal chat ","103, 547",open,pink,"Line 1\r\nLine 2",Hi,CRM,DEAL|1663,copilot_assistant,9,keep me\r\n')
    const r = s.allRows()[0]!
    expect(r.params).toEqual({ USERS: [103, 547, 9], TYPE: 'OPEN', TITLE: 'Deal chat', DESCRIPTION: 'Line 1\nLine 2', COLOR: 'PINK', MESSAGE: 'Hi', ENTITY_TYPE: 'CRM', ENTITY_ID: 'DEAL|1663', COPILOT_MAIN_ROLE: 'copilot_assistant' })
    expect(r.owner).toBe(9)
    expect(r.cells.Notes).toBe('keep me')
    expect(r.cells.TITLE).toBe(' Deal chat ')
    expect(r).toMatchObject({ status: 'ready', line: 2, titlePreview: 'Deal chat', titleGenerated: false, color: 'PINK', colorAuto: false })
  })

  it('leaves TITLE out when empty and previews the portal\'s auto-title', async () => {
    const s = await importText('TITLE,USERS,COLOR\n,1,RED\n,2,\n')
    expect(s.allRows()[0]!.params).toEqual({ USERS: [1], TYPE: 'CHAT', COLOR: 'RED' })
    expect(s.allRows()[0]).toMatchObject({ titlePreview: 'Red Chat #…', titleGenerated: true, colorAuto: false })
    expect(s.allRows()[1]!.params).toEqual({ USERS: [2], TYPE: 'CHAT' })
    expect(s.allRows()[1]).toMatchObject({ titleGenerated: true, colorAuto: true })
    expect(s.allRows()[1]!.titlePreview).toMatch(/round-robin/)
    const off = await importText('TITLE,USERS\n,"1, a@b.c"\n', { colorsEnabled: false })
    expect(off.allRows()[0]!.titlePreview).toBe('Chat with #1, a@b.c')
  })

  it('keeps formula-looking text verbatim', async () => {
    const s = await importText('TITLE,MESSAGE,USERS\n=SUM(A1:A3),+1 -2 @all,1\n"@team",-5,2\n')
    expect(s.allRows().map((r) => [r.params.TITLE, r.params.MESSAGE])).toEqual([['=SUM(A1:A3)', '+1 -2 @all'], ['@team', '-5']])
    expect(s.allRows().every((r) => r.status === 'ready')).toBe(true)
  })

  it('too long titles are errors counted in characters, not UTF-16 units', async () => {
    const s = await importText(`TITLE,USERS\n${'😀'.repeat(255)},1\n${'Я'.repeat(256)},1\n`)
    expect(s.allRows().map((r) => r.status)).toEqual(['ready', 'error'])
    expect(codes(s.allRows()[1]!)).toEqual(['TITLE_TOO_LONG'])
  })

  it('OWNER is added to the members; an invalid owner is an error', async () => {
    const s = await importText('TITLE,USERS,OWNER\nA,"1, 2",3\nB,1,boss@corp.example\nC,1,"3, 4"\n')
    expect(s.allRows()[0]!.params.USERS).toEqual([1, 2, 3])
    expect(s.allRows()[1]!.emails).toEqual(['boss@corp.example'])
    expect(s.allRows()[1]!.owner).toBe('boss@corp.example')
    expect(codes(s.allRows()[2]!)).toEqual(['OWNER_INVALID'])
  })

  it('flags duplicate rows (warning) and duplicate entity pairs (error) on every occurrence', async () => {
    const s = await importText('TITLE,USERS,ENTITY_TYPE,ENTITY_ID\nA,"1, 2",,\nA,"2,1",,\nB,3,BULK,x\nC,4,BULK,x\nD,5,BULK,y\n')
    expect(s.allRows().map((r) => r.status)).toEqual(['warning', 'warning', 'error', 'error', 'ready'])
    expect(s.allRows()[0]!.problems[0]!.message).toContain('line 3')
    expect(s.allRows()[2]!.problems[0]).toMatchObject({ field: 'ENTITY_ID', code: 'ENTITY_PAIR_DUPLICATE' })
    expect(s.allRows()[2]!.problems[0]!.message).toContain('lines 4, 5')
    expect(s.summary).toEqual({ rows: 5, ready: 1, warning: 2, error: 2 })
  })

  it('empty mapped cells → ROW_EMPTY; no members → warning; blank records skipped', async () => {
    const s = await importText('TITLE,USERS,Notes\n,,only a note\nSolo,,\n,,\n')
    expect(codes(s.allRows()[0]!)).toEqual(['ROW_EMPTY'])
    expect(codes(s.allRows()[1]!)).toEqual(['USERS_NONE'])
    expect(s.allRows()).toHaveLength(2)
    expect(s.meta.skippedBlank).toBe(1)
  })

  it('row keys are stable across re-imports and unique for identical rows', async () => {
    const text = 'TITLE,USERS\nA,1\nA,1\nB,2\n'
    const a = await importText(text)
    const b = await importText(text)
    expect(a.allRows().map((r) => r.key)).toEqual(b.allRows().map((r) => r.key))
    expect(new Set(a.allRows().map((r) => r.key)).size).toBe(3)
    expect(a.meta.contentHash).toBe(createHash('sha256').update(text).digest('hex'))
  })
})

describe('column mapping', () => {
  it('maps API names in any case and common English/Russian headers', () => {
    expect(autoMapping(['users', 'Chat Type', 'Название', 'Colour', 'Описание', 'First message', 'Аватар', 'Entity_Type', 'entity id', 'Владелец', 'Copilot role', 'Misc'])).toEqual({
      USERS: 'users', TYPE: 'Chat Type', TITLE: 'Название', COLOR: 'Colour', DESCRIPTION: 'Описание', MESSAGE: 'First message', AVATAR: 'Аватар',
      ENTITY_TYPE: 'Entity_Type', ENTITY_ID: 'entity id', OWNER: 'Владелец', COPILOT_MAIN_ROLE: 'Copilot role',
    })
    expect(autoMapping(['Участники (ID или e-mail)', 'Members*'])).toEqual({ USERS: 'Участники (ID или e-mail)' })
  })

  it('manual mapping overrides, unmaps, and is remembered for the same header row', async () => {
    const dir = tempDir('b24-map-')
    const memory = new MappingMemory(join(dir, 'mappings.json'))
    const text = 'Name,Who,Extra\nSales,1,Welcome\n'
    const first = await importText(text, { mapping: { MESSAGE: 'Extra', USERS: 'Who', TITLE: '' }, mappingMemory: memory })
    expect(first.meta.mapping).toEqual({ MESSAGE: 'Extra', USERS: 'Who' })
    expect(first.allRows()[0]!.params).toEqual({ USERS: [1], TYPE: 'CHAT', MESSAGE: 'Welcome' })
    const again = await importText(text, { mappingMemory: new MappingMemory(join(dir, 'mappings.json')) })
    expect(again.meta.mappingRemembered).toBe(true)
    expect(again.meta.mapping).toEqual({ MESSAGE: 'Extra', USERS: 'Who' })
    const other = await importText('Name,Who\nX,1\n', { mappingMemory: memory })
    expect(other.meta.mappingRemembered).toBe(false)
    expect(other.meta.mapping).toEqual({ TITLE: 'Name' })
    expect(JSON.parse(await readFile(join(dir, 'mappings.json'), 'utf8')).version).toBe(1)
    const unknown = await importText(text, { mapping: { TITLE: 'Nope' } })
    expect(unknown.fileProblems.map((p) => p.code)).toEqual(['MAPPING_UNKNOWN_COLUMN', 'MAPPING_NONE'])
  })

  it('a damaged memory file is ignored, not fatal', async () => {
    const dir = tempDir('b24-map-')
    await writeFile(join(dir, 'm.json'), '{not json')
    const s = await importText('TITLE\nA\n', { mappingMemory: new MappingMemory(join(dir, 'm.json')) })
    expect(s.allRows()[0]!.params.TITLE).toBe('A')
  })
})

describe('inline edits and Compose', () => {
  it('revalidateRow fixes a cell by header or API name and refreshes cross-row flags and the summary', async () => {
    const s = await importText('Название,USERS,ENTITY_TYPE,ENTITY_ID,COLOR\nA,1,BULK,x,Fuchsia\nB,2,BULK,x,RED\n')
    expect(s.summary.error).toBe(2)
    const key0 = s.allRows()[0]!.key
    const fixed = await revalidateRow(s, key0, 'COLOR', 'blue')
    expect(fixed.params.COLOR).toBe('DARK_BLUE')
    expect(codes(fixed)).toEqual(['ENTITY_PAIR_DUPLICATE'])
    const row1 = await revalidateRow(s, s.allRows()[1]!.key, 'ENTITY_ID', 'y')
    expect(row1.status).toBe('ready')
    expect(s.allRows()[0]!.status).toBe('ready')
    expect(s.allRows()[0]!.key).toBe(key0)
    expect(s.summary).toEqual({ rows: 2, ready: 2, warning: 0, error: 0 })
    const titled = await revalidateRow(s, key0, 'Название', 'Renamed')
    expect(titled.params.TITLE).toBe('Renamed')
    expect(titled.cells['Название']).toBe('Renamed')
    const owned = await revalidateRow(s, key0, 'owner', '42')
    expect(owned.params.USERS).toEqual([1, 42])
    expect(s.meta.headers).toContain('OWNER')
    await expect(revalidateRow(s, 'nope', 'TITLE', 'x')).rejects.toMatchObject({ appError: { code: 'NOT_FOUND' } })
    await expect(revalidateRow(s, key0, 'Colour??', 'x')).rejects.toMatchObject({ appError: { code: 'VALIDATION' } })
  })

  it('validateCompose applies the same rules, avatar included', async () => {
    const ok = await validateCompose({ users: [3, 'a@b.example'], type: 'OPEN', title: 'One-off', color: 'LIME', avatar: `data:image/png;base64,${Buffer.from(pngBytes(8, 8)).toString('base64')}` })
    expect(ok.params).toMatchObject({ USERS: [3], TYPE: 'OPEN', TITLE: 'One-off', COLOR: 'LIME' })
    expect(ok.params.AVATAR).toMatch(/^iVBOR/)
    expect(ok.emails).toEqual(['a@b.example'])
    expect(ok.status).toBe('ready')
    const bad = await validateCompose({ users: [], title: 'x'.repeat(300), avatar: Buffer.from('hello').toString('base64'), entityType: 'CRM', entityId: 'nope' })
    expect(codes(bad).sort()).toEqual(['AVATAR_NOT_IMAGE', 'ENTITY_ID_FORMAT', 'TITLE_TOO_LONG', 'USERS_NONE'])
  })
})

describe('resources', () => {
  it('the template is the shipped file, opens clean and has every column', async () => {
    const file = await readFile(join(__dirname, '../../../resources/template.csv'), 'utf8')
    expect(file).toBe(templateCsv())
    const s = await importSheet(utf8(templateCsv()), { fileName: 'template.csv' })
    expect(s.meta.encoding).toBe('utf-8')
    expect(Object.keys(s.meta.mapping)).toHaveLength(11)
    expect(s.allRows()).toHaveLength(1)
    expect(s.allRows()[0]!.status).toBe('ready')
  })

  it('the sample sheet: realistic rows ready, only the deliberate mistakes caught, each explained in its Note', async () => {
    const dir = join(__dirname, '../../../resources')
    const s = await importSheet(await readFile(join(dir, 'sample-chats.csv')), { fileName: 'sample-chats.csv', dir }, { readFile: async (p) => new Uint8Array(await readFile(p)) })
    expect(s.fileProblems).toEqual([])
    expect(s.allRows()).toHaveLength(12)
    const byCode = (c: string) => s.allRows().filter((r) => codes(r).includes(c)).map((r) => r.line)
    expect(byCode('COLOR_INVALID')).toEqual([11])
    expect(byCode('TYPE_INVALID')).toEqual([12])
    // Every row with a problem — and the one the portal check will refuse — says so in its Note; no other does.
    const onPurpose = s.allRows().filter((r) => r.cells.Note!.startsWith('MISTAKE ON PURPOSE')).map((r) => r.line)
    expect(onPurpose).toEqual([11, 12, 13])
    expect(s.allRows().filter((r) => r.status !== 'ready').map((r) => r.line)).toEqual([11, 12])
    expect(s.allRows().find((r) => r.line === 13)!.emails).toEqual(['nobody@sandbox.test'])
    const design = s.allRows().find((r) => r.params.TITLE === 'Design review')!
    expect(design.avatar).toMatchObject({ width: 1024, height: 1024, downscaled: true, mime: 'image/png' })
    expect(s.allRows().filter((r) => r.avatar).length).toBe(5)
    // The reinterpretations it shows on purpose.
    expect(s.allRows().flatMap((r) => r.notes ?? []).map((n) => `${n.from}→${n.to}`)).toEqual(['закрытый→CHAT', 'Красный→RED', 'PUBLIC→OPEN', 'Sky blue→LIGHT_BLUE', 'Графитовый→GRAPHITE'])
    expect(s.meta.mapping).not.toHaveProperty('Note')
    expect(s.summary).toMatchObject({ ready: 10, error: 2 })
  })
})
