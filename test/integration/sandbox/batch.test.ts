import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { httpsRequest, startTestSandbox } from '../../helpers/sandbox'
import type { TestSandbox } from '../../helpers/sandbox'

let t: TestSandbox
beforeAll(async () => {
  t = await startTestSandbox({ latencyMs: 0, burst: 100_000 })
})
afterAll(() => t.close())
beforeEach(() => t.sb.reset())

describe('batch', () => {
  it('runs up to 50 commands; the 51st onward get ERROR_BATCH_LENGTH_EXCEEDED and are not run (HTTP 200)', async () => {
    const cmd = Object.fromEntries(Array.from({ length: 53 }, (_, i) => [`k${i}`, `im.chat.add?TITLE=t${i}`]))
    const r = await t.call('batch', { cmd })
    expect(r.status).toBe(200)
    expect(Object.keys(r.json.result.result)).toHaveLength(50)
    expect(r.json.result.result_error).toEqual(Object.fromEntries(['k50', 'k51', 'k52'].map((k) => [k, { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' }])))
    expect(t.sb.chats()).toHaveLength(50)
  })

  it('answers a batch without cmd with five empty sections', async () => {
    const r = await t.call('batch', {})
    expect(r.status).toBe(200)
    expect(r.text).toMatch(/^\{"result":\{"result":\[\],"result_error":\[\],"result_total":\[\],"result_next":\[\],"result_time":\[\]\},"time":\{/)
  })

  it('encodes a list cmd as lists and empty sections as []; a gap makes an object', async () => {
    const r = await t.call('batch', { cmd: ['im.chat.add?TITLE=a', 'im.chat.add?TITLE=b'] })
    expect(r.text).toContain('"result_error":[],"result_total":[],"result_next":[]')
    expect(r.json.result.result).toEqual([1, 2])
    expect(Array.isArray(r.json.result.result_time)).toBe(true)
    const gap = await t.call('batch', { cmd: ['im.chat.add?TITLE=c', 'no.such.method', 'im.chat.add?TITLE=d'] })
    expect(gap.text).toContain('"result":{"0":3,"2":4}')
    expect(gap.json.result.result_error).toEqual({ 1: { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' } })
  })

  it('halt stops after the first error', async () => {
    const cmd = { a: 'im.chat.add?TITLE=a', b: 'im.chat.updateColor?CHAT_ID=1&COLOR=bad', c: 'im.chat.add?TITLE=c' }
    const halted = await t.call('batch', { cmd, halt: 1 })
    expect(Object.keys(halted.json.result.result)).toEqual(['a'])
    expect(Object.keys(halted.json.result.result_error)).toEqual(['b'])
    expect(t.sb.chats()).toHaveLength(1)
    const cont = await t.call('batch', { cmd, halt: 0 })
    expect(Object.keys(cont.json.result.result)).toEqual(['a', 'c'])
  })

  it('substitutes $result[key][field] from earlier commands', async () => {
    const cmd = {
      chat: 'im.chat.add?TITLE=Ref&ENTITY_TYPE=R&ENTITY_ID=1',
      found: 'im.chat.get?ENTITY_TYPE=R&ENTITY_ID=1',
      rename: 'im.chat.updateTitle?CHAT_ID=$result[found][ID]&TITLE=Renamed',
      users: 'im.chat.user.add?CHAT_ID=$result[chat]&USERS[]=4',
    }
    const r = await t.call('batch', { cmd })
    expect(r.json.result.result_error).toEqual([])
    expect(t.sb.chats()[0]).toMatchObject({ title: 'Renamed', users: [1, 4] })
  })

  it('refuses a nested batch with ERROR_BATCH_METHOD_NOT_ALLOWED', async () => {
    const r = await t.call('batch', { cmd: { inner: 'batch?cmd[a]=profile' } })
    expect(r.json.result.result_error.inner).toEqual({ error: 'ERROR_BATCH_METHOD_NOT_ALLOWED', error_description: 'Method is not allowed for batch usage' })
  })

  it('checks scope per sub-call and gives each success its own result_time', async () => {
    const wh = t.sb.addWebhook({ scopes: ['im'] })
    const r = await t.call('batch', { cmd: { u: 'user.get?ID=1', p: 'profile' } }, { webhookUrl: wh.url })
    expect(r.json.result.result_error.u.error).toBe('insufficient_scope')
    expect(Object.keys(r.json.result.result_time)).toEqual(['p'])
    expect(r.json.result.result_time.p).toHaveProperty('duration')
  })

  it('accepts a form-encoded batch with doubly-encoded rows (the URL form)', async () => {
    const row = `im.chat.add?TITLE=${encodeURIComponent('A+B C')}`
    const body = `cmd[x]=${encodeURIComponent(row)}&halt=0`
    const f = await httpsRequest(t.sb, { method: 'POST', path: `${t.webhookPath}batch`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, agent: t.agent })
    expect(f.json.result.result.x).toBe(1)
    expect(t.sb.chats()[0]?.title).toBe('A+B C')
  })
})
