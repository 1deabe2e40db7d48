/**
 * Pacing (notes §3, Client spec §4): a client-side leaky bucket a little under the plan's, and a per-method
 * model of the operating budget fed by `time.operating` / `operating_reset_at` from every response.
 *
 * The operating model is a ledger per billing key (the method the portal bills: `im.chat.add`, or `batch`
 * when the portal bills the outer batch). Each report of `operating` (U) re-synchronises the ledger with the
 * server: if U is above what the ledger holds, the difference is booked now; if below, the server has already
 * expired older usage and the oldest entries are trimmed. A ledger entry expires `window` seconds after it was
 * booked — never earlier than the server's own bucket — so the model frees budget conservatively.
 *
 * What a call costs is learned, not assumed: each billing key K has a ratio r[K][m] = billed seconds per second
 * of server time spent in method m. It is learned only from pairs of reports between which nothing expired on
 * the server (the second report arrives before the first one's `operating_reset_at`), so the difference is exact.
 * Priors: r[m][m] = 1 (docs billing), other keys 0 until seen.
 */
import type { Clock } from '../clock'
import type { PacingState } from '../../shared/jobs'
import type { Plan } from '../../shared/profile'

export interface PortalLimits {
  /** Leaky bucket size X (requests). */
  burst: number
  /** Leaky bucket drain Y (requests per second). */
  rps: number
  /** Operating budget per billing key, seconds of server time per window. */
  operatingLimitSec: number
  operatingWindowSec: number
  /** 'ban': the first breach blocks the method for `banSec` (LL-new); 'sliding': until usage drains (LL-old). */
  banMode: 'sliding' | 'ban'
  banSec: number
}

export const PLAN_LIMITS: Record<Plan, Pick<PortalLimits, 'burst' | 'rps'>> = {
  standard: { burst: 50, rps: 2 },
  enterprise: { burst: 250, rps: 5 },
}

export function limitsForPlan(plan: Plan = 'standard', over: Partial<PortalLimits> = {}): PortalLimits {
  return { ...PLAN_LIMITS[plan], operatingLimitSec: 480, operatingWindowSec: 600, banMode: 'ban', banSec: 300, ...over }
}

/** One report of the operating budget, as read from a `time` block. */
export interface OperatingReport {
  key: string
  operating: number
  /** Unix seconds, when the server gave it. */
  resetAt?: number
  /** The server's clock at the report (time.finish, unix seconds), when known. */
  serverNow?: number
}

/** What a request did: which methods ran, for how long, and what the portal billed. */
export interface PacingObservation {
  /** Server seconds spent per method (sum over sub-calls for a batch). */
  serverSec: Record<string, number>
  /** Number of calls per method. */
  calls: Record<string, number>
  reports: OperatingReport[]
  /** Round-trip wall time of the HTTP request, ms. */
  wallMs: number
  /** The request's top-level duration (server seconds), when known. */
  durationSec?: number
}

interface Entry {
  at: number
  cost: number
}
interface KeyState {
  entries: Entry[]
  last?: { operating: number; resetAtMs?: number; serverNowMs: number; localAtMs: number }
  blockedUntil?: number
}

const EWMA = 0.2

export class Pacer {
  readonly limits: PortalLimits
  readonly margin: number
  private readonly clock: Clock
  private level = 0
  private levelAt: number
  private readonly keys = new Map<string, KeyState>()
  /** r[K][m] */
  private readonly ratios = new Map<string, Map<string, number>>()
  /** Mean server seconds per call of m. */
  private readonly perCall = new Map<string, number>()
  private overheadMs = 0
  private state: PacingState = { kind: 'idle' }
  private readonly listeners = new Set<(s: PacingState) => void>()
  /** Counters for diagnostics and the benchmark. */
  readonly counters = { requests: 0, queryLimitHits: 0, operationLimitHits: 0, probes: 0 }
  /**
   * Sends a cheap request whose answer reports key K's `operating` (e.g. a `batch` holding `server.time`). Used
   * while waiting: the server frees a whole bucket at `operating_reset_at`, often long before the ledger's
   * conservative expiry, and only a fresh report says so.
   */
  prober: ((key: string, signal?: AbortSignal) => Promise<void>) | null = null
  private readonly probedAt = new Map<string, number>()

  constructor(opts: { clock: Clock; limits: PortalLimits; margin?: number; priorServerSec?: Record<string, number> }) {
    this.clock = opts.clock
    this.limits = opts.limits
    this.margin = Math.min(0.98, Math.max(0.3, opts.margin ?? 0.9))
    this.levelAt = this.clock.now()
    for (const [m, s] of Object.entries(opts.priorServerSec ?? { 'im.chat.add': 0.5 })) this.perCall.set(m, s)
  }

  // ---- state for the UI -------------------------------------------------------------------------------
  get pacing(): PacingState {
    return this.state
  }
  setState(s: PacingState): void {
    this.state = s
    for (const l of this.listeners) l(s)
  }
  onState(l: (s: PacingState) => void): () => void {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }

  // ---- concurrency -------------------------------------------------------------------------------------
  /**
   * How many creating batches may be in flight at once now. The engine asks before launching each batch and
   * again as batches finish. Engineer B's adaptive limiter replaces this.
   */
  inFlightLimit(): number {
    return 1
  }

  // ---- leaky bucket -------------------------------------------------------------------------------------
  get bucketCapacity(): number {
    return Math.max(1, Math.floor(this.limits.burst * this.margin))
  }
  get drainPerSec(): number {
    return this.limits.rps * this.margin
  }
  private drain(now: number): void {
    this.level = Math.max(0, this.level - ((now - this.levelAt) / 1000) * this.drainPerSec)
    this.levelAt = now
  }
  /** Milliseconds until a request may go out under the bucket (0 = now). */
  bucketWaitMs(): number {
    const now = this.clock.now()
    this.drain(now)
    const over = this.level + 1 - this.bucketCapacity
    return over <= 0 ? 0 : Math.ceil((over / this.drainPerSec) * 1000)
  }
  /** Waits for a bucket slot and takes it. */
  async takeSlot(signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < 10_000; i++) {
      const wait = this.bucketWaitMs()
      if (wait <= 0) {
        this.level += 1
        this.counters.requests++
        return
      }
      this.setState({ kind: 'bucket', untilMs: this.clock.now() + wait })
      await this.clock.sleep(wait, signal)
    }
  }
  /** 503 QUERY_LIMIT_EXCEEDED: the portal's bucket is full. Fill ours and back off (1/Y + 1 s) × 1.5^attempt. */
  onQueryLimit(attempt: number): number {
    this.counters.queryLimitHits++
    const now = this.clock.now()
    this.drain(now)
    this.level = this.bucketCapacity
    const ms = Math.ceil((1000 / this.limits.rps + 1000) * Math.pow(1.5, Math.max(0, attempt)))
    this.setState({ kind: 'backoff', reason: 'QUERY_LIMIT_EXCEEDED', untilMs: now + ms })
    return ms
  }

  // ---- operating budget ---------------------------------------------------------------------------------
  private key(k: string): KeyState {
    let s = this.keys.get(k)
    if (!s) {
      s = { entries: [] }
      this.keys.set(k, s)
    }
    return s
  }
  private windowMs(): number {
    return this.limits.operatingWindowSec * 1000
  }
  private prune(s: KeyState, now: number): void {
    const w = this.windowMs()
    s.entries = s.entries.filter((e) => e.at + w > now)
  }
  /** Seconds of budget in use on key K by the model, now. */
  usedSec(k: string): number {
    const s = this.keys.get(k)
    if (!s) return 0
    this.prune(s, this.clock.now())
    return s.entries.reduce((a, e) => a + e.cost, 0)
  }
  /**
   * The operating budget the client allows itself. It needs less headroom than the request rate: the ledger is
   * re-synced from `time.operating` on every response and frees time no earlier than the server's buckets do,
   * so only usage the client cannot see (another tool on the same credential and method) eats into it. And the
   * server checks before executing: a call is refused only when the time already used reaches the limit. A
   * quarter of the rate margin's headroom: 0.9 → 97.5 % of the budget (12 s of 480 s kept free).
   */
  get budgetSec(): number {
    return this.limits.operatingLimitSec * (1 - (1 - this.margin) / 4)
  }
  /** Expected server seconds of one call of m. */
  serverSecPerCall(m: string): number {
    return this.perCall.get(m) ?? 0.5
  }
  /** Expected billed seconds on key K per call of m. */
  costPerCall(k: string, m: string): number {
    const r = this.ratios.get(k)?.get(m) ?? (k === m ? 1 : 0)
    return r * this.serverSecPerCall(m)
  }
  private billingKeys(m: string): string[] {
    const ks = new Set<string>([m])
    for (const [k, r] of this.ratios) if ((r.get(m) ?? 0) > 0) ks.add(k)
    return [...ks]
  }
  /** How many calls of m fit in the budget right now (Infinity when nothing bills them). */
  affordable(m: string): number {
    let n = Number.POSITIVE_INFINITY
    for (const k of this.billingKeys(m)) {
      const c = this.costPerCall(k, m)
      if (c <= 0) continue
      n = Math.min(n, Math.floor((this.budgetSec - this.usedSec(k)) / c))
    }
    return Math.max(0, n)
  }
  /** When key K will have `needSec` free under the budget (ms epoch), by the ledger's expiries. */
  private freeAt(k: string, needSec: number): number {
    const now = this.clock.now()
    const s = this.key(k)
    this.prune(s, now)
    let used = s.entries.reduce((a, e) => a + e.cost, 0)
    if (used + needSec <= this.budgetSec) return now
    const sorted = [...s.entries].sort((a, b) => a.at - b.at)
    for (const e of sorted) {
      used -= e.cost
      if (used + needSec <= this.budgetSec + 1e-9) return e.at + this.windowMs() + 1
    }
    return now + this.windowMs()
  }
  blockedUntil(m: string): number {
    let until = 0
    for (const k of this.billingKeys(m)) until = Math.max(until, this.keys.get(k)?.blockedUntil ?? 0)
    return until
  }
  /**
   * Waits until at least `min` calls of m are affordable and no billing key of m is blocked. Returns how many
   * calls are affordable then (≥ min, capped by `want`).
   */
  async waitForBudget(m: string, want: number, min = 1, signal?: AbortSignal): Promise<number> {
    for (let i = 0; i < 10_000; i++) {
      const now = this.clock.now()
      const blocked = this.blockedUntil(m)
      if (blocked > now) {
        this.setState({ kind: 'backoff', reason: 'OPERATION_TIME_LIMIT', untilMs: blocked })
        await this.clock.sleep(blocked - now, signal)
        continue
      }
      const n = this.affordable(m)
      if (n >= Math.min(min, want)) return Math.min(n, want)
      // A request whose expected cost is more than the whole budget can never fit: waiting for it would block
      // for good (an unknown method's 0.5 s prior × 50 lookups on a small budget). Send it: its answer teaches
      // the real cost, and a 429 is handled like any other.
      if (this.billingKeys(m).some((k) => this.costPerCall(k, m) * Math.min(min, want) > this.budgetSec)) return Math.min(want, Math.max(n, 1))
      // Wait for the key that binds to free enough for `min` calls.
      let until = now
      let binding = m
      for (const k of this.billingKeys(m)) {
        const c = this.costPerCall(k, m)
        if (c <= 0) continue
        const t = this.freeAt(k, c * Math.min(min, want))
        if (t > until) {
          until = t
          binding = k
        }
      }
      if (until <= now) return Math.min(Math.max(n, 1), want)
      // The server may free budget sooner than the ledger says: its oldest bucket ends at operating_reset_at.
      const last = this.keys.get(binding)?.last
      if (this.prober && binding === 'batch' && last?.resetAtMs !== undefined) {
        // reset_at is whole seconds (floored) on the server's clock: shift to ours and add a second.
        const probeAt = last.resetAtMs + 1000 + (last.localAtMs - last.serverNowMs) + 50
        if (probeAt < until && (this.probedAt.get(binding) ?? 0) < probeAt) {
          if (probeAt > now) {
            this.setState({ kind: 'operating', method: binding, untilMs: probeAt, usedSec: this.usedSec(binding), limitSec: this.limits.operatingLimitSec })
            await this.clock.sleep(probeAt - now, signal)
          }
          this.probedAt.set(binding, probeAt)
          this.counters.probes++
          await this.prober(binding, signal)
          continue
        }
      }
      this.setState({ kind: 'operating', method: binding, untilMs: until, usedSec: this.usedSec(binding), limitSec: this.limits.operatingLimitSec })
      await this.clock.sleep(until - now, signal)
    }
    return Math.max(1, Math.min(want, this.affordable(m)))
  }
  /** 429 OPERATION_TIME_LIMIT on method m: block it until the last known reset + 1 s, or the ban, or one bucket. */
  onOperationLimit(m: string): number {
    this.counters.operationLimitHits++
    const now = this.clock.now()
    const s = this.key(m)
    const resetMs = s.last?.resetAtMs
    const floor = this.limits.banMode === 'ban' ? this.limits.banSec * 1000 : (this.limits.operatingWindowSec * 1000) / 10
    const until = Math.max(resetMs && resetMs > now ? resetMs + 1000 : 0, now + floor)
    s.blockedUntil = until
    // A ban clears the server's buckets; a sliding block lifts as the oldest bucket expires (next report resyncs).
    if (this.limits.banMode === 'ban') s.entries = []
    this.setState({ kind: 'backoff', reason: 'OPERATION_TIME_LIMIT', untilMs: until })
    return until - now
  }

  /** Feed one request's outcome: server time per method, round-trip, and every operating report. */
  observe(o: PacingObservation): void {
    const now = this.clock.now()
    let totalServer = 0
    for (const [m, sec] of Object.entries(o.serverSec)) {
      const n = o.calls[m] ?? 0
      if (n <= 0) continue
      totalServer += sec
      const per = sec / n
      const prev = this.perCall.get(m)
      // More calls in one observation weigh more: w = 1 - (1 - EWMA)^n.
      const w = 1 - Math.pow(1 - EWMA, Math.min(n, 20))
      this.perCall.set(m, prev === undefined ? per : prev + w * (per - prev))
    }
    const dur = o.durationSec ?? totalServer
    const overhead = Math.max(0, o.wallMs - dur * 1000)
    this.overheadMs = this.overheadMs === 0 ? overhead : this.overheadMs + EWMA * (overhead - this.overheadMs)
    for (const r of o.reports) this.report(r, o, now)
  }

  private report(r: OperatingReport, o: PacingObservation, now: number): void {
    const s = this.key(r.key)
    const serverNowMs = r.serverNow !== undefined ? r.serverNow * 1000 : now
    const resetAtMs = r.resetAt !== undefined ? r.resetAt * 1000 : undefined
    // Learn r[K][m] from an exact difference: nothing expired on the server since the previous report.
    if (s.last && s.last.resetAtMs !== undefined && serverNowMs < s.last.resetAtMs) {
      const delta = r.operating - s.last.operating
      const server = Object.values(o.serverSec).reduce((a, b) => a + b, 0)
      if (delta >= 0 && server > 0) {
        let ratios = this.ratios.get(r.key)
        if (!ratios) {
          ratios = new Map()
          this.ratios.set(r.key, ratios)
        }
        for (const m of Object.keys(o.serverSec)) {
          const ratio = delta / server
          const prev = ratios.get(m)
          ratios.set(m, prev === undefined ? ratio : prev + 0.5 * (ratio - prev))
        }
      }
    } else if (!this.ratios.get(r.key) && r.operating > 0 && !(r.key in o.serverSec)) {
      // First sight of a key that bills other methods (e.g. `batch`): a first guess until an exact pair arrives.
      const server = Object.values(o.serverSec).reduce((a, b) => a + b, 0)
      if (server > 0) this.ratios.set(r.key, new Map(Object.keys(o.serverSec).map((m) => [m, Math.min(1, r.operating / server)])))
    }
    s.last = { operating: r.operating, resetAtMs, serverNowMs, localAtMs: now }
    // Re-synchronise the ledger with the server's figure.
    this.prune(s, now)
    const sum = s.entries.reduce((a, e) => a + e.cost, 0)
    if (r.operating >= sum) {
      if (r.operating - sum > 1e-6) s.entries.push({ at: now, cost: r.operating - sum })
    } else {
      let excess = sum - r.operating
      s.entries.sort((a, b) => a.at - b.at)
      while (excess > 1e-9 && s.entries.length) {
        const e = s.entries[0] as Entry
        if (e.cost <= excess) {
          excess -= e.cost
          s.entries.shift()
        } else {
          e.cost -= excess
          excess = 0
        }
      }
    }
  }

  /**
   * Seconds needed to run `calls` more calls of m in `requests` requests, from the limits (bucket and operating
   * budget) and the expected server time — not just the recent rate.
   */
  etaSec(m: string, calls: number, requests: number): number {
    if (calls <= 0) return 0
    const serial = calls * this.serverSecPerCall(m) + (requests * this.overheadMs) / 1000
    const now = this.clock.now()
    this.drain(now)
    const tokens = Math.max(0, this.bucketCapacity - this.level)
    const bucket = requests > tokens ? (requests - tokens) / this.drainPerSec : 0
    let operating = 0
    for (const k of this.billingKeys(m)) {
      const c = this.costPerCall(k, m)
      if (c <= 0) continue
      const need = calls * c
      const s = this.key(k)
      this.prune(s, now)
      const used = s.entries.reduce((a, e) => a + e.cost, 0)
      let avail = this.budgetSec - used
      if (need <= avail) continue
      let t = now
      for (const e of [...s.entries].sort((a, b) => a.at - b.at)) {
        avail += e.cost
        t = e.at + this.windowMs()
        if (need <= avail) break
      }
      let sec = (t - now) / 1000
      if (need > avail) sec += ((need - avail) / this.budgetSec) * this.limits.operatingWindowSec
      operating = Math.max(operating, sec)
      const blocked = (s.blockedUntil ?? 0) - now
      if (blocked > 0) operating += blocked / 1000
    }
    return Math.max(serial, bucket, operating)
  }
}
