/**
 * Pacing over simulated time: ten minutes of a manual clock, several concurrent callers on two credentials of one
 * portal, every request through the real client and its pacer, against a simulated portal (sim-portal.ts). Checked
 * afterwards over every span: no more requests than the portal's bucket admits, no more billed seconds in any
 * budget window than the limit — and enough work done that a pacer which sends nothing cannot pass.
 */
import { describe, expect, it } from 'vitest'
import { batchOf, simulate, single } from './sim-run'

describe('pacing over ten minutes of simulated time', () => {
  it('one call at a time from four callers on two credentials: the shared bucket is never exceeded', async () => {
    const { portal, errors } = await simulate({ billing: 'docs' }, { a: [single, single, single], b: [single] })
    expect(errors).toEqual([])
    expect(portal.status503).toBe(0)
    expect(portal.bucketExcess()).toBeLessThanOrEqual(0)
    expect(portal.maxWindowUse()).toBeLessThanOrEqual(portal.o.limitSec)
    // The bucket binds (X·0.9 at once, then Y·0.9 per second): 45 + 1.8 × 600 = 1,125 requests at most.
    expect(portal.chats).toBeGreaterThan(1000)
    expect(portal.chats).toBeLessThanOrEqual(1125)
  })

  it.each(['docs', 'batch-half'] as const)('batches from four callers (%s billing): never over the budget in any window, never a 429', async (billing) => {
    const { portal, errors, allowed } = await simulate({ billing }, { a: [batchOf(50), batchOf(50), batchOf(20)], b: [batchOf(50)] })
    expect(errors).toEqual([])
    expect(portal.status429).toBe(0)
    expect(portal.status503).toBe(0)
    expect(portal.maxWindowUse()).toBeLessThanOrEqual(portal.o.limitSec)
    for (const peak of portal.peak.values()) expect(peak).toBeLessThanOrEqual(portal.o.limitSec)
    expect(portal.bucketExcess()).toBeLessThanOrEqual(0)
    // The bound: a chat takes 0.3·e^(0.35²/2) ≈ 0.319 s. A (three loops) is budget-bound: 468 s (97.5 % of 480)
    // per window, billed ×1 (docs) or ×0.5 (batch-half) → 1,467 or 2,934 chats; entries expire only after the
    // window, so ten minutes hold one. B (one loop of 50-chat batches, 15.9 s each) can do at most 37 batches =
    // 1,880, and docs billing caps it at 1,467 too. Bound: docs 2,934, batch-half 4,814. Require 95 % of it.
    const bound = billing === 'docs' ? 2934 : 4814
    expect(portal.chats).toBeGreaterThan(0.95 * bound)
    expect(Math.max(...allowed)).toBeLessThanOrEqual(4)
  })

  it.each(['docs', 'batch-half'] as const)('16 in flight for 40 minutes on a budget kept in ten buckets, as the portal keeps it (%s billing): never over the budget the client allows itself', async (billing) => {
    // Buckets expire whole (a tenth of the window each), so the portal's figure drops by a bucket while new usage
    // comes in; with a round trip of 300 ms the answers that carry both are frequent (ledger.ts).
    const { portal, errors } = await simulate({ billing, buckets: 10, workers: 8, rttMs: 300 }, { a: Array.from({ length: 16 }, () => batchOf(50)), b: [] }, 16, 40)
    expect(errors).toEqual([])
    expect(portal.status429).toBe(0)
    // 97.5 % of 480 s: the client keeps the rest for usage it cannot see (another tool on the same credential).
    for (const peak of portal.peak.values()) expect(peak).toBeLessThanOrEqual(0.975 * portal.o.limitSec)
    expect(portal.maxWindowUse()).toBeLessThanOrEqual(0.975 * portal.o.limitSec)
    // Budget-bound: 468 s per window at 0.319 s a chat → 1,467 (docs) or 2,934 (batch-half) chats a window; 4 windows.
    expect(portal.chats).toBeGreaterThan(0.95 * 4 * (billing === 'docs' ? 1467 : 2934))
  })

  it('a portal with 2 workers: the limiter settles near 2 in flight instead of queueing at the ceiling', async () => {
    const { portal, errors, allowed } = await simulate({ billing: 'batch-half', workers: 2, limitSec: 100_000 }, { a: [batchOf(10), batchOf(10), batchOf(10), batchOf(10), batchOf(10), batchOf(10)], b: [] }, 8)
    expect(errors).toEqual([])
    expect(portal.maxInFlight).toBeLessThanOrEqual(8)
    // With 2 workers a third request waits about half a batch, a fourth a whole one (congested: × 0.7). The
    // allowance keeps between 2 and 4 (at most 2 queued), never the ceiling of 8 …
    const late = allowed.slice(-100)
    expect(Math.max(...late)).toBeLessThanOrEqual(4)
    expect(Math.min(...late)).toBeGreaterThanOrEqual(2)
    // … and the two workers stay busy: 2 × 600 s / (10 × 0.319 s) = 376 batches of 10 → ≥ 90 % of 3,760 chats.
    expect(portal.chats).toBeGreaterThan(0.9 * 3760)
  })
})
