/**
 * Fault campaign in CI: 2,000 rows, every fault kind, OAuth tokens expiring mid-run, the sync process SIGKILLed
 * at 5 random moments and resumed. Exactly 2,000 chats, no duplicates, every row final.
 */
import { describe, expect, it } from 'vitest'
import { runCampaign } from './campaign-lib'

describe('fault campaign', () => {
  it('2,000 rows, five kinds of fault, expiring tokens and 5 SIGKILLs: exactly 2,000 chats, no duplicates', async () => {
    const log: string[] = []
    const r = await runCampaign({ rows: 2000, kills: 5, seed: 5, log: (l) => log.push(l) })
    const why = `${log.join('\n')}\nfaults ${JSON.stringify(r.stats.faults)}`
    expect(r.finalExit, why).toBe(0)
    expect(r.chats, why).toBe(2000)
    expect(r.duplicates).toEqual([])
    expect(r.counts).toMatchObject({ created: 2000, planned: 0, sending: 0, failed: 0, 'needs-checking': 0 })
    expect(r.kills, why).toBeGreaterThanOrEqual(3)
    for (const kind of ['http500', 'html', 'reset-after-commit', 'timeout', 'qle'] as const) expect(r.stats.faults[kind], kind).toBeGreaterThan(0)
    expect(r.rotations, why).toBeGreaterThan(0)
  }, 300_000)
})
