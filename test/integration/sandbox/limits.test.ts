import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../../electron/core/clock'
import type { SandboxOptions } from '../../../electron/sandbox/index'
import { startTestSandbox } from '../../helpers/sandbox'
import type { TestSandbox } from '../../helpers/sandbox'

/** The exact body of bitrix-tools/b24-rest-docs#193 (literal on purpose: not the sandbox's own constant). */
const QLE_BODY = '{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}'

let t: TestSandbox | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})
const start = async (o: SandboxOptions): Promise<TestSandbox> => (t = await startTestSandbox(o))
const T0 = 1_700_000_000_000

describe('leaky bucket (injected clock)', () => {
  it('holds burst requests, then 503 with the exact body and no side effects, then drains rps per second', async () => {
    const clock = new ManualClock(T0)
    const s = await start({ latencyMs: 0, burst: 3, rps: 1, clock })
    for (let i = 0; i < 3; i++) expect((await s.call('im.chat.add', { TITLE: `ok${i}` })).status).toBe(200)
    const over = await s.call('im.chat.add', { TITLE: 'rejected' })
    expect(over.status).toBe(503)
    expect(over.text).toBe(QLE_BODY)
    expect(s.sb.chats().map((c) => c.title)).toEqual(['ok0', 'ok1', 'ok2'])
    await clock.advance(1000)
    expect((await s.call('profile')).status).toBe(200)
    expect((await s.call('profile')).status).toBe(503)
    expect(s.sb.stats()).toMatchObject({ status503: 2, bucket: { burst: 3, rps: 1, level: 3 } })
  })

  it('counts a batch as one request', async () => {
    const clock = new ManualClock(T0)
    const s = await start({ latencyMs: 0, burst: 2, rps: 1, clock })
    const cmd = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`c${i}`, `im.chat.add?TITLE=b${i}`]))
    expect((await s.call('batch', { cmd })).status).toBe(200)
    expect((await s.call('profile')).status).toBe(200)
    expect((await s.call('profile')).status).toBe(503)
    expect(s.sb.chats()).toHaveLength(10)
  })

  it('uses the enterprise plan bucket (250 / 5)', async () => {
    const s = await start({ latencyMs: 0, plan: 'enterprise', clock: new ManualClock(T0) })
    expect(s.sb.stats().bucket).toMatchObject({ burst: 250, rps: 5 })
  })
})

async function untilLimited(s: TestSandbox, method: string, params: Record<string, unknown>, max = 60): Promise<{ ok: { json: { time: Record<string, number> } }[]; limited: { status: number; json: unknown; text: string } }> {
  const ok = []
  for (let i = 0; i < max; i++) {
    const r = await s.call(method, params)
    if (r.status !== 200) return { ok, limited: r }
    ok.push(r)
  }
  throw new Error('never limited')
}

describe('operating budget (auto-advancing clock, simulated server time)', () => {
  it('sliding window: 429 OPERATION_TIME_LIMIT once the window holds the limit; other methods unaffected; free again when the bucket expires', async () => {
    const clock = new ManualClock(T0, true)
    const s = await start({ latencyMs: 300, operatingLimitSec: 2, burst: 10_000, clock, seed: 3 })
    const { ok, limited } = await untilLimited(s, 'im.chat.add', { USERS: [2] })
    expect(limited.status).toBe(429)
    expect(limited.json).toEqual({ error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' })
    expect(ok.length).toBeGreaterThan(2)
    const times = ok.map((r) => r.json.time as { start: number; finish: number; duration: number; operating: number; operating_reset_at: number })
    // operating grows by each call's duration; the call that crossed the limit was still served.
    for (let i = 1; i < times.length; i++) expect(times[i]!.operating).toBeCloseTo(times[i - 1]!.operating + times[i]!.duration, 3)
    expect(times.at(-1)!.operating).toBeGreaterThanOrEqual(2)
    expect(times.at(-2)!.operating).toBeLessThan(2)
    expect(times[0]!.operating_reset_at).toBe(Math.floor(times[0]!.finish + 600)) // first counted call + window
    expect(s.sb.chats()).toHaveLength(ok.length) // the refused call did nothing
    expect((await s.call('im.chat.get', { ENTITY_TYPE: 'A', ENTITY_ID: 'B' })).status).toBe(200)
    const st = s.sb.stats()
    expect(st.status429).toBe(1)
    expect(st.operating.find((o) => o.method === 'im.chat.add')).toMatchObject({ authType: 'webhook', credential: 'webhook-1', resetAt: times[0]!.operating_reset_at })
    await clock.advance(600_000)
    expect((await s.call('im.chat.add', {})).status).toBe(200)
  })

  it('counts only calls longer than 0.1 s', async () => {
    const clock = new ManualClock(T0, true)
    const s = await start({ latencyMs: 100, burst: 10_000, clock })
    const r = await s.call('user.get', { ID: 1 }) // ~8 ms of simulated time
    expect(r.json.time.operating).toBe(0)
    expect(r.json.time.operating_reset_at).toBeUndefined()
  })

  it('ban mode: the first breach bans the method for 300 s with operating_reset_at = ban end', async () => {
    const clock = new ManualClock(T0, true)
    const s = await start({ latencyMs: 300, operatingLimitSec: 1, burst: 10_000, clock, banMode: true })
    const { limited } = await untilLimited(s, 'im.chat.add', {})
    expect(limited.status).toBe(429)
    const ban = s.sb.stats().operating.find((o) => o.method === 'im.chat.add')
    expect(ban?.bannedUntil).toBe(clock.now() + 300_000)
    expect(ban?.resetAt).toBe(Math.ceil((clock.now() + 300_000) / 1000))
    expect(ban?.usedSec).toBe(0)
    await clock.advance(299_000)
    expect((await s.call('im.chat.add', {})).status).toBe(429)
    await clock.advance(1_000)
    const after = await s.call('im.chat.add', {})
    expect(after.status).toBe(200)
    expect(after.json.time.operating).toBeCloseTo(after.json.time.duration, 3)
  })

  it('batch-half billing (default): billed under batch at 0.5, sub-calls free, every result_time carries the batch operating', async () => {
    const clock = new ManualClock(T0, true)
    const s = await start({ latencyMs: 300, burst: 10_000, clock })
    const cmd = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`c${i}`, `im.chat.add?USERS[]=${i + 2}`]))
    const r = await s.call('batch', { cmd })
    expect(r.status).toBe(200)
    const { time } = r.json
    expect(time.operating).toBeCloseTo(time.processing * 0.5, 3)
    for (const k of Object.keys(cmd)) expect(r.json.result.result_time[k].operating).toBe(time.operating)
    const methods = s.sb.stats().operating.map((o) => o.method)
    expect(methods).toEqual(['batch'])
  })

  it('docs billing: the batch is free, each sub-call is checked and billed under its own method', async () => {
    const clock = new ManualClock(T0, true)
    const s = await start({ latencyMs: 300, burst: 10_000, clock, batchBilling: 'docs', operatingLimitSec: 1 })
    const cmd = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`c${i}`, 'im.chat.add?TITLE=x']))
    const r = await s.call('batch', { cmd })
    expect(r.json.time.operating).toBe(0)
    const errs = r.json.result.result_error
    const okKeys = Object.keys(r.json.result.result)
    expect(okKeys.length).toBeGreaterThan(1)
    expect(okKeys.length).toBeLessThan(12)
    for (const k of Object.keys(errs)) expect(errs[k]).toEqual({ error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' })
    const last = r.json.result.result_time[okKeys.at(-1)!]
    expect(last.operating).toBeGreaterThanOrEqual(1)
    expect(s.sb.stats().operating.map((o) => o.method)).toEqual(['im.chat.add'])
    expect(s.sb.stats().status429).toBe(12 - okKeys.length)
  })

  it('keys the budget by credential: another webhook is not blocked', async () => {
    const clock = new ManualClock(T0, true)
    const s = await start({ latencyMs: 300, operatingLimitSec: 1, burst: 10_000, clock })
    await untilLimited(s, 'im.chat.add', {})
    const other = s.sb.addWebhook()
    expect((await s.call('im.chat.add', {}, { webhookUrl: other.url })).status).toBe(200)
  })
})

describe('time block and request cap', () => {
  it('reports start, finish, duration, processing and ISO dates; simulated time really elapses on the clock', async () => {
    const clock = new ManualClock(T0, true)
    const s = await start({ latencyMs: 300, burst: 10_000, clock })
    const r = await s.call('im.chat.add', { USERS: [2, 3] })
    const tb = r.json.time
    expect(tb.start).toBe(T0 / 1000)
    expect(tb.finish).toBeCloseTo(clock.now() / 1000, 6)
    expect(tb.duration).toBeCloseTo(tb.finish - tb.start, 6)
    expect(tb.duration).toBeGreaterThan(0.05)
    expect(tb.date_start).toBe('2023-11-14T22:13:20+00:00')
    expect(tb.date_finish).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/)
    const err = await s.call('im.chat.add', { USERS: [[1]] })
    expect(err.status).toBe(400)
    expect(err.json).toEqual({ error: 'INVALID_FORMAT', error_description: 'Parameter USERS has wrong type' })
  })

  it('kills a request past the cap with 504 and an HTML body; commands already done stay done', async () => {
    const clock = new ManualClock(T0, true)
    const s = await start({ latencyMs: 300, burst: 10_000, clock, requestCapSec: 1 })
    const cmd = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`c${i}`, `im.chat.add?TITLE=n${i}`]))
    const r = await s.call('batch', { cmd })
    expect(r.status).toBe(504)
    expect(r.headers['content-type']).toMatch(/text\/html/)
    expect(r.text).toContain('504 Gateway Time-out')
    const n = s.sb.chats().length
    expect(n).toBeGreaterThan(0)
    expect(n).toBeLessThan(20)
    expect(clock.now() - T0).toBe(1000)
  })
})
