/**
 * Server capacity [C] over real HTTPS, on a manual clock (simulated server time moves only when the test says):
 * W workers run requests at full speed, extra requests queue and their latency grows while their server time does
 * not, a full queue answers 503 with an nginx HTML page before anything runs, and the request cap counts execution,
 * not the wait for a worker.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../../electron/core/clock'
import { startTestSandbox } from '../../helpers/sandbox'
import type { HttpReply, TestSandbox } from '../../helpers/sandbox'
import type { SandboxOptions } from '../../../electron/sandbox/index'

const T0 = 1_700_000_000_000
let t: TestSandbox | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})
const start = async (o: SandboxOptions): Promise<TestSandbox> => (t = await startTestSandbox({ burst: 10_000, seed: 3, ...o }))

/** Waits (real time, bounded) until the sandbox's state says so: requests arrive over real sockets. */
async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (ok()) return
    await new Promise((r) => setTimeout(r, 5))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('server capacity', () => {
  it('runs W requests at once; the rest queue: their latency grows, their server time does not', async () => {
    const clock = new ManualClock(T0)
    const s = await start({ latencyMs: 300, clock, workers: 2, queueLimit: 8 })
    const replies = Array.from({ length: 4 }, (_, i) => s.call('im.chat.add', { TITLE: `q${i}` }))
    await until('2 running, 2 queued', () => s.sb.stats().capacity.running === 2 && s.sb.stats().capacity.queued === 2)
    expect(s.sb.chats()).toHaveLength(0)
    await clock.advance(5_000)
    const r = await Promise.all(replies)
    expect(r.map((x) => x.status)).toEqual([200, 200, 200, 200])
    const times = r.map((x) => x.json.time as { start: number; finish: number; duration: number })
    const arrived = T0 / 1000
    const [ran, queued] = [times.filter((x) => x.start === arrived), times.filter((x) => x.start > arrived)]
    expect(ran).toHaveLength(2)
    expect(queued).toHaveLength(2)
    // A queued request starts when a worker frees, and is answered later than its own server time.
    const firstFree = Math.min(...ran.map((x) => x.finish))
    for (const q of queued) {
      expect(q.start).toBeGreaterThanOrEqual(firstFree - 1e-6)
      expect(q.finish - arrived).toBeGreaterThan(q.duration + 0.1)
      expect(q.duration).toBeLessThan(1)
    }
    expect(s.sb.stats().capacity).toMatchObject({ workers: 2, queueLimit: 8, maxRunning: 2, maxQueued: 2, rejected: 0, running: 0, queued: 0 })
    expect(s.sb.chats()).toHaveLength(4)
  })

  it('a full queue answers 503 with an nginx HTML page; nothing runs, nothing is billed, the bucket is untouched', async () => {
    const clock = new ManualClock(T0)
    const s = await start({ latencyMs: 300, clock, workers: 1, queueLimit: 1 })
    const a = s.call('im.chat.add', { TITLE: 'runs' })
    await until('one running', () => s.sb.stats().capacity.running === 1)
    const b = s.call('im.chat.add', { TITLE: 'waits' })
    await until('one queued', () => s.sb.stats().capacity.queued === 1)
    const refused: HttpReply = await s.call('im.chat.add', { TITLE: 'refused' })
    expect(refused.status).toBe(503)
    expect(refused.headers['content-type']).toMatch(/text\/html/)
    expect(refused.text).toContain('503 Service Temporarily Unavailable')
    expect(refused.json).toBeUndefined()
    // Only the running request has reached the leaky bucket: the queued one has not yet, the refused one never will.
    expect(s.sb.stats().bucket.level).toBe(1)
    await clock.advance(5_000)
    expect((await a).status).toBe(200)
    expect((await b).status).toBe(200)
    expect(s.sb.chats().map((c) => c.title)).toEqual(['runs', 'waits'])
    const st = s.sb.stats()
    expect(st.capacity.rejected).toBe(1)
    expect(st.status503).toBe(0) // not the leaky bucket's QUERY_LIMIT_EXCEEDED
    expect(st.calls['im.chat.add']).toBe(2)
  })

  it('the request cap counts execution, not the wait for a worker: a queued request under the cap is answered, a longer one gets 504 HTML', async () => {
    const clock = new ManualClock(T0)
    const s = await start({ latencyMs: 300, clock, workers: 1, requestCapSec: 1 })
    const two = { cmd: { a: 'im.chat.add?TITLE=a', b: 'im.chat.add?TITLE=b' } }
    const first = s.call('batch', two)
    await until('one running', () => s.sb.stats().capacity.running === 1)
    const second = s.call('batch', { cmd: { c: 'im.chat.add?TITLE=c', d: 'im.chat.add?TITLE=d' } })
    await until('one queued', () => s.sb.stats().capacity.queued === 1)
    await clock.advance(5_000)
    const [r1, r2] = await Promise.all([first, second])
    expect(r1.status).toBe(200)
    expect(r2.status).toBe(200)
    const t2 = r2.json.time as { start: number; finish: number; duration: number }
    expect(t2.finish - T0 / 1000).toBeGreaterThan(1) // answered more than the cap after it arrived …
    expect(t2.duration).toBeLessThan(1) // … because only its execution counts
    const long = s.call('batch', { cmd: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`l${i}`, `im.chat.add?TITLE=l${i}`])) })
    await until('running', () => s.sb.stats().capacity.running === 1)
    const startedAt = clock.now()
    await clock.advance(5_000)
    const r3 = await long
    expect(r3.status).toBe(504)
    expect(r3.headers['content-type']).toMatch(/text\/html/)
    expect(r3.text).toContain('504 Gateway Time-out')
    expect(s.sb.chats().length).toBeGreaterThan(4)
    expect(s.sb.chats().length).toBeLessThan(14)
    expect(startedAt).toBe(T0 + 5_000)
  })

  it('workers: 0 runs everything at once (the model switched off)', async () => {
    const clock = new ManualClock(T0)
    const s = await start({ latencyMs: 300, clock, workers: 0 })
    const replies = Array.from({ length: 30 }, (_, i) => s.call('im.chat.add', { TITLE: `u${i}` }))
    await until('30 running', () => s.sb.stats().capacity.running === 30)
    await clock.advance(5_000)
    expect((await Promise.all(replies)).every((r) => r.status === 200 && r.json.time.start === T0 / 1000)).toBe(true)
    expect(s.sb.stats().capacity).toMatchObject({ workers: 0, maxQueued: 0, rejected: 0 })
  })
})
