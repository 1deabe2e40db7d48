/**
 * The sandbox's clock and RNG: the shared definitions (electron/shared/clock.ts; the sandbox may not import the
 * client core), plus the normal draw its latency model uses.
 */
import type { Rng } from '../shared/clock'

export { systemClock, seededRng } from '../shared/clock'
export type { Clock, Rng } from '../shared/clock'

/** A standard normal draw (Box–Muller) from a uniform RNG. */
export function normal(rng: Rng): number {
  const u = Math.max(rng(), 1e-12)
  const v = rng()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}
