import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../electron/core/clock'
import { limitsForPlan, Pacer } from '../../../electron/core/portal/pacing'

describe('pacer: a request priced above the whole budget', () => {
  it('is not held forever (50 lookups of a method never seen, on a 16 s budget)', async () => {
    const clock = new ManualClock(0, true)
    const p = new Pacer({ clock, limits: limitsForPlan('standard', { operatingLimitSec: 16, operatingWindowSec: 30 }), margin: 0.9 })
    expect(p.serverSecPerCall('im.chat.get') * 50).toBeGreaterThan(p.budgetSec)
    await p.waitForBudget('im.chat.get', 50, 50)
    expect(clock.now()).toBe(0)
  })

  it('still waits for a request that fits once the budget frees', async () => {
    const clock = new ManualClock(0, true)
    const p = new Pacer({ clock, limits: limitsForPlan('standard', { operatingLimitSec: 16, operatingWindowSec: 30 }), margin: 0.9 })
    p.observe({ serverSec: { 'im.chat.add': 15 }, calls: { 'im.chat.add': 30 }, reports: [{ key: 'im.chat.add', operating: 15, resetAt: 30 }], wallMs: 15_000 })
    await p.waitForBudget('im.chat.add', 10, 10)
    expect(clock.now()).toBeGreaterThan(0)
  })
})
