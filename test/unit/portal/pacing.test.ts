import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../electron/core/clock'
import { Pacer, limitsForPlan } from '../../../electron/core/portal/pacing'

const T0 = 1_700_000_000_000

describe('leaky bucket', () => {
  it('allows a burst of 90% of the plan, then paces at 90% of the drain rate', async () => {
    const clock = new ManualClock(T0, true)
    const p = new Pacer({ clock, limits: limitsForPlan('standard'), margin: 0.9 })
    for (let i = 0; i < 45; i++) await p.takeSlot()
    expect(clock.now()).toBe(T0)
    await p.takeSlot()
    // one request drains in 1 / 1.8 s
    expect(clock.now() - T0).toBe(556)
    expect(p.pacing.kind).toBe('bucket')
  })

  it('enterprise allows 225 at once', async () => {
    const clock = new ManualClock(T0, true)
    const p = new Pacer({ clock, limits: limitsForPlan('enterprise') })
    for (let i = 0; i < 225; i++) await p.takeSlot()
    expect(clock.now()).toBe(T0)
    expect(p.bucketWaitMs()).toBeGreaterThan(0)
  })

  it('backs off exponentially after QUERY_LIMIT_EXCEEDED and fills the local bucket', () => {
    const clock = new ManualClock(T0)
    const p = new Pacer({ clock, limits: limitsForPlan('standard') })
    expect(p.onQueryLimit(0)).toBe(1500)
    expect(p.onQueryLimit(1)).toBe(2250)
    expect(p.bucketWaitMs()).toBeGreaterThan(0)
    expect(p.counters.queryLimitHits).toBe(2)
  })
})

describe('operating budget', () => {
  const limits = limitsForPlan('standard', { operatingLimitSec: 100, operatingWindowSec: 600 })

  it('slows down before the budget is spent and waits until the oldest usage expires', async () => {
    const clock = new ManualClock(T0, true)
    const p = new Pacer({ clock, limits, margin: 0.9, priorServerSec: { 'im.chat.add': 1 } })
    // The server reports 85 s used on im.chat.add.
    p.observe({ serverSec: { 'im.chat.add': 10 }, calls: { 'im.chat.add': 10 }, reports: [{ key: 'im.chat.add', operating: 92.5, resetAt: (T0 + 600_000) / 1000 }], wallMs: 10_000 })
    // budget 97.5 (a quarter of the 10 % rate margin) - 92.5 = 5 s left, at 1 s per chat + the 20 % estimate allowance
    expect(p.affordable('im.chat.add')).toBe(4)
    const n = await p.waitForBudget('im.chat.add', 10, 8)
    // 8 chats did not fit: it waited for the booked usage to leave the window
    expect(clock.now()).toBeGreaterThanOrEqual(T0 + 600_000)
    expect(n).toBe(10)
  })

  it('learns that a portal bills the outer batch at half weight and paces on that key', () => {
    const clock = new ManualClock(T0)
    const p = new Pacer({ clock, limits, margin: 0.9, priorServerSec: { 'im.chat.add': 0.3 } })
    const reset = (T0 + 600_000) / 1000
    p.observe({ serverSec: { 'im.chat.add': 15 }, calls: { 'im.chat.add': 50 }, reports: [{ key: 'batch', operating: 7.5, resetAt: reset, serverNow: T0 / 1000 }], wallMs: 15_000 })
    clock.advance(20_000)
    p.observe({ serverSec: { 'im.chat.add': 15 }, calls: { 'im.chat.add': 50 }, reports: [{ key: 'batch', operating: 15, resetAt: reset, serverNow: (T0 + 20_000) / 1000 }], wallMs: 15_000 })
    expect(p.costPerCall('batch', 'im.chat.add')).toBeCloseTo(0.15, 5)
    expect(p.usedSec('batch')).toBeCloseTo(15, 5)
    // Another client spends the batch budget: 91.5 s of 97.5 used → 6 s left at 0.15 s per chat (+ 20 %) = 33 chats.
    p.observe({ serverSec: {}, calls: {}, reports: [{ key: 'batch', operating: 91.5, resetAt: reset, serverNow: (T0 + 21_000) / 1000 }], wallMs: 50 })
    expect(p.affordable('im.chat.add')).toBe(33)
  })

  it('after a 429 in ban mode blocks the method for the ban', async () => {
    const clock = new ManualClock(T0, true)
    const p = new Pacer({ clock, limits: { ...limits, banMode: 'ban', banSec: 300 } })
    expect(p.onOperationLimit('im.chat.add')).toBe(300_000)
    expect(p.pacing).toMatchObject({ kind: 'backoff', reason: 'OPERATION_TIME_LIMIT' })
    await p.waitForBudget('im.chat.add', 1)
    expect(clock.now()).toBe(T0 + 300_000)
  })

  it('estimates the time left from the budget, not only from the server time', () => {
    const clock = new ManualClock(T0)
    const p = new Pacer({ clock, limits, margin: 0.9, priorServerSec: { 'im.chat.add': 1 } })
    p.observe({ serverSec: { 'im.chat.add': 1 }, calls: { 'im.chat.add': 1 }, reports: [{ key: 'im.chat.add', operating: 90, resetAt: (T0 + 600_000) / 1000 }], wallMs: 1000, durationSec: 1 })
    // 180 chats: 180 s of server time, but the 90 s budget is full: the first 90 free only after the window.
    expect(p.etaSec('im.chat.add', 180, 4)).toBeGreaterThanOrEqual(600)
  })

  it('wakes at operating_reset_at and probes instead of waiting out the whole window', async () => {
    const clock = new ManualClock(T0, true)
    const p = new Pacer({ clock, limits, margin: 0.9, priorServerSec: { 'im.chat.add': 0.3 } })
    const resetAt = (T0 + 40_000) / 1000
    p.observe({ serverSec: { 'im.chat.add': 15 }, calls: { 'im.chat.add': 50 }, reports: [{ key: 'batch', operating: 97, resetAt, serverNow: T0 / 1000 }], wallMs: 15_000 })
    const probes: number[] = []
    p.prober = async () => {
      probes.push(clock.now())
      // the server has dropped its oldest bucket: 4 s left in use
      p.observe({ serverSec: { 'server.time': 0.001 }, calls: { 'server.time': 1 }, reports: [{ key: 'batch', operating: 4, resetAt: resetAt + 60, serverNow: clock.now() / 1000 }], wallMs: 2 })
    }
    const n = await p.waitForBudget('im.chat.add', 50, 10)
    expect(probes).toEqual([T0 + 41_050])
    expect(clock.now()).toBe(T0 + 41_050)
    expect(n).toBe(50)
    expect(p.counters.probes).toBe(1)
  })
})
