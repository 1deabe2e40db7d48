import { describe, expect, it } from 'vitest'
import { liveCheck, revalidateRow } from '../../../electron/core/import'
import type { BatchResult, RestCaller, RestSuccess } from '../../../electron/core/portal/types'
import { AppFailure } from '../../../electron/shared/result'
import { codes, importText } from './helpers'

/** A directory like the sandbox's: users 1..200, user<n>@sandbox.test, multiples of 50 dismissed. */
function fakePortal(opts: { chats?: Record<string, number>; failBatch?: number; failUserGet?: boolean } = {}): RestCaller & { batches: number; commands: number } {
  const users = new Map<number, { ID: string; ACTIVE: boolean; EMAIL: string; NAME: string; LAST_NAME: string }>()
  for (let i = 1; i <= 200; i++) users.set(i, { ID: String(i), ACTIVE: i % 50 !== 0, EMAIL: `user${i}@sandbox.test`, NAME: `Name${i}`, LAST_NAME: `Last${i}` })
  const userGet = (p: Record<string, unknown>): unknown[] => {
    const f = p.FILTER as Record<string, unknown>
    return [...users.values()].filter((u) =>
      (f.EMAIL === undefined || u.EMAIL === String(f.EMAIL).toLowerCase()) && (f.ID === undefined || u.ID === String(f.ID)) && (f.ACTIVE === undefined || u.ACTIVE === f.ACTIVE))
  }
  const caller = {
    portal: 'https://fake.example/',
    batches: 0,
    commands: 0,
    async call<T>(): Promise<RestSuccess<T>> {
      throw new Error('not used')
    },
    async batch(cmd: Record<string, [string, Record<string, unknown>]>): Promise<RestSuccess<BatchResult>> {
      caller.batches++
      if (opts.failBatch !== undefined && caller.batches > opts.failBatch) throw new AppFailure('NETWORK', 'connection reset')
      expect(Object.keys(cmd).length).toBeLessThanOrEqual(50)
      const out: BatchResult = { result: {}, result_error: {}, result_total: {}, result_next: {}, result_time: {} }
      for (const [k, [method, params]] of Object.entries(cmd)) {
        caller.commands++
        if (method === 'user.get') {
          if (opts.failUserGet) out.result_error[k] = { error: 'insufficient_scope', error_description: 'The request requires higher privileges' }
          else out.result[k] = userGet(params)
        } else if (method === 'im.chat.get') {
          const id = opts.chats?.[`${params.ENTITY_TYPE}|${params.ENTITY_ID}`]
          out.result[k] = id ? { ID: id } : null
        }
      }
      return { result: out }
    },
  }
  return caller
}

describe('live dry run', () => {
  it('resolves e-mails to active users, flags unknown and dismissed users and ids, marks existing pairs', async () => {
    const s = await importText('TITLE,USERS,OWNER,ENTITY_TYPE,ENTITY_ID\n' +
      'A,"1, user2@sandbox.test, User3@Sandbox.test",,BULK,a\n' +
      'B,"4, nobody@sandbox.test, 999",,,\n' +
      'C,"5, 50, user100@sandbox.test",,BULK,b\n' +
      'D,6,user150@sandbox.test,,\n')
    const portal = fakePortal({ chats: { 'BULK|b': 77 } })
    await liveCheck(s, portal)
    const [a, b, c, d] = s.allRows()
    expect(a!.params.USERS).toEqual([1, 2, 3])
    expect(a!.live).toMatchObject({ resolved: { 'user2@sandbox.test': 2, 'user3@sandbox.test': 3 }, names: { 1: 'Name1 Last1' } })
    expect(a!.status).toBe('ready')
    expect(codes(b!).sort()).toEqual(['EMAIL_UNKNOWN', 'USER_UNKNOWN'])
    expect(b!.status).toBe('error')
    expect(b!.live!.resolved['nobody@sandbox.test']).toBeNull()
    expect(codes(c!).sort()).toEqual(['CHAT_EXISTS', 'USER_DISMISSED'])
    expect(c!.live!.existingChatId).toBe(77)
    expect(c!.status).toBe('warning')
    expect(c!.problems.find((p) => p.code === 'USER_DISMISSED')!.message).toContain('user100@sandbox.test')
    expect(codes(d!)).toEqual(['OWNER_UNKNOWN'])
    expect(s.summary).toEqual({ rows: 4, ready: 1, warning: 1, error: 2 })
    expect(portal.batches).toBeLessThanOrEqual(5)
  })

  it('batches at most 50 commands, and is repeatable (no double resolution)', async () => {
    const lines = ['TITLE,USERS']
    for (let i = 1; i <= 120; i++) lines.push(`Chat ${i},user${i}@sandbox.test`)
    const s = await importText(lines.join('\n'))
    const portal = fakePortal()
    await liveCheck(s, portal)
    expect(s.allRows()[0]!.params.USERS).toEqual([1])
    expect(s.allRows().filter((r) => r.status === 'warning').map((r) => r.line)).toEqual([51, 101])
    await liveCheck(s, portal)
    expect(s.allRows()[0]!.params.USERS).toEqual([1])
    expect(s.allRows()[0]!.live!.addedUsers).toEqual([1])
  })

  it('an edited row keeps what the portal said', async () => {
    const s = await importText('TITLE,USERS\nA,user7@sandbox.test\nZ,user50@sandbox.test\n')
    await liveCheck(s, fakePortal())
    const row = await revalidateRow(s, s.allRows()[0]!.key, 'TITLE', 'B')
    expect(row.params).toMatchObject({ TITLE: 'B', USERS: [7] })
    const row2 = await revalidateRow(s, s.allRows()[0]!.key, 'USERS', 'user50@sandbox.test')
    expect(codes(row2)).toEqual(['USER_DISMISSED'])
    expect(row2.params.USERS).toBeUndefined()
  })

  it('a portal failure becomes a file-level warning, never a crash; a refused method too', async () => {
    const s = await importText('TITLE,USERS\nA,user7@sandbox.test\n')
    await liveCheck(s, fakePortal({ failBatch: 0 }))
    expect(s.fileProblems.map((p) => p.code)).toEqual(['LIVE_FAILED'])
    expect(s.fileProblems[0]!.message).toContain('connection reset')
    expect(s.allRows()[0]!.status).toBe('ready')
    await liveCheck(s, fakePortal({ failUserGet: true }))
    expect(s.fileProblems.map((p) => p.code)).toEqual(['LIVE_FAILED'])
    expect(s.fileProblems[0]!.message).toContain('insufficient_scope')
    expect(codes(s.allRows()[0]!)).toEqual([])
  })

  it('cancelling rethrows', async () => {
    const s = await importText('TITLE,USERS\nA,user7@sandbox.test\n')
    const ac = new AbortController()
    ac.abort(new Error('stop'))
    await expect(liveCheck(s, fakePortal(), { signal: ac.signal })).rejects.toThrow('stop')
  })
})
