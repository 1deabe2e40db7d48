import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../electron/core/clock'
import type { Clock } from '../../../electron/core/clock'
import { createPortalClient } from '../../../electron/core/portal/client'
import { callsLeft, etaSec, limitsForPlan, Pacer, PacerRegistry, PacerStuck } from '../../../electron/core/portal/pacer'
import { AdaptiveLimiter } from '../../../electron/core/portal/pacer/limiter'
import { BillingModel, DEFAULT_SERVER_SEC, EVERY_METHOD } from '../../../electron/core/portal/pacer/billing'
import type { HttpRequest, HttpResponse, Transport } from '../../../electron/core/portal/transport'
import { batchSize } from '../../../electron/core/sync/batching'
import { runJob } from '../../../electron/core/sync/runner'
import { JobStore } from '../../../electron/core/sync/store'
import { AppFailure } from '../../../electron/shared/result'
import type { SheetRow } from '../../../electron/shared/sheet'

const T0 = 1_700_000_000_000
const HOOK = 'https://portal.test/rest/1/s3cr3tW3bh00k/'

/** Lets every pending promise chain run (admission, send, transport). */
const flush = (): Promise<void> => new Promise((r) => setImmediate(r))
const ok = (wallMs: number, serverMs: number) => ({ kind: 'ok' as const, wallMs, serverMs })

describe('adaptive concurrency limiter', () => {
  it('starts at the setting (no slow start); after a decrease it regrows by one per round trip while latency holds', () => {
    const l = new AdaptiveLimiter(4)
    expect(l.allowance()).toBe(4)
    const wave = [l.start(), l.start(), l.start(), l.start()]
    expect(l.canStart()).toBe(false)
    l.finish(wave[0] as never, { kind: 'overload' }) // a 5xx: halved
    expect(l.allowance()).toBe(2)
    for (const t of wave.slice(1)) l.finish(t, ok(1010, 1000)) // sent before the decrease: no growth
    expect(l.allowance()).toBe(2)
    const a = l.start()
    const b = l.start()
    l.finish(a, ok(1010, 1000)) // saturated (2 of 2 in flight): +1/2
    l.finish(b, ok(1010, 1000)) // 1 of 2 in flight: not saturated, no growth
    expect(l.allowance()).toBe(2)
    const c = [l.start(), l.start()]
    l.finish(c[0] as never, ok(1010, 1000)) // saturated again: 2.5 + 1/2.5 = 2.9
    expect(l.allowance()).toBe(2)
    l.finish(c[1] as never, ok(1010, 1000))
    const d = [l.start(), l.start()]
    l.finish(d[0] as never, ok(1010, 1000)) // 3.24: one more per round trip
    expect(l.allowance()).toBe(3)
    for (let i = 0; i < 20; i++) {
      const pipe = Array.from({ length: l.allowance() - l.inFlight }, () => l.start())
      for (const t of pipe) l.finish(t, ok(1010, 1000))
    }
    expect(l.allowance()).toBe(4) // capped at the ceiling
    l.finish(d[1] as never, ok(1010, 1000))
    expect(l.inFlight).toBe(0)
  })

  it('backs off ×0.7 when a request queued longer than half its server time, and ignores answers sent before', () => {
    const l = new AdaptiveLimiter(3)
    const first = [l.start(), l.start()]
    l.finish(first[0] as never, ok(1005, 1000)) // overhead floor: 5 ms
    l.finish(first[1] as never, ok(1005, 1000))
    const wave = Array.from({ length: 3 }, () => l.start())
    expect(l.allowance()).toBe(3)
    l.finish(wave[2] as never, ok(1805, 1000)) // sent with 3 in flight, queued 800 ms > 500 ms: congested
    expect(l.allowance()).toBe(2) // min(3 × 0.7, 3 × 1000 / 1800 + 1) = 2.1
    l.finish(wave[1] as never, ok(2505, 1000)) // sent before the decrease: does not count again
    l.finish(wave[0] as never, ok(1005, 1000)) // nor does it grow
    expect(l.allowance()).toBe(2)
    // After a decrease: +1/limit per saturated answer (one per round trip).
    const next = [l.start(), l.start()]
    for (const t of next) l.finish(t, ok(1005, 1000))
    expect(l.allowance()).toBe(2)
    expect(l.loadFactor()).toBeGreaterThan(1)
  })

  it('a start above what the portal runs at once is taken back by one congested answer (Little)', () => {
    const l = new AdaptiveLimiter(16)
    expect(l.allowance()).toBe(16)
    // the overhead floor: 0 ms (two answers that did not queue)
    for (const t of [l.start(), l.start()]) l.finish(t, ok(1000, 1000))
    // a request sent with 8 in flight waited as long as it ran: the portal runs about 8 / 2 = 4 at once
    const wave = Array.from({ length: 8 }, () => l.start())
    l.finish(wave[7] as never, ok(2000, 1000))
    expect(l.allowance()).toBe(5) // 4 + 1, not 16 × 0.7
    // queueing of a tenth to a half of the server time holds it: no growth, no decrease
    for (const t of wave.slice(0, 7)) l.finish(t, ok(1000, 1000))
    const held = Array.from({ length: 5 }, () => l.start())
    for (const t of held) l.finish(t, ok(1300, 1000))
    expect(l.allowance()).toBe(5)
  })

  it('a light request that queued behind heavy ones is judged against the heavy server time (Little, on the mix)', () => {
    const l = new AdaptiveLimiter(16)
    // batches of 750 ms ran without queueing (network floor 0)
    for (const t of [l.start(), l.start()]) l.finish(t, ok(750, 750))
    // a lookup of 20 ms sent with 12 in flight waited 1.5 s behind them: the portal runs ~12 × 750 / 2250 = 4 at once
    const wave = Array.from({ length: 12 }, () => l.start())
    l.finish(wave[11] as never, ok(1520, 20))
    expect(l.allowance()).toBe(5) // 4 + 1 — not 12 × 20 / 1520 + 1 = 1
    for (const t of wave.slice(0, 11)) l.finish(t, { kind: 'neutral' })
    // lookups that waited 50 ms (under a tenth of the batches' 750 ms) are no sign of congestion: it grows again
    for (let i = 0; i < 6; i++) {
      const pipe = Array.from({ length: l.allowance() }, () => l.start())
      l.finish(pipe[0] as never, ok(70, 20))
      for (const t of pipe.slice(1)) l.finish(t, { kind: 'neutral' })
    }
    expect(l.allowance()).toBe(6)
  })

  it('halves on 5xx, HTML or a timeout, never below 1; neutral answers change nothing', () => {
    const l = new AdaptiveLimiter(3)
    expect(l.allowance()).toBe(3)
    const o = l.start()
    l.finish(o, { kind: 'overload' })
    expect(l.allowance()).toBe(1) // 3 × 0.5 = 1.5
    l.finish(l.start(), { kind: 'overload' })
    expect(l.allowance()).toBe(1)
    l.finish(l.start(), { kind: 'neutral' })
    expect(l.allowance()).toBe(1)
    expect(l.inFlight).toBe(0)
  })
})

describe('budget reservations', () => {
  const limits = limitsForPlan('standard', { operatingLimitSec: 100, operatingWindowSec: 600 })

  it('counts the expected cost of requests in flight before admitting the next, and reconciles with the report', async () => {
    const clock = new ManualClock(T0)
    const p = new Pacer({ clock, limits, margin: 0.9, priorServerSec: { 'im.chat.add': 1 }, concurrency: 4 })
    // docs billing learned: the outer batch is free
    p.observe({ serverSec: { 'im.chat.add': 1 }, calls: { 'im.chat.add': 1 }, reports: [{ key: 'batch', operating: 0, serverNow: T0 / 1000 }], wallMs: 1000 })
    const first = await p.admit({ calls: { 'im.chat.add': 60 }, batch: true })
    expect(p.reservedSec('im.chat.add')).toBeCloseTo(72, 5) // 60 s expected + the 20 % estimate allowance
    let second = false
    const pending = p.admit({ calls: { 'im.chat.add': 40 }, batch: true }).then((t) => {
      second = true
      return t
    })
    await clock.advance(1000)
    expect(second).toBe(false) // 72 + 48 > 97.5 (the budget the client allows itself)
    expect(p.pacing).toMatchObject({ kind: 'operating', method: 'im.chat.add' })
    // The answer: the portal billed 50 s, not 60.
    p.observe({ serverSec: { 'im.chat.add': 50 }, calls: { 'im.chat.add': 60 }, reports: [{ key: 'im.chat.add', operating: 50, resetAt: (T0 + 600_000) / 1000, serverNow: (T0 + 1000) / 1000 }], wallMs: 1000 })
    p.complete(first, { spent: 'released', sample: { kind: 'neutral' } })
    const t2 = await pending
    expect(second).toBe(true)
    expect(p.usedSec('im.chat.add')).toBeCloseTo(50, 5)
    // what the second holds: its 40 calls at the cost per call just learned (50 s / 60 calls), + 20 %
    expect(p.reservedSec('im.chat.add')).toBeCloseTo(40 * p.costPerCall('im.chat.add', 'im.chat.add') * 1.2, 5)
    expect(p.costPerCall('im.chat.add', 'im.chat.add')).toBeLessThan(0.85)
    // An unknown outcome (it may have run) keeps its expected cost booked.
    p.complete(t2, { spent: 'booked', sample: { kind: 'overload' } })
    expect(p.reservedSec('im.chat.add')).toBe(0)
    expect(p.usedSec('im.chat.add')).toBeCloseTo(50 + 40 * p.costPerCall('im.chat.add', 'im.chat.add') * 1.2, 5)
  })

  it('a budget wait ends when a request in flight gives its reservation back, not when the booked entries expire', async () => {
    const clock = new ManualClock(T0)
    const p = new Pacer({ clock, limits, margin: 0.9, priorServerSec: { 'im.chat.add': 1 }, concurrency: 4 })
    p.observe({ serverSec: { 'im.chat.add': 1 }, calls: { 'im.chat.add': 1 }, reports: [{ key: 'batch', operating: 0, serverNow: T0 / 1000 }], wallMs: 1000 })
    // 20 s booked (expires in 600 s) and 60 calls in flight holding 72 s: 20 more calls (24 s) do not fit in 97.5
    p.observe({ serverSec: { 'im.chat.add': 20 }, calls: { 'im.chat.add': 20 }, reports: [{ key: 'im.chat.add', operating: 20, resetAt: (T0 + 600_000) / 1000, serverNow: T0 / 1000 }], wallMs: 1000 })
    const first = await p.admit({ calls: { 'im.chat.add': 60 }, batch: true })
    let got: number | null = null
    const wait = p.waitForBudget('im.chat.add', 20, 20).then((n) => (got = n))
    await clock.advance(1000)
    expect(got).toBe(null)
    // the answer: the batch was refused before it ran (nothing billed): the 72 s it held are free again
    p.observe({ serverSec: {}, calls: {}, reports: [{ key: 'im.chat.add', operating: 20, resetAt: (T0 + 600_000) / 1000, serverNow: (T0 + 1000) / 1000 }], wallMs: 1000 })
    p.complete(first, { spent: 'released', sample: { kind: 'neutral' } })
    await wait // at once: not 600 s later, when the 20 s booked expire
    expect(clock.now() - T0).toBe(1000)
    expect(got).toBe(20)
  })

  it('a prior names methods, and "*" stands for every method it does not name (else 0.5 s per call)', () => {
    const m = new BillingModel({ [EVERY_METHOD]: 0.025, 'im.chat.add': 0.3 })
    expect(m.serverSecPerCall('im.chat.add')).toBe(0.3)
    expect(m.serverSecPerCall('im.chat.get')).toBe(0.025)
    expect(m.costPerCall('batch', 'user.get')).toBe(0.025) // inside a batch, until `batch` reports: billed × 1
    expect(new BillingModel({ 'im.chat.add': 0.3 }).serverSecPerCall('im.chat.get')).toBe(DEFAULT_SERVER_SEC)
    m.learnServerTime('im.chat.get', 0.5, 50) // measured: the prior no longer speaks for it
    expect(m.serverSecPerCall('im.chat.get')).toBe(0.01)
    expect(m.serverSecPerCall('user.get')).toBe(0.025)
  })

  it('learns a lower billing ratio only from a request that ran alone; with others in flight it may only rise, to 1', () => {
    const m = new BillingModel({ 'im.chat.add': 1 })
    m.learnRatio('im.chat.add', { 'im.chat.add': 10 }, 5) // alone: 0.5
    expect(m.costPerCall('im.chat.add', 'im.chat.add')).toBeCloseTo(0.5, 5)
    // with others in flight most of its calls were in the previous report: a difference of 2 s says nothing
    m.learnRatio('im.chat.add', { 'im.chat.add': 10 }, 2, false)
    expect(m.costPerCall('im.chat.add', 'im.chat.add')).toBeCloseTo(0.5, 5)
    m.learnRatio('im.chat.add', { 'im.chat.add': 10 }, 14, false) // a rise is believed (the cautious side), up to 1
    expect(m.costPerCall('im.chat.add', 'im.chat.add')).toBeCloseTo(0.75, 5)
    m.learnRatio('im.chat.add', { 'im.chat.add': 10 }, 30, false)
    expect(m.costPerCall('im.chat.add', 'im.chat.add')).toBeCloseTo(0.875, 5)
    m.learnRatio('im.chat.add', { 'im.chat.add': 10 }, 2) // alone, it may fall
    expect(m.costPerCall('im.chat.add', 'im.chat.add')).toBeCloseTo(0.5375, 5)
    m.learnRatio('im.chat.add', { 'im.chat.add': 10 }, 30) // and only alone may it go past 1 (a batch's overhead)
    expect(m.costPerCall('im.chat.add', 'im.chat.add')).toBeCloseTo(1.76875, 5)
    m.learnRatio('im.chat.add', { 'im.chat.add': 10 }, 40, false) // past 1 already: overlapped, it stays
    expect(m.costPerCall('im.chat.add', 'im.chat.add')).toBeCloseTo(1.76875, 5)
  })

  it('with others always in flight, the differences between reports do not ratchet the ratio past 1', () => {
    // docs billing at 16 in flight: each answer's difference holds other requests' calls too (0.03–4.7 × its own)
    const m = new BillingModel({ 'im.chat.add': 1 })
    const deltas = [3.02, 0.26, 23.1, 41.2, 9.9, 35.5, 47, 28.4, 0.5, 44]
    for (const d of deltas) {
      m.learnRatio('im.chat.add', { 'im.chat.add': 10 }, d, false)
      expect(m.costPerCall('im.chat.add', 'im.chat.add')).toBeLessThanOrEqual(1)
    }
    expect(m.costPerCall('im.chat.add', 'im.chat.add')).toBeCloseTo(0.994234375, 9) // raised towards the true 1
    // batch-half bills the outer batch as it ends: the difference between two answers is one batch's bill, 0.5
    const b = new BillingModel({ 'im.chat.add': 1 })
    for (let i = 0; i < 5; i++) b.learnRatio('batch', { 'im.chat.add': 10 }, 5, false)
    expect(b.costPerCall('batch', 'im.chat.add')).toBeCloseTo(0.5, 9)
  })

  it('a request is alone only if no other was in flight at any moment of its life (then its report pairs exactly)', async () => {
    const p = new Pacer({ clock: new ManualClock(T0), limits, concurrency: 4 })
    const lone = await p.admit({ calls: { 'im.chat.get': 1 }, batch: false })
    expect(lone.overlapped).toBe(false)
    p.complete(lone, { spent: 'released', sample: { kind: 'neutral' } })
    const a = await p.admit({ calls: { 'im.chat.get': 1 }, batch: false })
    expect(a.overlapped).toBe(false)
    const b = await p.admit({ calls: { 'im.chat.get': 1 }, batch: false }) // sent while a was in flight
    expect(b.overlapped).toBe(true)
    expect(a.overlapped).toBe(true) // b ran during a's life
    p.complete(a, { spent: 'released', sample: { kind: 'neutral' } })
    p.complete(b, { spent: 'released', sample: { kind: 'neutral' } })
    const c = await p.admit({ calls: { 'im.chat.get': 1 }, batch: false })
    expect(c.overlapped).toBe(false)
    p.complete(c, { spent: 'released', sample: { kind: 'neutral' } })
  })

  it('ignores a report older than the last one (a concurrent answer that finished earlier): it must not trim', () => {
    const clock = new ManualClock(T0)
    const p = new Pacer({ clock, limits })
    p.observe({ serverSec: { 'im.chat.add': 5 }, calls: { 'im.chat.add': 10 }, reports: [{ key: 'im.chat.add', operating: 50, resetAt: (T0 + 600_000) / 1000, serverNow: (T0 + 10_000) / 1000 }], wallMs: 5000 })
    p.observe({ serverSec: { 'im.chat.add': 5 }, calls: { 'im.chat.add': 10 }, reports: [{ key: 'im.chat.add', operating: 30, resetAt: (T0 + 600_000) / 1000, serverNow: (T0 + 5_000) / 1000 }], wallMs: 5000 })
    expect(p.usedSec('im.chat.add')).toBeCloseTo(50, 5)
  })

  // The portal keeps its budget in buckets that expire whole `window` after their first call (the sandbox and the
  // real LoadLimiter), so its figure can drop by a bucket while new usage comes in. Two answers before: 40 s billed
  // at T0 (booked here at +5 s, when its answer came) and 40 s at +10 s; the window is 600 s.
  const M = 'im.chat.add'
  const report = (p: Pacer, at: number, operating: number, serverSec: number, resetAt: number, alone = true): void =>
    p.observe({ serverSec: { [M]: serverSec }, calls: { [M]: 10 }, reports: [{ key: M, operating, resetAt: (T0 + resetAt) / 1000, serverNow: (T0 + at) / 1000 }], wallMs: 1000, alone })
  const twoAnswers = async (): Promise<{ clock: ManualClock; p: Pacer }> => {
    const clock = new ManualClock(T0)
    const p = new Pacer({ clock, limits, priorServerSec: { [M]: 1 } })
    await clock.advance(5_000)
    report(p, 0, 40, 40, 600_000)
    await clock.advance(5_000)
    report(p, 10_000, 80, 40, 600_000)
    return { clock, p }
  }

  it('usage a report nets against an expired bucket stays counted until the portal stops counting it', async () => {
    const { clock, p } = await twoAnswers()
    // At +600 s the portal drops the first bucket (40 s); this answer's own calls ran 20 s just after: 80 − 40 + 20.
    await clock.advance(590_500)
    report(p, 600_500, 60, 20, 610_000, false)
    expect(p.usedSec(M)).toBeCloseTo(60, 5)
    // +606 s: the portal still counts 60 s (the bucket of +10 s until +610 s, and the 20 s new). Booking only the
    // net difference left the new 20 s on the entry of +5 s, which expires here at +605 s: 40 seen, 20 s too little.
    await clock.advance(5_500)
    expect(p.usedSec(M)).toBeCloseTo(60, 5)
    await clock.advance(5_000) // +611 s: the bucket of +10 s is gone there and here
    expect(p.usedSec(M)).toBeCloseTo(20, 5)
  })

  it('an answer older than the last report still dates its own usage when it arrives', async () => {
    const { clock, p } = await twoAnswers()
    // B (20 s, ran last) answers first: 80 − 40 (the first bucket) + 30 (A, still on its way) + 20.
    await clock.advance(590_500)
    report(p, 600_500, 90, 20, 610_000, false)
    // A's answer: its report (70, at +600.3 s) is older and must not re-sync, but its 30 s are new usage.
    await clock.advance(100)
    report(p, 600_300, 70, 30, 610_000, false)
    expect(p.usedSec(M)).toBeCloseTo(90, 5)
    await clock.advance(5_400) // +606 s: the portal counts 40 + 30 + 20
    expect(p.usedSec(M)).toBeCloseTo(90, 5)
  })
})

describe('429 OPERATION_TIME_LIMIT waits follow the portal', () => {
  const limits = limitsForPlan('standard', { banMode: 'ban', banSec: 300 })

  it('waits until operating_reset_at + 1 s when the last answer said it (not the 300 s ban)', () => {
    const clock = new ManualClock(T0)
    const p = new Pacer({ clock, limits })
    p.observe({ serverSec: { batch: 10 }, calls: { batch: 1 }, reports: [{ key: 'batch', operating: 470, resetAt: (T0 + 60_000) / 1000, serverNow: T0 / 1000 }], wallMs: 10 })
    expect(p.onOperationLimit('batch')).toBe(61_000)
    expect(p.blockedUntil('im.chat.add')).toBe(T0 + 61_000)
  })

  it('300 s (ban mode) or one bucket (sliding) only when the portal said nothing or that moment passed', async () => {
    const clock = new ManualClock(T0)
    const p = new Pacer({ clock, limits })
    expect(p.onOperationLimit('im.chat.add')).toBe(300_000)
    p.observe({ serverSec: { 'im.chat.add': 1 }, calls: { 'im.chat.add': 1 }, reports: [{ key: 'im.chat.add', operating: 470, resetAt: (T0 + 20_000) / 1000, serverNow: T0 / 1000 }], wallMs: 10 })
    await clock.advance(30_000)
    expect(p.onOperationLimit('im.chat.add')).toBe(300_000)
    const sliding = new Pacer({ clock, limits: { ...limits, banMode: 'sliding' } })
    expect(sliding.onOperationLimit('im.chat.add')).toBe(60_000)
  })

  it('the client resends after operating_reset_at + 1 s, not 300 s (issue 11 §4)', async () => {
    const clock = new ManualClock(T0, true)
    let n = 0
    const sentAt: number[] = []
    const transport: Transport = async (req: HttpRequest): Promise<HttpResponse> => {
      sentAt.push(clock.now())
      n++
      const now = clock.now() / 1000
      if (n === 2) return { status: 429, headers: {}, body: JSON.stringify({ error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' }) }
      void req
      // 400 s used by this client (under its 468 s): another tool on the same webhook spent the rest.
      return { status: 200, headers: {}, body: JSON.stringify({ result: n, time: { start: now, finish: now, duration: 0.3, processing: 0.3, date_start: '', date_finish: '', operating: 400, operating_reset_at: Math.floor(now) + 60 } }) }
    }
    const client = createPortalClient({ kind: 'webhook', url: HOOK }, { clock, transport })
    await client.call('im.chat.add', { TITLE: 'a' })
    await client.call('im.chat.add', { TITLE: 'b' })
    expect(sentAt).toHaveLength(3)
    const waited = (sentAt[2] as number) - (sentAt[1] as number)
    expect(waited).toBeGreaterThanOrEqual(60_000)
    expect(waited).toBeLessThan(62_000)
  })
})

describe('no silent fall-through: PacerStuck', () => {
  /** A clock whose sleeps return at once while time stands still: every wait loop would spin forever. */
  const stuckClock: Clock = { now: () => T0, sleep: async () => undefined }

  it('takeSlot and waitForBudget throw a named failure instead of returning as if they had waited', async () => {
    const p = new Pacer({ clock: stuckClock, limits: limitsForPlan('standard') })
    for (let i = 0; i < p.bucketCapacity; i++) await p.takeSlot()
    await expect(p.takeSlot()).rejects.toBeInstanceOf(PacerStuck)
    p.onOperationLimit('im.chat.add')
    const e = await p.waitForBudget('im.chat.add', 10).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(PacerStuck)
    expect(e).toBeInstanceOf(AppFailure)
    expect((e as AppFailure).appError).toMatchObject({ code: 'INTERNAL' })
    expect((e as AppFailure).message).toMatch(/operating budget/)
    expect((e as AppFailure).appError.messageRu).toBeTruthy()
  })

  it('a request that can never be admitted fails with PacerStuck through client.batch', async () => {
    const transport: Transport = async () => ({ status: 200, headers: {}, body: '{"result":1}' })
    const client = createPortalClient({ kind: 'webhook', url: HOOK }, { clock: stuckClock, transport })
    client.pacer.onOperationLimit('batch')
    const e = await client.batch({ a: ['im.chat.add', { TITLE: 'x' }] }).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(PacerStuck)
    expect((e as AppFailure).appError.code).toBe('INTERNAL')
    expect((e as AppFailure).message).toMatch(/request slot/)
  })

  it('reaches the job: the run ends failed with the pacer message, never as if the batch had been sent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'b24-stuck-'))
    try {
      let sent = 0
      const transport: Transport = async () => {
        sent++
        return { status: 200, headers: {}, body: '{"result":1}' }
      }
      const client = createPortalClient({ kind: 'webhook', url: HOOK }, { clock: stuckClock, transport })
      client.pacer.onOperationLimit('im.chat.add')
      client.pacer.onOperationLimit('batch')
      const row = (i: number): SheetRow => ({ key: `k${i}`, line: i + 2, cells: {}, status: 'ready', params: { TITLE: `Chat ${i}` }, emails: [], titlePreview: `Chat ${i}`, titleGenerated: false, colorAuto: true, problems: [] })
      const store = new JobStore(dir, { clock: stuckClock })
      const job = await store.createDraft({ rows: [row(0), row(1)], profile: 'Main', source: 'chats.csv' })
      const end = await runJob({ store, jobId: job.id, client, clock: stuckClock })
      expect(end.type).toBe('failed')
      expect(end.type === 'failed' && end.error).toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/request pacer gave up/) })
      expect(sent).toBe(0)
      expect(job.counts()).toMatchObject({ planned: 2, created: 0 })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('one pacer per portal', () => {
  it('two profiles on one portal share the concurrency and the bucket; the budget stays per credential', async () => {
    const clock = new ManualClock(T0)
    const pacers = new PacerRegistry(clock)
    const release: (() => void)[] = []
    let inFlight = 0
    let most = 0
    const transport: Transport = async () => {
      inFlight++
      most = Math.max(most, inFlight)
      await new Promise<void>((r) => release.push(r))
      inFlight--
      const now = clock.now() / 1000
      return { status: 200, headers: {}, body: JSON.stringify({ result: true, time: { start: now, finish: now, duration: 0.01, processing: 0.01, date_start: '', date_finish: '' } }) }
    }
    const a = createPortalClient({ kind: 'webhook', url: 'https://portal.test/rest/1/aaaa1111/' }, { clock, transport, pacers, concurrency: 2 })
    const b = createPortalClient({ kind: 'webhook', url: 'https://PORTAL.test/rest/2/bbbb2222/' }, { clock, transport, pacers, concurrency: 2 })
    const other = createPortalClient({ kind: 'webhook', url: 'https://other.test/rest/1/cccc3333/' }, { clock, transport, pacers, concurrency: 2 })
    expect(a.pacer.portal).toBe(b.pacer.portal)
    expect(a.pacer.portal).not.toBe(other.pacer.portal)
    expect(a.pacer.ledger).not.toBe(b.pacer.ledger)
    const calls = [a.call('profile'), b.call('profile'), a.call('scope'), b.call('scope')]
    await flush()
    expect(inFlight).toBe(2) // the shared allowance (2), not 2 per profile
    expect(a.pacer.flow().inFlight).toBe(2)
    for (let i = 0; i < 10 && release.length; i++) {
      release.shift()?.()
      await flush()
    }
    await Promise.all(calls)
    expect(most).toBe(2)
    // A's budget is full; B's is not.
    a.pacer.observe({ serverSec: { 'im.chat.add': 1 }, calls: { 'im.chat.add': 1 }, reports: [{ key: 'im.chat.add', operating: 470, resetAt: (clock.now() + 600_000) / 1000 }], wallMs: 10 })
    expect(a.pacer.affordable('im.chat.add')).toBe(0)
    expect(b.pacer.affordable('im.chat.add')).toBeGreaterThan(0)
    expect(b.pacer.flow().budgetUsedPct).toBeNull()
    expect(a.pacer.flow()).toMatchObject({ budgetUsedPct: 98, budgetMethod: 'im.chat.add' })
  })
})

describe('concurrent batches through one client', () => {
  it('keeps up to inFlightLimit() batches in flight (the engine contract), at the setting from the start and never past it', async () => {
    const clock = new ManualClock(T0)
    let inFlight = 0
    let most = 0
    let id = 0
    const transport: Transport = async (req) => {
      inFlight++
      most = Math.max(most, inFlight)
      const start = clock.now()
      const cmd = (JSON.parse(req.body ?? '{}') as { cmd: Record<string, string> }).cmd
      await clock.sleep(Object.keys(cmd).length * 300)
      inFlight--
      const t = (ms: number) => ({ start: start / 1000, finish: ms / 1000, duration: (ms - start) / 1000, processing: (ms - start) / 1000, date_start: '', date_finish: '' })
      const result = Object.fromEntries(Object.keys(cmd).map((k) => [k, ++id]))
      const times = Object.fromEntries(Object.keys(cmd).map((k) => [k, t(clock.now())]))
      return { status: 200, headers: {}, body: JSON.stringify({ result: { result, result_error: [], result_total: [], result_next: [], result_time: times }, time: { ...t(clock.now()), operating: 0 } }) }
    }
    const client = createPortalClient({ kind: 'webhook', url: HOOK }, { clock, transport, concurrency: 4 })
    const cmd = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`r${i}`, ['im.chat.add', { TITLE: `t${i}` }] as [string, Record<string, unknown>]]))
    let left = 24
    const running = new Set<Promise<unknown>>()
    const allowed: number[] = []
    const launch = (): void => {
      while (left > 0 && running.size < client.pacer.inFlightLimit()) {
        left--
        allowed.push(client.pacer.inFlightLimit())
        const p: Promise<unknown> = client.batch(cmd).finally(() => {
          running.delete(p)
          launch()
        })
        running.add(p)
      }
    }
    launch()
    for (let i = 0; i < 200 && (left > 0 || running.size > 0); i++) await clock.advance(500)
    expect(left).toBe(0)
    expect(running.size).toBe(0)
    expect(id).toBe(240)
    expect(most).toBe(4)
    expect(allowed).toEqual(new Array(24).fill(4))
    // 24 batches of 3 s, 4 at a time from the start: 6 rounds, a quarter of the 72 s one at a time would take (each
    // round may end up to one 0.5 s step of the clock late).
    expect(clock.now() - T0).toBeLessThanOrEqual(6 * (3_000 + 500))
    expect(client.pacer.pacing).toMatchObject({ kind: 'idle', flow: { inFlight: 0, limit: 4, ceiling: 4 } })
  })
})

describe('ETA with concurrency', () => {
  const base = { now: T0, secPerCall: 0.3, overheadSec: 0, loadFactor: 1, bucketFree: 45, drainPerSec: 1.8 }
  const key = { costPerCall: 0.3, used: 0, reserved: 0, budgetSec: 468, windowSec: 600, entries: [], blockedUntil: 0 }

  it('spreads the server time over the requests allowed in flight', () => {
    // 1,000 chats × 0.3 s = 300 s, 4 in flight → 75 s; 20 requests fit the bucket; 300 s fit the budget.
    expect(etaSec({ ...base, calls: 1000, requests: 20, parallel: 4, keys: [key] })).toBeCloseTo(75, 6)
    expect(etaSec({ ...base, calls: 1000, requests: 20, parallel: 1, keys: [key] })).toBeCloseTo(300, 6)
    // queueing doubles what each request takes: 150 s
    expect(etaSec({ ...base, calls: 1000, requests: 20, parallel: 4, loadFactor: 2, keys: [key] })).toBeCloseTo(150, 6)
  })

  it('waits for the budget when it binds, whatever the concurrency', () => {
    // 400 s booked 300 s ago: the 300 s needed fit only when that entry expires, 300 s from now.
    const busy = { ...key, used: 400, entries: [{ at: T0 - 300_000, cost: 400 }] }
    expect(etaSec({ ...base, calls: 1000, requests: 20, parallel: 4, keys: [busy] })).toBeCloseTo(300, 6)
    // the bucket binds: 145 requests, 45 free, then 1.8 per second → 55.6 s
    expect(etaSec({ ...base, calls: 145, requests: 145, parallel: 16, secPerCall: 0.01, keys: [] })).toBeCloseTo(100 / 1.8, 6)
  })
})

describe('batch sizes follow the latency observed under concurrency', () => {
  it('when calls take three times longer under load, the next batch holds a third as many (≤ 20 s)', () => {
    const p = new Pacer({ clock: new ManualClock(T0), limits: limitsForPlan('standard'), priorServerSec: { 'im.chat.add': 0.3 } })
    const bytes = new Array(50).fill(200)
    expect(batchSize(bytes, p.serverSecPerCall('im.chat.add'), 50)).toBe(50) // 50 × 0.3 s = 15 s
    // one batch of 50 under load: 45 s of server time, 0.9 s a call
    p.observe({ serverSec: { 'im.chat.add': 45 }, calls: { 'im.chat.add': 50 }, reports: [], wallMs: 45_000, durationSec: 45 })
    expect(p.serverSecPerCall('im.chat.add')).toBeGreaterThan(0.85)
    expect(batchSize(bytes, p.serverSecPerCall('im.chat.add'), 50)).toBe(22) // 20 s / 0.9 s
    // requests also waited as long as they ran (the network's share: 50 ms): the latency per call grows again
    const l = p.portal.limiter
    l.finish(l.start(), { kind: 'ok', wallMs: 45_050, serverMs: 45_000 })
    l.finish(l.start(), { kind: 'ok', wallMs: 90_050, serverMs: 45_000 })
    expect(p.latencySecPerCall('im.chat.add')).toBeGreaterThan(1.1 * p.serverSecPerCall('im.chat.add'))
    expect(batchSize(bytes, p.latencySecPerCall('im.chat.add'), 50)).toBeLessThan(22)
  })
})

describe('batch sizes for concurrency', () => {
  it('the rows spread over whole rounds of what is allowed in flight, at most a full batch', () => {
    const p = new Pacer({ clock: new ManualClock(T0), limits: limitsForPlan('standard'), concurrency: 16 })
    const l = p.portal.limiter
    expect(p.inFlightLimit()).toBe(16) // the setting from the start
    expect(p.batchCalls(1000)).toBe(32) // two even rounds of 16 batches (1,000 / 32), not 50s leaving a short round
    expect(p.batchCalls(801)).toBe(26) // ⌈801 / 32⌉: two rounds
    // a 5xx halves the allowance: the rows spread over 8
    l.finish(l.start(), { kind: 'overload' })
    expect(p.inFlightLimit()).toBe(8)
    expect(p.batchCalls(1000)).toBe(42) // three rounds of 8: ⌈1,000 / 24⌉
    expect(p.batchCalls(3)).toBe(1)
    expect(p.batchCalls(0)).toBe(0)
    // one at a time: the whole batch
    const one = new Pacer({ clock: new ManualClock(T0), limits: limitsForPlan('standard'), concurrency: 1 })
    expect(one.batchCalls(1000)).toBe(50)
    expect(one.batchCalls(20)).toBe(20)
  })

  it('the last round is split where a request costs less than the spread it saves, and only as far as the bucket pays', () => {
    // A real portal's times: 0.5 s per call (the prior), σ = 0.38 × 0.5 = 0.19 s. Worth a request down to
    // ⌈(0.05 / (0.53 × 0.19))² / 2⌉ = 1 call; the bucket (45 tokens, 1.8 per s at margin 0.9) is the floor.
    const p = new Pacer({ clock: new ManualClock(T0), limits: limitsForPlan('standard'), concurrency: 16 })
    // 400 calls on 16 lanes end in ~12.5 s: 45 + 1.8 × 12.5 = 67.5 tokens, half of them → ≥ ⌈400 / 33.75⌉ = 12;
    // half the work per lane is ⌈400 / 32⌉ = 13, less than the even 25
    expect(p.batchCalls(400)).toBe(13)
    // 800 calls (one round of 50s): 45 + 1.8 × 25 = 90 tokens → ≥ 18; half the work per lane: 25
    expect(p.batchCalls(800)).toBe(25)
    // 40 calls on 16 lanes: half the work per lane ⌈40 / 32⌉ = 2, the bucket floor ⌈40 / (0.5 × (45 + 1.8 × 1.25))⌉
    // = 2, the even share 3 → 2
    expect(p.batchCalls(40)).toBe(2)
    // With the bucket nearly empty the floor rises: 40 requests taken, 5 free → 400 calls: ⌈400 / (0.5 × 27.5)⌉ = 30,
    // more than the even 25: the even batches stay
    for (let i = 0; i < 40; i++) p.portal.bucket.take(T0)
    expect(p.batchCalls(400)).toBe(25)
  })

  it('the work left counts what the batches on the wire have still to run, not only the calls not yet sent', () => {
    // 0.5 s per call; 60 calls not sent, nothing on the wire: 60
    expect(callsLeft(60, [], T0, 0.5)).toBe(60)
    // 4 batches of 15 left together at T0: at T0 each still has 15 to run
    const wire = [0, 1, 2, 3].map(() => ({ calls: 15, sentAt: T0 }))
    expect(callsLeft(0, wire, T0, 0.5)).toBe(60)
    // 3 s later each has run 6 of its 15: 4 × 9 = 36, plus 10 planned
    expect(callsLeft(10, wire, T0 + 3000, 0.5)).toBe(46)
    // a batch past its expected end counts nothing (never less than 0); parts round up
    expect(callsLeft(0, [{ calls: 15, sentAt: T0 }], T0 + 60_000, 0.5)).toBe(0)
    expect(callsLeft(0, [{ calls: 15, sentAt: T0 }], T0 + 7_250, 0.5)).toBe(1)
    // What it is for: on a real portal, 16 lanes at 1,000 calls; after the first round of 32s left, 488 are not sent
    // and 512 run. Sized on the 488 alone, the lane that frees first takes ⌈488 / 32⌉ = 16 (half the work per lane of
    // a last round), and every later one less: more requests than the bucket (2 per s) pays for. With the work on the
    // wire it is two more rounds, even: 32.
    const p = new Pacer({ clock: new ManualClock(T0), limits: limitsForPlan('standard'), concurrency: 16 })
    const first = Array.from({ length: 16 }, () => ({ calls: 32, sentAt: T0 }))
    expect(p.batchCalls(488)).toBe(16)
    expect(p.batchCalls(callsLeft(488, first, T0, 0.5))).toBe(32)
  })

  it('the bucket gives the tokens free now and its drain over the horizon', () => {
    const p = new Pacer({ clock: new ManualClock(T0), limits: limitsForPlan('standard'), concurrency: 16 })
    const b = p.portal.bucket
    expect(b.tokensWithin(T0, 10)).toBeCloseTo(45 + 1.8 * 10) // capacity 50 × 0.9, drain 2 × 0.9 per s
    for (let i = 0; i < 45; i++) b.take(T0)
    expect(b.tokensWithin(T0, 10)).toBeCloseTo(18)
    expect(b.tokensWithin(T0, -5)).toBe(0) // no horizon, no tokens back
  })

  it('at the bench\'s time scale a call spreads too little to pay for another request: the last round stays even', () => {
    // 0.025 s per call: σ = 0.0095 s, worth a request only above ⌈(0.05 / (0.53 × 0.0095))² / 2⌉ = 50 calls
    const p = new Pacer({ clock: new ManualClock(T0), limits: limitsForPlan('standard'), concurrency: 16, priorServerSec: { '*': 0.025 } })
    expect(p.batchCalls(400)).toBe(25)
    expect(p.batchCalls(800)).toBe(50)
    expect(p.batchCalls(100)).toBe(7) // ⌈100 / 16⌉
  })
})
