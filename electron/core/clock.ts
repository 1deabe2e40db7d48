/** Injected time and randomness (house-style habit 7): the pacer, backoff and fault injection take these. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /** Resolves after `ms` of this clock's time; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, Math.max(0, ms))
      const onAbort = (): void => {
        clearTimeout(t)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    }),
}

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
  /** Moves time forward and wakes every sleeper that is due, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at)
      const next = this.sleepers[0]
      if (!next || next.at > target) break
      this.sleepers.shift()
      this.t = Math.max(this.t, next.at)
      next.resolve()
      await new Promise((r) => setImmediate(r))
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

/** A seeded PRNG (mulberry32): reproducible randomness for fault injection and jitter. */
export type Rng = () => number
export function seededRng(seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
