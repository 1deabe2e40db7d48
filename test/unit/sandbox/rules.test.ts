import { describe, expect, it } from 'vitest'
import type { AuthContext } from '../../../electron/sandbox/auth'
import { checkAvatar } from '../../../electron/sandbox/avatar'
import { seededRng } from '../../../electron/sandbox/clock'
import { parseBatchQuery } from '../../../electron/sandbox/dispatch'
import { parseFaults, FaultInjector } from '../../../electron/sandbox/faults'
import { colorByNumber, imMethods, parseUsersParam } from '../../../electron/sandbox/methods/im'
import type { MethodEnv } from '../../../electron/sandbox/methods/types'
import { upperKeys } from '../../../electron/sandbox/php'
import { ChatStore } from '../../../electron/sandbox/state'
import type { SandboxSwitches } from '../../../electron/sandbox/types'
import { makeDirectory } from '../../../electron/sandbox/users'
import { pngBase64, pngHeaderBase64 } from '../../helpers/sandbox'

const switches = (s: Partial<SandboxSwitches> = {}): SandboxSwitches => ({
  banMode: false, batchBilling: 'batch-half', titleOverflow: 'error', colorsEnabled: true, usersEmptyLegacy: false,
  countRejected: false, accessDenied: false, overloadLimit: false, ...s,
})

function env(s: Partial<SandboxSwitches> = {}): MethodEnv {
  return { store: new ChatStore(), users: makeDirectory(200), switches: switches(s), rng: seededRng(1), latencyMs: 0, now: () => 0, origin: 'https://x', chatChanged: () => {} }
}
const admin: AuthContext = { authType: 'webhook', credential: 'webhook-1', userId: 1, scopes: new Set(['im']) }
const add = (e: MethodEnv, p: Record<string, unknown>): number => {
  const def = imMethods['im.chat.add']
  if (!def) throw new Error('missing')
  return def.prepare(admin, upperKeys(p), e).commit().result as number
}

describe('colour round-robin', () => {
  it('walks RED…BROWN by the last digit of the global counter', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 20].map(colorByNumber)).toEqual([
      'RED', 'GREEN', 'MINT', 'LIGHT_BLUE', 'DARK_BLUE', 'PURPLE', 'AQUA', 'PINK', 'LIME', 'BROWN', 'RED', 'BROWN',
    ])
  })

  it('gives chats with an invalid, absent, unsafe or lower-case colour the next round-robin colour', () => {
    const e = env()
    for (const COLOR of [undefined, 'pink', 'ORANGE', 'NOPE', 'PINK', 'AZURE']) add(e, { COLOR })
    expect([...e.store.chats.values()].map((c) => c.color)).toEqual(['RED', 'GREEN', 'MINT', 'LIGHT_BLUE', 'PINK', 'AZURE'])
  })
})

describe('auto-titles', () => {
  it('numbers "<Colour> Chat #n" per colour and wraps after 99', () => {
    const e = env()
    add(e, { COLOR: 'PINK' })
    add(e, { COLOR: 'PINK', TITLE: 'Named' })
    add(e, { COLOR: 'PINK', TITLE: '   ' })
    add(e, { COLOR: 'LIGHT_BLUE' })
    add(e, {})
    expect([...e.store.chats.values()].map((c) => c.title)).toEqual(['Pink Chat #1', 'Named', 'Pink Chat #2', 'Sky blue Chat #1', 'Red Chat #1'])
    e.store.counters.perColor.GRAY = 99
    add(e, { COLOR: 'GRAY' })
    expect(e.store.chats.get(6)?.title).toBe('Grey Chat #1')
  })

  it('with colours disabled: MARENGO and "Chat with <names>"', () => {
    const e = env({ colorsEnabled: false })
    add(e, { USERS: [2, 3], COLOR: 'PINK' })
    const c = e.store.chats.get(1)
    const names = [1, 2, 3].map((id) => { const u = e.users.get(id); return `${u?.name} ${u?.lastName}` })
    expect(c?.color).toBe('MARENGO')
    expect(c?.title).toBe(`Chat with ${names.join(', ')}`)
  })
})

describe('USERS parsing', () => {
  it('accepts ints, numeric strings and a JSON string; drops falsy values', () => {
    expect(parseUsersParam([1, '2', 0, '', null, '0'])).toEqual([1, 2])
    expect(parseUsersParam('[3,"4"]')).toEqual([3, 4])
    expect(parseUsersParam({ 0: '5', 1: '6' })).toEqual([5, 6])
    expect(parseUsersParam('7')).toEqual([])
    expect(parseUsersParam(undefined)).toEqual([])
  })

  it('rejects elements that are neither integers nor strings with INVALID_FORMAT', () => {
    for (const bad of [[1.5], [true], [[1]], [{ a: 1 }]]) {
      expect(() => parseUsersParam(bad)).toThrow(/INVALID_FORMAT/)
    }
  })

  it('drops unknown and dismissed users silently and adds the creator first', () => {
    const e = env()
    add(e, { USERS: [5, 50, 9999, 5, 1, 7] })
    expect(e.store.chats.get(1)?.users).toEqual([1, 5, 7])
  })
})

describe('title and entity limits', () => {
  it('errors by default and truncates with the switch', () => {
    expect(() => add(env(), { TITLE: 'x'.repeat(256) })).toThrow(/WRONG_REQUEST/)
    expect(() => add(env(), { ENTITY_TYPE: 't'.repeat(51), ENTITY_ID: '1' })).toThrow(/WRONG_REQUEST/)
    const e = env({ titleOverflow: 'truncate' })
    add(e, { TITLE: 'y'.repeat(300) })
    expect(e.store.chats.get(1)?.title).toHaveLength(255)
    expect(() => add(env(), { TITLE: 'z'.repeat(255) })).not.toThrow()
  })
})

describe('avatar sniffing', () => {
  it('accepts a real PNG and reports its size', async () => {
    const r = checkAvatar(await pngBase64(3, 2))
    expect(r).toMatchObject({ ok: true, avatar: { width: 3, height: 2, mime: 'image/png' } })
  })

  it('accepts a [filename, base64] pair', async () => {
    expect(checkAvatar(['a.png', await pngBase64(1, 1)]).ok).toBe(true)
  })

  it('rejects a data: prefix, non-images and files over 5000 px', async () => {
    expect(checkAvatar(`data:image/png;base64,${await pngBase64(1, 1)}`)).toEqual({ ok: false, reason: 'type' })
    expect(checkAvatar(Buffer.from('hello world, not an image').toString('base64'))).toEqual({ ok: false, reason: 'type' })
    expect(checkAvatar(pngHeaderBase64(5001, 10))).toEqual({ ok: false, reason: 'size' })
    expect(checkAvatar(pngHeaderBase64(5000, 5000)).ok).toBe(true)
    expect(checkAvatar('42')).toEqual({ ok: false, reason: 'file-id' })
  })
})

describe('batch command parsing', () => {
  const sections = () => ({
    result: new Map<string, unknown>([['a', 17], ['u', [{ ID: '5', EMAIL: 'x@y' }]], ['o', { ID: 3, list: [1, 2] }]]),
    result_error: new Map(), result_total: new Map<string, unknown>([['u', 120]]), result_next: new Map(), result_time: new Map(),
  })

  it('substitutes $result[key][path] inside values', () => {
    expect(parseBatchQuery('DIALOG_ID=chat$result[a]&X=$result[u][0][ID]&T=$result_total[u]', sections())).toEqual({ DIALOG_ID: 'chat17', X: '5', T: '120' })
  })

  it('expands a reference to an array into bracket keys', () => {
    expect(parseBatchQuery('USERS=$result[o][list]', sections())).toEqual({ USERS: { 0: '1', 1: '2' } })
  })

  it('leaves unresolved references as they are and decodes + as space', () => {
    expect(parseBatchQuery('A=$result[zz]&B=a+b%2Bc', sections())).toEqual({ A: '$result[zz]', B: 'a b+c' })
  })
})

describe('faults', () => {
  it('parses the CLI syntax and rejects bad input', () => {
    expect(parseFaults('http500=0.1, timeout=0.05')).toEqual({ http500: 0.1, timeout: 0.05 })
    expect(() => parseFaults('boom=0.1')).toThrow(/unknown fault/)
    expect(() => parseFaults('qle=2')).toThrow(/0\.\.1/)
  })

  it('draws the same sequence for the same seed and roughly the asked share', () => {
    const a = new FaultInjector(42, { qle: 0.2, timeout: 0.1 })
    const b = new FaultInjector(42, { qle: 0.2, timeout: 0.1 })
    const sa = Array.from({ length: 1000 }, () => a.draw())
    const sb = Array.from({ length: 1000 }, () => b.draw())
    expect(sa).toEqual(sb)
    const qle = sa.filter((x) => x === 'qle').length
    const timeout = sa.filter((x) => x === 'timeout').length
    expect(qle).toBeGreaterThan(150)
    expect(qle).toBeLessThan(250)
    expect(timeout).toBeGreaterThan(60)
    expect(timeout).toBeLessThan(140)
    expect(() => a.set({ qle: 0.7, html: 0.5 })).toThrow(/more than 1/)
  })
})
