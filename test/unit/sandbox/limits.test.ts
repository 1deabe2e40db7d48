import { describe, expect, it } from 'vitest'
import { LeakyBucket, OperatingBudget } from '../../../electron/sandbox/limits'

describe('leaky bucket', () => {
  it('accepts exactly burst requests at once, then rejects', () => {
    const b = new LeakyBucket({ burst: 50, rps: 2, countRejected: false })
    const results = Array.from({ length: 60 }, () => b.take('ip', 1000))
    expect(results.filter(Boolean)).toHaveLength(50)
    expect(results.slice(50).every((r) => !r)).toBe(true)
  })

  it('drains rps per second, so after the burst one request fits every 1/rps s', () => {
    const b = new LeakyBucket({ burst: 50, rps: 2, countRejected: false })
    for (let i = 0; i < 50; i++) b.take('ip', 0)
    expect(b.take('ip', 0)).toBe(false)
    expect(b.take('ip', 250)).toBe(true) // 49.5 < 50 → 50.5
    expect(b.take('ip', 500)).toBe(false) // drained to exactly 50
    expect(b.take('ip', 750)).toBe(true)
    expect(b.level('ip', 10_750)).toBeCloseTo(30.5, 5)
  })

  it('keeps a counter per client address', () => {
    const b = new LeakyBucket({ burst: 2, rps: 1, countRejected: false })
    expect([b.take('a', 0), b.take('a', 0), b.take('a', 0), b.take('b', 0)]).toEqual([true, true, false, true])
  })

  it('counts rejected requests only with the switch on', () => {
    const off = new LeakyBucket({ burst: 2, rps: 1, countRejected: false })
    const on = new LeakyBucket({ burst: 2, rps: 1, countRejected: true })
    for (let i = 0; i < 5; i++) {
      off.take('a', 0)
      on.take('a', 0)
    }
    expect(off.level('a', 0)).toBe(2)
    expect(on.level('a', 0)).toBe(5)
    expect(off.take('a', 1000)).toBe(true)
    expect(on.take('a', 1000)).toBe(false)
  })
})

const cfg = { limitSec: 10, windowSec: 600, banMode: false, banSec: 300, minCountedSec: 0.1 }

describe('operating budget', () => {
  it('ignores calls of 0.1 s or less', () => {
    const o = new OperatingBudget(cfg)
    expect(o.add('k', 0, 0.1)).toBe(false)
    expect(o.add('k', 0, 0.05)).toBe(false)
    expect(o.view('k', 0).used).toBe(0)
    expect(o.view('k', 0).resetAt).toBeNull()
  })

  it('blocks once the window holds the limit and reports when the oldest bucket expires', () => {
    const o = new OperatingBudget(cfg)
    const t0 = 1_700_000_000_000
    o.add('k', t0, 6)
    expect(o.allow('k', t0 + 1)).toBe(true)
    o.add('k', t0 + 61_000, 4)
    expect(o.view('k', t0 + 61_000)).toMatchObject({ used: 10, resetAt: Math.floor((t0 + 600_000) / 1000) })
    expect(o.allow('k', t0 + 61_001)).toBe(false)
    // The first bucket (6 s) expires 600 s after its first call; then 4 s remain.
    expect(o.allow('k', t0 + 599_999)).toBe(false)
    expect(o.allow('k', t0 + 600_000)).toBe(true)
    expect(o.view('k', t0 + 600_000).used).toBe(4)
  })

  it('sums calls in the same minute into one bucket', () => {
    const o = new OperatingBudget(cfg)
    o.add('k', 60_000, 1)
    o.add('k', 119_000, 2)
    o.add('k', 120_000, 3)
    expect(o.view('k', 120_000).used).toBe(6)
    // The first bucket began at 60 000 ms; it expires at 660 000 ms, taking 1 + 2 s with it.
    expect(o.view('k', 660_000).used).toBe(3)
  })

  it('scales its ten buckets with the window (a 30 s window has 3 s buckets)', () => {
    const o = new OperatingBudget({ ...cfg, windowSec: 30, limitSec: 10 })
    o.add('k', 0, 1)
    o.add('k', 2_999, 2)
    o.add('k', 3_000, 4)
    // The first 3 s bucket began at 0: it expires at 30 s, the second (from 3 s) at 33 s.
    expect(o.view('k', 29_999).used).toBe(7)
    expect(o.view('k', 30_000).used).toBe(4)
    expect(o.view('k', 33_000).used).toBe(0)
  })

  it('keys are independent', () => {
    const o = new OperatingBudget(cfg)
    o.add('a', 0, 20)
    expect(o.allow('a', 1)).toBe(false)
    expect(o.allow('b', 1)).toBe(true)
  })

  it('bills with a weight (batch at 0.5)', () => {
    const o = new OperatingBudget(cfg)
    o.add('batch', 0, 8, 0.5)
    expect(o.view('batch', 0).used).toBe(4)
  })

  it('ban mode: the first breach bans for banSec and clears the buckets', () => {
    const o = new OperatingBudget({ ...cfg, banMode: true })
    o.add('k', 0, 12)
    expect(o.allow('k', 1000)).toBe(false)
    const v = o.view('k', 1000)
    expect(v.used).toBe(0)
    expect(v.bannedUntil).toBe(301_000)
    expect(v.resetAt).toBe(301)
    expect(o.allow('k', 300_999)).toBe(false)
    expect(o.allow('k', 301_000)).toBe(true)
  })
})
