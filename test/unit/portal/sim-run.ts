/**
 * A run of real portal clients against the simulated portal (sim-portal.ts) on a manual clock: caller loops on two
 * credentials of one portal, every request through the real client and the portal's one pacer, for some simulated
 * minutes; then the requests in flight finish and nothing new starts. Shared by the pacing tests and the sweep.
 */
import { setMaxListeners } from 'node:events'
import { ManualClock } from '../../../electron/core/clock'
import { createPortalClient } from '../../../electron/core/portal/client'
import type { PortalClient } from '../../../electron/core/portal/client'
import { PacerRegistry } from '../../../electron/core/portal/pacer'
import { SimPortal } from './sim-portal'
import type { SimOptions } from './sim-portal'

const T0 = 1_700_000_000_000

/** One request a caller loop sends again and again. */
export type Caller = (c: PortalClient, signal: AbortSignal) => Promise<unknown>
export const single: Caller = (c, signal) => c.call('im.chat.add', { TITLE: 'x' }, { signal })
export const batchOf =
  (n: number): Caller =>
  (c, signal) =>
    c.batch(Object.fromEntries(Array.from({ length: n }, (_, i) => [`r${i}`, ['im.chat.add', { TITLE: `x${i}` }]])), { signal })

export interface SimRun {
  portal: SimPortal
  /** What the caller loops threw (a stop aside). */
  errors: unknown[]
  a: PortalClient
  b: PortalClient
  /** The pacer's allowance of requests in flight after each answer. */
  allowed: number[]
}

/**
 * Caller loops on credential a and b; `concurrency` is the setting of both clients (one pacer: the portal's), and
 * `margin` the pacing margin (the share of the portal's limits the client allows itself; the client's default).
 */
export async function simulate(sim: Partial<SimOptions>, callers: { a: Caller[]; b: Caller[] }, concurrency = 4, minutes = 10, margin?: number): Promise<SimRun> {
  const clock = new ManualClock(T0)
  const portal = new SimPortal(clock, sim)
  const pacers = new PacerRegistry(clock)
  const o = portal.o
  const limits = { burst: o.burst, rps: o.rps, operatingLimitSec: o.limitSec, operatingWindowSec: o.windowSec, banMode: 'sliding' as const }
  const make = (url: string): PortalClient => createPortalClient({ kind: 'webhook', url }, { clock, transport: portal.transport, pacers, concurrency, limits, margin })
  const a = make('https://portal.test/rest/1/aaaa1111/')
  const b = make('https://portal.test/rest/2/bbbb2222/')
  const stop = new AbortController()
  setMaxListeners(64, stop.signal) // one listener per caller loop and request in flight
  const errors: unknown[] = []
  const allowed: number[] = []
  const loop = async (c: PortalClient, f: Caller): Promise<void> => {
    while (!stop.signal.aborted) {
      try {
        await f(c, stop.signal)
        allowed.push(c.pacer.inFlightLimit())
      } catch (e) {
        if (!stop.signal.aborted) errors.push(e)
      }
    }
  }
  const loops = [...callers.a.map((f) => loop(a, f)), ...callers.b.map((f) => loop(b, f))]
  while (clock.now() < T0 + minutes * 60_000) await clock.advance(1000)
  stop.abort(new Error('stop'))
  // Requests in flight (admitted, maybe not at the portal yet) finish; nothing new starts.
  for (let i = 0; i < 120 && (portal.inFlight > 0 || a.pacer.inFlight() > 0); i++) await clock.advance(1000)
  await Promise.all(loops)
  return { portal, errors, a, b, allowed }
}
