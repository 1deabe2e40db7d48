/**
 * The portal's two limits (notes §3, emulator spec 5–6): a leaky bucket per client address and an operating-time
 * budget per (auth type, credential, method). Pure bookkeeping over times in ms passed by the caller.
 */

export interface BucketConfig {
  /** X: requests the bucket holds before it overflows. */
  burst: number
  /** Y: how many requests drain per second. */
  rps: number
  /** Whether a rejected request still adds 1 (unknown on the real server; default off). */
  countRejected: boolean
}

/** Leaky bucket: `c = max(0, c − Y·Δt)`; `c ≥ X` rejects; otherwise `c += 1`. One counter per key. */
export class LeakyBucket {
  private readonly levels = new Map<string, { c: number; at: number }>()
  constructor(public config: BucketConfig) {}

  /** Drained level of `key` at `now` (does not change state). */
  level(key: string, now: number): number {
    const s = this.levels.get(key)
    if (!s) return 0
    return Math.max(0, s.c - (this.config.rps * Math.max(0, now - s.at)) / 1000)
  }

  /** Records one request; false when it must be rejected with QUERY_LIMIT_EXCEEDED. */
  take(key: string, now: number): boolean {
    const c = this.level(key, now)
    if (c >= this.config.burst) {
      this.levels.set(key, { c: this.config.countRejected ? c + 1 : c, at: now })
      return false
    }
    this.levels.set(key, { c: c + 1, at: now })
    return true
  }

  snapshot(now: number): Record<string, number> {
    const out: Record<string, number> = {}
    for (const k of this.levels.keys()) out[k] = round3(this.level(k, now))
    return out
  }

  reset(): void {
    this.levels.clear()
  }
}

export interface OperatingConfig {
  /** Seconds of server time allowed per window (default 480). */
  limitSec: number
  /** Window length in seconds (default 600 = ten 1-minute buckets). */
  windowSec: number
  /** LL-new: the first breach sets a fixed ban and clears the buckets. */
  banMode: boolean
  /** Ban length in seconds (LL-new: 300). */
  banSec: number
  /** Only calls longer than this many seconds are counted (0.1). */
  minCountedSec: number
}

interface MinuteBucket {
  /** Start of the bucket (ms, floored to the bucket length: a tenth of the window, 60 s by default). */
  minute: number
  /** When its first call was counted (ms). */
  firstAt: number
  /** Seconds counted. */
  sum: number
}

interface KeyState {
  buckets: MinuteBucket[]
  bannedUntil: number | null
  /** The most seconds in use at once (right after a call was counted). */
  peak: number
}

export interface OperatingView {
  /** Seconds used in the window. */
  used: number
  /** Unix seconds when the oldest counted bucket expires (or the ban ends); null when nothing is counted. */
  resetAt: number | null
  bannedUntil: number | null
}

/** Operating budget per key, in 1-minute buckets over a sliding window, with an optional LL-new ban. */
export class OperatingBudget {
  private readonly keys = new Map<string, KeyState>()
  constructor(public config: OperatingConfig) {}

  private state(key: string): KeyState {
    let s = this.keys.get(key)
    if (!s) {
      s = { buckets: [], bannedUntil: null, peak: 0 }
      this.keys.set(key, s)
    }
    return s
  }

  private prune(s: KeyState, now: number): void {
    const windowMs = this.config.windowSec * 1000
    // A bucket lives `window` from its first counted call (LoadLimiter cache TTL).
    while (s.buckets.length > 0 && (s.buckets[0] as MinuteBucket).firstAt + windowMs <= now) s.buckets.shift()
    if (s.bannedUntil !== null && s.bannedUntil <= now) s.bannedUntil = null
  }

  view(key: string, now: number): OperatingView {
    const s = this.keys.get(key)
    if (!s) return { used: 0, resetAt: null, bannedUntil: null }
    this.prune(s, now)
    const used = s.buckets.reduce((a, b) => a + b.sum, 0)
    let resetAt: number | null = null
    if (s.bannedUntil !== null) resetAt = Math.ceil(s.bannedUntil / 1000)
    else if (s.buckets.length > 0) {
      resetAt = Math.floor(((s.buckets[0] as MinuteBucket).firstAt + this.config.windowSec * 1000) / 1000)
    }
    return { used, resetAt, bannedUntil: s.bannedUntil }
  }

  /**
   * The pre-execution check. Returns false when the call must get 429 OPERATION_TIME_LIMIT. In ban mode the
   * first breach starts the ban and clears the buckets.
   */
  allow(key: string, now: number): boolean {
    const s = this.keys.get(key)
    if (!s) return true
    this.prune(s, now)
    if (s.bannedUntil !== null) return false
    const used = s.buckets.reduce((a, b) => a + b.sum, 0)
    if (used < this.config.limitSec) return true
    if (this.config.banMode) {
      s.bannedUntil = now + this.config.banSec * 1000
      s.buckets = []
    }
    return false
  }

  /**
   * Counts a finished call of `durationSec` (billed `weight × duration`) if it took longer than the threshold.
   * Returns whether it was counted.
   */
  add(key: string, now: number, durationSec: number, weight = 1): boolean {
    if (!(durationSec > this.config.minCountedSec)) return false
    const s = this.state(key)
    this.prune(s, now)
    // Ten buckets per window: 1-minute buckets over the real 10-minute window, proportionally shorter when scaled.
    const bucketMs = (this.config.windowSec * 1000) / 10
    const minute = Math.floor(now / bucketMs) * bucketMs
    const last = s.buckets[s.buckets.length - 1]
    if (last && last.minute === minute) last.sum += durationSec * weight
    else s.buckets.push({ minute, firstAt: now, sum: durationSec * weight })
    s.peak = Math.max(s.peak, s.buckets.reduce((a, b) => a + b.sum, 0))
    return true
  }

  snapshot(now: number): { key: string; used: number; resetAt: number | null; bannedUntil: number | null; peak: number }[] {
    const out = []
    for (const [key, s] of this.keys) {
      const v = this.view(key, now)
      out.push({ key, used: round3(v.used), resetAt: v.resetAt, bannedUntil: v.bannedUntil, peak: round3(s.peak) })
    }
    return out
  }

  reset(): void {
    this.keys.clear()
  }
}

export function round3(n: number): number {
  return Math.round(n * 1000) / 1000
}
