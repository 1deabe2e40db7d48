import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { pngBase64, pngHeaderBase64, startTestSandbox } from '../../helpers/sandbox'
import type { TestSandbox } from '../../helpers/sandbox'

let t: TestSandbox
beforeAll(async () => {
  t = await startTestSandbox({ latencyMs: 0, burst: 100_000 })
})
afterAll(() => t.close())
beforeEach(() => t.sb.reset())

const add = async (p: Record<string, unknown>): Promise<number> => {
  const r = await t.call('im.chat.add', p)
  expect(r.status).toBe(200)
  return r.json.result as number
}

describe('im.chat.add', () => {
  it('maps TYPE: OPEN gives an open chat, anything else a closed one', async () => {
    await add({ TYPE: 'OPEN' })
    await add({ TYPE: 'open' })
    await add({ TYPE: 'WHATEVER' })
    expect(t.sb.chats().map((c) => c.type)).toEqual(['OPEN', 'CHAT', 'CHAT'])
  })

  it('returns 400 INVALID_FORMAT for a USERS element of the wrong type, and creates nothing', async () => {
    const r = await t.call('im.chat.add', { USERS: [2, { x: 1 }] })
    expect(r.status).toBe(400)
    expect(r.json.error).toBe('INVALID_FORMAT')
    expect(r.json.time).toBeUndefined()
    expect(t.sb.chats()).toEqual([])
  })

  it('stores the entity pair without uniqueness; im.chat.get returns the first match', async () => {
    const a = await add({ ENTITY_TYPE: 'BULKCHAT', ENTITY_ID: 'job:1' })
    const b = await add({ ENTITY_TYPE: 'BULKCHAT', ENTITY_ID: 'job:1' })
    expect(b).not.toBe(a)
    const r = await t.call('im.chat.get', { ENTITY_TYPE: 'BULKCHAT', ENTITY_ID: 'job:1' })
    expect(r.json.result).toEqual({ ID: a })
    expect((await t.call('im.chat.get', { ENTITY_TYPE: 'BULKCHAT', ENTITY_ID: 'job:2' })).json.result).toBeNull()
    expect((await t.call('im.chat.get', {})).json.result).toBeNull()
  })

  it('keeps a valid avatar and silently ignores a bad one (data: prefix, not an image, too large)', async () => {
    const png = await pngBase64(4, 3)
    await add({ TITLE: 'good', AVATAR: png })
    await add({ TITLE: 'pair', AVATAR: ['a.png', png] })
    await add({ TITLE: 'prefixed', AVATAR: `data:image/png;base64,${png}` })
    await add({ TITLE: 'text', AVATAR: Buffer.from('not an image at all').toString('base64') })
    await add({ TITLE: 'huge', AVATAR: pngHeaderBase64(6000, 100) })
    expect(t.sb.chats().map((c) => [c.title, c.avatar])).toEqual([
      ['good', { width: 4, height: 3, mime: 'image/png' }],
      ['pair', { width: 4, height: 3, mime: 'image/png' }],
      ['prefixed', null],
      ['text', null],
      ['huge', null],
    ])
  })

  it('posts DESCRIPTION as a message before MESSAGE', async () => {
    await add({ DESCRIPTION: 'About', MESSAGE: 'First!' })
    expect(t.sb.chats()[0]).toMatchObject({ description: 'About', messages: ['About', 'First!'] })
  })

  it('answers USERS_EMPTY with the legacy switch', async () => {
    t.sb.configure({ usersEmptyLegacy: true })
    try {
      const r = await t.call('im.chat.add', { TITLE: 'x' })
      expect([r.status, r.json.error]).toEqual([400, 'USERS_EMPTY'])
      expect((await t.call('im.chat.add', { USERS: [2] })).status).toBe(200)
    } finally {
      t.sb.configure({ usersEmptyLegacy: false })
    }
  })
})

describe('chat reading and fixing', () => {
  it('im.dialog.get and im.chat.get by DIALOG_ID show hex colour, owner, entity and managers', async () => {
    const id = await add({ TITLE: 'T', COLOR: 'PINK', USERS: [2], ENTITY_TYPE: 'E', ENTITY_ID: '1' })
    const d = await t.call('im.dialog.get', { DIALOG_ID: `chat${id}` })
    expect(d.json.result).toMatchObject({ id, name: 'T', color: '#f76187', owner: 1, type: 'chat', entity_type: 'E', entity_id: '1', manager_list: [1], user_counter: 2 })
    const g = await t.call('im.chat.get', { DIALOG_ID: `chat${id}` })
    expect(g.json.result).toMatchObject({ id, dialog_id: `chat${id}` })
    expect((await t.call('im.dialog.get', {})).json.error).toBe('DIALOG_ID_EMPTY')
    const missing = await t.call('im.dialog.get', { DIALOG_ID: 'chat999' })
    expect([missing.status, missing.json.error]).toEqual([403, 'ACCESS_ERROR'])
  })

  it('im.chat.user.list / user.add: adds only new active users; repeating is WRONG_REQUEST', async () => {
    const id = await add({ USERS: [2] })
    expect((await t.call('im.chat.user.list', { CHAT_ID: id })).json.result).toEqual([1, 2])
    expect((await t.call('im.chat.user.add', { CHAT_ID: id, USERS: [3, 50, 9999] })).json.result).toBe(true)
    expect((await t.call('im.chat.user.list', { CHAT_ID: id })).json.result).toEqual([1, 2, 3])
    const again = await t.call('im.chat.user.add', { CHAT_ID: id, USERS: [3] })
    expect([again.status, again.json.error]).toEqual([400, 'WRONG_REQUEST'])
    expect((await t.call('im.chat.user.list', {})).json.error).toBe('CHAT_ID_EMPTY')
  })

  it('im.chat.setOwner: only the owner, only to a member', async () => {
    const id = await add({ USERS: [2] })
    expect((await t.call('im.chat.setOwner', { CHAT_ID: id, USER_ID: 3 })).json.error).toBe('WRONG_REQUEST')
    expect((await t.call('im.chat.setOwner', { CHAT_ID: id })).json.error).toBe('USER_ID_EMPTY')
    expect((await t.call('im.chat.setOwner', { USER_ID: 2 })).json.error).toBe('CHAT_ID_EMPTY')
    expect((await t.call('im.chat.setOwner', { CHAT_ID: id, USER_ID: 2 })).json.result).toBe(true)
    expect(t.sb.chats()[0]?.ownerId).toBe(2)
    // user 1 is no longer the owner
    expect((await t.call('im.chat.setOwner', { CHAT_ID: id, USER_ID: 1 })).json.error).toBe('WRONG_REQUEST')
  })

  it('im.chat.updateTitle trims and refuses an empty title', async () => {
    const id = await add({})
    expect((await t.call('im.chat.updateTitle', { CHAT_ID: id, TITLE: '  New  ' })).json.result).toBe(true)
    expect((await t.call('im.chat.updateTitle', { DIALOG_ID: `chat${id}`, TITLE: ' ' })).json.error).toBe('TITLE_EMPTY')
    expect((await t.call('im.chat.updateTitle', { TITLE: 'x' })).json.error).toBe('CHAT_ID_EMPTY')
    expect(t.sb.chats()[0]?.title).toBe('New')
  })

  it('im.chat.updateColor: WRONG_COLOR for a bad code, WRONG_REQUEST when the colour is already set', async () => {
    const id = await add({ COLOR: 'RED' })
    expect((await t.call('im.chat.updateColor', { CHAT_ID: id, COLOR: 'pink' })).json.error).toBe('WRONG_COLOR')
    expect((await t.call('im.chat.updateColor', { CHAT_ID: id, COLOR: 'RED' })).json.error).toBe('WRONG_REQUEST')
    expect((await t.call('im.chat.updateColor', { CHAT_ID: id, COLOR: 'AQUA' })).json.result).toBe(true)
    expect(t.sb.chats()[0]?.color).toBe('AQUA')
  })

  it('im.chat.updateAvatar returns AVATAR_ERROR where im.chat.add would silently ignore', async () => {
    const id = await add({})
    const prefixed = await t.call('im.chat.updateAvatar', { CHAT_ID: id, AVATAR: `data:image/png;base64,${await pngBase64(2, 2)}` })
    expect([prefixed.status, prefixed.json]).toEqual([400, { error: 'AVATAR_ERROR', error_description: 'Avatar incorrect type' }])
    const huge = await t.call('im.chat.updateAvatar', { CHAT_ID: id, AVATAR: pngHeaderBase64(5001, 5001) })
    expect(huge.json.error_description).toBe('Avatar incorrect size (max 5000x5000)')
    expect((await t.call('im.chat.updateAvatar', { CHAT_ID: id + 1, AVATAR: await pngBase64(2, 2) })).json.error).toBe('WRONG_REQUEST')
    expect((await t.call('im.chat.updateAvatar', { CHAT_ID: id, AVATAR: await pngBase64(5, 6) })).json.result).toBe(true)
    expect(t.sb.chats()[0]?.avatar).toEqual({ width: 5, height: 6, mime: 'image/png' })
  })

  it('refuses changes by a user who is not in the chat (ACCESS_ERROR 403)', async () => {
    const id = await add({ USERS: [2] })
    const outsider = t.sb.addWebhook({ userId: 9 })
    const r = await t.call('im.chat.updateTitle', { CHAT_ID: id, TITLE: 'hijack' }, { webhookUrl: outsider.url })
    expect([r.status, r.json.error]).toEqual([403, 'ACCESS_ERROR'])
    // ...but im.chat.get by entity has no access check
    await add({ ENTITY_TYPE: 'K', ENTITY_ID: 'v' })
    expect((await t.call('im.chat.get', { ENTITY_TYPE: 'K', ENTITY_ID: 'v' }, { webhookUrl: outsider.url })).json.result).toEqual({ ID: id + 1 })
  })
})

describe('user.*, profile, scope, server.time', () => {
  it('user.get by EMAIL with ACTIVE returns string IDs; a dismissed user is excluded', async () => {
    const r = await t.call('user.get', { FILTER: { EMAIL: 'user12@sandbox.test', ACTIVE: true } })
    expect(r.json.result).toHaveLength(1)
    expect(r.json.result[0]).toMatchObject({ ID: '12', ACTIVE: true, EMAIL: 'user12@sandbox.test' })
    expect(r.json.total).toBe(1)
    expect((await t.call('user.get', { FILTER: { EMAIL: 'user100@sandbox.test', ACTIVE: true } })).json.result).toEqual([])
    expect((await t.call('user.get', { EMAIL: 'user100@sandbox.test' })).json.result[0].ACTIVE).toBe(false)
  })

  it('user.get pages by 50 with total and next, start=-1 without them', async () => {
    const p = await t.call('user.get', { start: 50 })
    expect(p.json.result).toHaveLength(50)
    expect(p.json.result[0].ID).toBe('51')
    expect([p.json.total, p.json.next]).toEqual([200, 100])
    const fast = await t.call('user.get', { start: -1 })
    expect(fast.json.total).toBeUndefined()
    expect(fast.json.next).toBeUndefined()
  })

  it('user.get works in a batch with FILTER rows (the import path)', async () => {
    const cmd = { a: 'user.get?FILTER[EMAIL]=user3%40sandbox.test&FILTER[ACTIVE]=true', b: 'user.get?FILTER[EMAIL]=nobody%40x.y', c: 'user.get?FILTER[@EMAIL][]=user4%40sandbox.test&FILTER[@EMAIL][]=user5%40sandbox.test' }
    const r = await t.call('batch', { cmd })
    expect(r.json.result.result.a.map((u: { ID: string }) => u.ID)).toEqual(['3'])
    expect(r.json.result.result.b).toEqual([])
    expect(r.json.result.result.c.map((u: { ID: string }) => u.ID)).toEqual(['4', '5'])
    expect(r.json.result.result_total).toEqual({ a: 1, b: 0, c: 2 })
  })

  it('user.search finds by FIND and by NAME; user.current is the caller', async () => {
    const r = await t.call('user.search', { FIND: 'user17@sandbox' })
    expect(r.json.result.map((u: { ID: string }) => u.ID)).toEqual(['17'])
    const name = (await t.call('user.get', { ID: 8 })).json.result[0].NAME
    const byName = await t.call('user.search', { NAME: name })
    expect(byName.json.result.some((u: { ID: string }) => u.ID === '8')).toBe(true)
    expect((await t.call('user.current')).json.result).toMatchObject({ ID: '1', EMAIL: 'user1@sandbox.test' })
  })

  it('profile, scope and server.time', async () => {
    expect((await t.call('profile')).json.result).toMatchObject({ ID: '1', ADMIN: true })
    expect((await t.call('scope')).json.result).toEqual(['im', 'user', 'user_basic', 'department'])
    expect((await t.call('scope', { full: true })).json.result).toContain('user_brief')
    expect((await t.call('server.time')).json.result).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/)
  })

  it('a user_brief credential sees no e-mail', async () => {
    const wh = t.sb.addWebhook({ scopes: ['im', 'user_brief'] })
    const r = await t.call('user.get', { ID: 7 }, { webhookUrl: wh.url })
    expect(r.json.result[0].EMAIL).toBeUndefined()
    expect(r.json.result[0].NAME).toBeTruthy()
  })
})
