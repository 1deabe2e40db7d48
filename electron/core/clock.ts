/** Time and randomness for the core: the shared definitions plus a manual clock for exact, instant tests. */
import type { Clock } from '../shared/clock'

export { systemClock, seededRng } from '../shared/clock'
export type { Clock, Rng } from '../shared/clock'

/**
 * A manual clock for tests: time moves only when `advance` is called (or, with `autoAdvance`, when every
 * pending sleeper is waiting, time jumps to the earliest wake-up). Exact and instant.
 */
export class ManualClock implements Clock {
  private t: number
  private sleepers: { at: number; resolve: () => void; reject: (e: unknown) => void }[] = []
  constructor(start = 1_700_000_000_000, private readonly autoAdvance = false) {
    this.t = start
  }
  now(): number {
    return this.t
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.sleepers = this.sleepers.filter((x) => x !== s)
        reject(signal?.reason)
      }
      const s = {
        at: this.t + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
        reject,
      }
      this.sleepers.push(s)
      signal?.addEventListener('abort', onAbort, { once: true })
      if (this.autoAdvance) queueMicrotask(() => this.runDue())
    })
  }
  /**
   * Moves time forward and wakes every sleeper that is due, in order. Whatever can run at the current time runs
   * first (a turn of the event loop before each step), so no work is seen later than it happened.
   */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms
    for (;;) {
      await new Promise((r) => setImmediate(r))
      this.sleepers.sort((a, b) => a.at - b.at)
      const next = this.sleepers[0]
      if (!next || next.at > target) break
      this.sleepers.shift()
      this.t = Math.max(this.t, next.at)
      next.resolve()
    }
    this.t = target
  }
  private runDue(): void {
    this.sleepers.sort((a, b) => a.at - b.at)
    const next = this.sleepers.shift()
    if (!next) return
    this.t = Math.max(this.t, next.at)
    next.resolve()
  }
  get pending(): number {
    return this.sleepers.length
  }
}
