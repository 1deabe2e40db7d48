/** T_min for concurrency (test/bench/tmin.ts) on cases worked out by hand. */
import { describe, expect, it } from 'vitest'
import { budgetBound, tMin } from '../../bench/tmin'
import type { TMinInput } from '../../bench/tmin'

/** A real portal: bucket 50 / 2 per s, 480 s per 600 s, 0.3 s per chat, 0.1 s not counted. */
const REAL: TMinInput = { n: 1000, callSec: 0.3, concurrency: 1, workers: 0, burst: 50, rps: 2, limitSec: 480, windowSec: 600, billing: 'docs', minCountedSec: 0.1 }

describe('T_min for concurrency, by hand', () => {
  it('1,000 chats fit one window: the critical path of server time binds, divided by P = min(W, C)', () => {
    // batched: 20 requests ≤ 50 (no bucket wait); S = 300 s ≤ Q = 480 s; T = 300 / P
    // one by one: (1000 − 50) / 2 = 475 s by the bucket alone
    expect(tMin(REAL)).toMatchObject({ tMin: 300, batched: 300, single: 475, serverSec: 300, parallel: 1 })
    expect(tMin({ ...REAL, concurrency: 4 }).tMin).toBe(75)
    expect(tMin({ ...REAL, concurrency: 16, workers: 4 })).toMatchObject({ tMin: 75, parallel: 4 })
    expect(tMin({ ...REAL, concurrency: 4, workers: 1 })).toMatchObject({ tMin: 300, parallel: 1 })
  })

  it('5,000 chats: the budget binds — whole windows, then the rest at P per second', () => {
    // S = 1500 s. docs: Q = 480 → k = 4 → 3 × 600 + (1500 − 1440) / P
    expect(tMin({ ...REAL, n: 5000 }).tMin).toBe(1860)
    expect(tMin({ ...REAL, n: 5000, concurrency: 4 }).tMin).toBe(1815)
    // batch-half: a batch is billed × 0.5 → Q = 960 → k = 2 → 600 + (1500 − 960) / P = 1140 at P = 1 — but one at
    // a time the 1500 s of server time take longer still: 1500. At P = 4: max(1500 / 4, 600 + 540 / 4) = 735.
    expect(tMin({ ...REAL, n: 5000, billing: 'batch-half' }).tMin).toBe(1500)
    expect(tMin({ ...REAL, n: 5000, billing: 'batch-half', concurrency: 4 }).tMin).toBe(735)
    // one call per request is billed × 1 in either mode, and the bucket binds it harder: (5000 − 50) / 2
    expect(tMin({ ...REAL, n: 5000, billing: 'batch-half' }).single).toBe(2475)
  })

  it('the bucket binds small calls sent one by one; calls under the threshold are never billed', () => {
    // 200 calls of 10 ms: one by one (200 − 50) / 2 = 75 s; batched: 4 requests, S = 2 s
    const small = { ...REAL, n: 200, callSec: 0.01 }
    expect(tMin(small)).toMatchObject({ tMin: 2, batched: 2, single: 75 })
    // a budget of 1 s per window would bind 2 s of billed calls — but 10 ms calls are under the 0.1 s threshold
    expect(tMin({ ...small, limitSec: 1 }).tMin).toBe(2)
  })

  it('scales with one time factor: every bound shrinks by the same factor', () => {
    const s = 1 / 20
    const scaled = { ...REAL, n: 5000, callSec: 0.3 * s, rps: 2 / s, limitSec: 480 * s, windowSec: 600 * s, minCountedSec: 0.1 * s, concurrency: 4 }
    expect(tMin(scaled).tMin).toBeCloseTo(1815 * s, 9)
    expect(tMin(scaled).single).toBeCloseTo(tMin({ ...REAL, n: 5000, concurrency: 4 }).single * s, 9)
  })

  it('budgetBound: within one window it is S/P', () => {
    expect(budgetBound(100, 480, 600, 2)).toBe(50)
    expect(budgetBound(500, 480, 600, 2)).toBe(600 + 10)
    expect(budgetBound(960, 480, 600, 1)).toBe(600 + 480)
  })
})
