/**
 * The sandbox's simulated server time runs on a schedule: a batch takes the sum of its calls' times, whatever the
 * timers do. A clock here behaves like Node's timers (a sleep ends on the next whole millisecond at the earliest,
 * even a sleep of 0), so a batch of 50 lookups of ~0.45 ms each must take ~22 ms, not one timer tick per call.
 */
import { describe, expect, it } from 'vitest'
import type { AuthContext } from '../../../electron/sandbox/auth'
import type { Clock } from '../../../electron/sandbox/clock'
import { seededRng } from '../../../electron/sandbox/clock'
import { Dispatcher } from '../../../electron/sandbox/dispatch'
import { OperatingBudget } from '../../../electron/sandbox/limits'
import type { MethodEnv } from '../../../electron/sandbox/methods/types'
import { ChatStore } from '../../../electron/sandbox/state'
import type { SandboxSwitches } from '../../../electron/sandbox/types'
import { makeDirectory } from '../../../electron/sandbox/users'

/** Integer milliseconds like Date.now(); every sleep lasts at least one tick and ends on a whole millisecond. */
function tickClock(): Clock & { sleeps: number } {
  let now = 1_700_000_000_000
  const c = {
    sleeps: 0,
    now: () => now,
    sleep: async (ms: number) => {
      c.sleeps++
      now += Math.max(1, Math.ceil(ms))
    },
  }
  return c
}

const switches: SandboxSwitches = {
  banMode: false, batchBilling: 'docs', titleOverflow: 'error', colorsEnabled: true, usersEmptyLegacy: false,
  countRejected: false, accessDenied: false, overloadLimit: false,
}
const admin: AuthContext = { authType: 'webhook', credential: 'webhook-1', userId: 1, scopes: new Set(['im']) }

function dispatcher(clock: Clock, latencyMs: number): Dispatcher {
  const env: MethodEnv = { store: new ChatStore(), users: makeDirectory(10), switches, rng: seededRng(7), latencyMs, now: () => clock.now(), origin: 'https://x', chatChanged: () => {} }
  const budget = new OperatingBudget({ limitSec: 480, windowSec: 600, banMode: false, banSec: 300, minCountedSec: 0.1 })
  return new Dispatcher(env, clock, budget, switches, { call: () => {}, operationLimited: () => {} })
}

describe('simulated server time on a schedule', () => {
  it('a batch of 50 sub-millisecond lookups takes the sum of their times, not a timer tick each', async () => {
    const clock = tickClock()
    const d = dispatcher(clock, 15) // im.chat.get: 0.03 × 15 ms ≈ 0.45 ms a call
    const start = clock.now()
    const cmd = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`c${i}`, `im.chat.get?ENTITY_TYPE=T&ENTITY_ID=${i}`]))
    const out = await d.run(admin, 'batch', { cmd }, { startedAt: start, deadline: start + 60_000, signal: new AbortController().signal, scheduled: 0 })
    expect(out.ok).toBe(true)
    const took = clock.now() - start
    // ~22.5 ms of simulated time (lognormal jitter, σ 0.2), plus at most one tick of lateness.
    expect(took).toBeGreaterThan(15)
    expect(took).toBeLessThan(32)
    expect(clock.sleeps).toBeLessThan(35)
  })

  it('long calls still take their full time', async () => {
    const clock = tickClock()
    const d = dispatcher(clock, 300)
    const start = clock.now()
    const cmd = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`c${i}`, `im.chat.add?TITLE=t${i}`]))
    const out = await d.run(admin, 'batch', { cmd }, { startedAt: start, deadline: start + 60_000, signal: new AbortController().signal, scheduled: 0 })
    expect(out.ok).toBe(true)
    // 10 × 300 ms median (lognormal σ 0.35) + 3 ms for the creator as member
    expect(clock.now() - start).toBeGreaterThan(2000)
    expect(clock.now() - start).toBeLessThan(4500)
  })
})
