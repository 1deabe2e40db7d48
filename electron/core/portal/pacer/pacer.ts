/**
 * The Pacer: what one portal client sees of its portal's pacing — the portal's shared bucket, limiter and cost
 * model (portal.ts), bound to the ledger of the client's credential. Every request of the client is admitted here
 * (`admit` … `complete`), so reservations, bucket tokens, blocks and backoffs are shared by concurrent callers.
 *
 * The sync engine uses: `inFlightLimit()` (how many batches to keep in flight), `waitForBudget` / `affordable`
 * (how many calls fit now), `serverSecPerCall` / `latencySecPerCall` (batch sizing), `etaSec`, `onState`.
 */
import type { Clock } from '../../clock'
import type { PacingFlow, PacingState } from '../../../shared/jobs'
import { BATCH_KEY } from './billing'
import { PacerStuck } from './errors'
import { etaSec } from './eta'
import type { EtaKey } from './eta'
import type { BudgetLedger, OperatingReport } from './ledger'
import type { LimiterSample } from './limiter'
import type { PortalLimits } from './limits'
import { PortalPacer, RESERVE_ALLOWANCE } from './portal'
import type { Finish, Ticket } from './portal'

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
  /** No other request of the portal was in flight at any moment of this one's (its report pairs exactly). */
  alone?: boolean
}

/** What a request asks of the pacer. */
export interface AdmitSpec {
  calls: Record<string, number>
  batch: boolean
  probe?: boolean
  signal?: AbortSignal
}

/** How many times a wait loop may go round without its condition clearing before it gives up (PacerStuck). */
export const MAX_WAIT_LOOPS = 10_000
/** The last round's batches take 1 / TAIL_SHARE of the work left per lane (`batchCalls`). */
export const TAIL_SHARE = 2
/** …and their requests at most this share of the bucket's tokens until the run's expected end. */
export const TAIL_BUCKET_SHARE = 0.5
/**
 * What one more request costs the run, whatever the portal's server time: a round trip to a cloud portal and the
 * engine's turn between an answer and the next batch (its journal writes). Not scaled by the bench: it is the network
 * and the client, not the portal's clock.
 */
export const REQUEST_COST_SEC = 0.05
/** The spread of one call's server time as a share of its mean (lognormal σ 0.35, as the sandbox models it). */
export const CALL_SPREAD = 0.38
/**
 * What halving a last batch of n calls saves at the end, in σ √n: the last of 16 lanes ends ~1.8 σ √n after their
 * mean, so 1.8 × (1 − 1/√2) ≈ 0.53.
 */
export const HALVING_SAVES = 1.8 * (1 - Math.SQRT1_2)

/** A request on the wire as `callsLeft` sees it: its calls and when it left (ms, the caller's clock). */
export interface OnWire {
  calls: number
  sentAt: number
}

/**
 * The calls left to run, for sizing the next batch (`Pacer.batchCalls`): the `planned` calls not yet sent, and what
 * each request on the wire has still to run by its expected time (`perCallSec` per call, from `sentAt` to `now`, ms).
 * So the batches that start together share the calls equally (60 calls, 4 in flight: 15 each, not 15, 12, 9, 6),
 * while a batch that leaves as the others end counts only the calls left. Counting only the calls not yet sent
 * instead makes every later batch of the last round too small: more requests, and at real times (2 per s) the
 * bucket, not the server, sets the end.
 */
export function callsLeft(planned: number, onWire: Iterable<OnWire>, now: number, perCallSec: number): number {
  const perCallMs = Math.max(1e-6, perCallSec * 1000)
  let left = planned
  for (const b of onWire) left += Math.max(0, b.calls - (now - b.sentAt) / perCallMs)
  return Math.ceil(left)
}

export type PacerOptions =
  | { clock: Clock; limits: PortalLimits; margin?: number; priorServerSec?: Record<string, number>; concurrency?: number }
  | { portal: PortalPacer; credential: string }

export type { Ticket, Finish, LimiterSample }

export class Pacer {
  readonly portal: PortalPacer
  readonly ledger: BudgetLedger
  /** Counters for diagnostics and the benchmark (this client's requests). */
  readonly counters = { requests: 0, queryLimitHits: 0, operationLimitHits: 0, probes: 0 }
  /**
   * Sends a cheap request whose answer reports key K's `operating` (e.g. a `batch` holding `server.time`). Used
   * while waiting: the server frees a whole bucket at `operating_reset_at`, often long before the ledger's
   * conservative expiry, and only a fresh report says so.
   */
  prober: ((key: string, signal?: AbortSignal) => Promise<void>) | null = null
  private readonly probedAt = new Map<string, number>()
  private readonly clock: Clock
  private state: PacingState = { kind: 'idle' }
  private stateText = ''
  private readonly listeners = new Set<(s: PacingState) => void>()
  private readonly waits = new Map<object, PacingState>()
  /** A back-off or token refresh the client announced: shown until it ends, unless a wait of its own says more. */
  private note: PacingState | null = null
  private own = 0
  private readonly onPortalChange = (): void => this.refresh()

  constructor(opts: PacerOptions) {
    if ('portal' in opts) {
      this.portal = opts.portal
      this.ledger = opts.portal.ledger(opts.credential)
    } else {
      this.portal = new PortalPacer(opts.clock, { limits: opts.limits, margin: opts.margin, ceiling: opts.concurrency, priorServerSec: opts.priorServerSec })
      this.ledger = this.portal.ledger('default')
    }
    this.clock = this.portal.clock
    this.portal.listeners.add(this.onPortalChange)
  }

  /** Stops following the shared portal pacing (the client is closed). */
  dispose(): void {
    this.portal.listeners.delete(this.onPortalChange)
  }

  get limits(): PortalLimits {
    return this.portal.limits
  }
  get margin(): number {
    return this.portal.margin
  }

  // ---- state for the UI -------------------------------------------------------------------------------
  get pacing(): PacingState {
    return this.state
  }
  setState(s: PacingState): void {
    if (s.kind === 'backoff' || s.kind === 'refreshing-token') this.note = s
    this.emit(s)
  }
  private emit(s: PacingState): void {
    const next: PacingState = { ...s, flow: this.flow() }
    const text = JSON.stringify(next)
    if (text === this.stateText) return
    this.stateText = text
    this.state = next
    for (const l of this.listeners) l(next)
  }
  onState(l: (s: PacingState) => void): () => void {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }
  /** The state from this client's waits and requests in flight. */
  private refresh(): void {
    const wait = this.waits.values().next()
    if (!wait.done) return this.emit(wait.value)
    const note = this.note
    if (note && (note.kind === 'refreshing-token' || (note.kind === 'backoff' && note.untilMs > this.clock.now()))) return this.emit(note)
    this.note = null
    this.emit(this.own > 0 ? { kind: 'sending' } : { kind: 'idle' })
  }

  /** Requests in flight on the portal and the budget in use on this credential. */
  flow(): PacingFlow {
    const now = this.clock.now()
    let pct: number | null = null
    let method: string | null = null
    for (const k of this.ledger.activeKeys()) {
      const used = this.ledger.used(k, now)
      if (used <= 0) continue
      const p = (100 * used) / this.limits.operatingLimitSec
      if (pct === null || p > pct) {
        pct = p
        method = k
      }
    }
    const l = this.portal.limiter
    return { inFlight: l.inFlight, limit: l.allowance(), ceiling: l.ceiling, budgetUsedPct: pct === null ? null : Math.round(pct), budgetMethod: method }
  }

  // ---- concurrency ----------------------------------------------------------------------------------------
  /** How many requests the portal's adaptive limiter allows in flight now (1 ≤ n ≤ the setting). */
  inFlightLimit(): number {
    return this.portal.limiter.allowance()
  }
  /** Requests in flight to the portal now (every client). */
  inFlight(): number {
    return this.portal.limiter.inFlight
  }
  get ceiling(): number {
    return this.portal.limiter.ceiling
  }
  /** Round trip over server time lately (≥ 1): the queueing requests meet at the current concurrency. */
  loadFactor(): number {
    return this.portal.limiter.loadFactor()
  }

  /**
   * How many calls to put in the next batch when `pending` are left (calls of m): spread evenly over whole rounds of
   * the requests allowed in flight, at most `max`. A batch runs its calls one after another on one server worker, so
   * the rounds (⌈pending / (allowance × max)⌉ of them) are the critical path: 1,000 calls at 16 in flight are two
   * rounds of 32 (0.96 s of a 15 ms call), not a round of 50 and a second of four batches of 50 that leaves twelve
   * lanes idle (1.5 s). At concurrency 1 it is simply min(pending, max).
   *
   * The last round (all that is left fits in one) is split finer where that pays, so the lanes end together: each
   * batch takes 1 / TAIL_SHARE of the work left per lane, and the lanes that free first take the rest in smaller
   * pieces. A batch of n calls ends about √n × σ from its expected time (σ: the spread of one call's server time),
   * and the last of 16 lanes ~1.8 σ √n after their mean (of 4, ~1.0 σ √n), so halving a batch of n saves up to
   * ~0.53 σ √n at the end and costs one more request. `tailFloor` stops the split where that request costs more than
   * it saves, or where the requests would not fit in the bucket. At real times (σ ≈ 0.12 s) the split goes down to a
   * few calls: 150 calls on 4 lanes of the real-limit sandbox took 13.1–13.8 s in one round of 38, 12.9–13.0 s split.
   * At the bench's 1/20 time scale a call spreads by ~6 ms against REQUEST_COST_SEC, so the batches stay even there.
   */
  batchCalls(pending: number, max = 50, m = 'im.chat.add'): number {
    if (pending <= 0) return 0
    const lanes = this.inFlightLimit()
    if (lanes === 1) return Math.min(pending, max)
    const rounds = Math.ceil(pending / (lanes * max))
    const even = Math.max(1, Math.min(max, Math.ceil(pending / (rounds * lanes))))
    if (rounds > 1) return even
    return Math.min(even, Math.max(this.tailFloor(pending, lanes, m), Math.ceil(pending / (TAIL_SHARE * lanes))))
  }

  /**
   * The smallest batch of the last round, the larger of two floors:
   * - worth a request: a piece of n is halved only while HALVING_SAVES σ √n > REQUEST_COST_SEC, so no piece is
   *   smaller than half of n* = (REQUEST_COST_SEC / (HALVING_SAVES σ))²;
   * - fits in the bucket: the requests the pending calls need at that size take at most TAIL_BUCKET_SHARE of the
   *   tokens the bucket gives until they are expected to end (the tokens free now and its drain over that time),
   *   leaving the rest for lookups, owners and the other clients of the portal.
   */
  private tailFloor(pending: number, lanes: number, m: string): number {
    const perCall = this.latencySecPerCall(m)
    const sigma = CALL_SPREAD * perCall
    const worth = sigma > 0 ? Math.ceil((REQUEST_COST_SEC / (HALVING_SAVES * sigma)) ** 2 / 2) : pending
    const tokens = this.portal.bucket.tokensWithin(this.clock.now(), (pending * perCall) / lanes)
    const fits = tokens > 0 ? Math.ceil(pending / (TAIL_BUCKET_SHARE * tokens)) : pending
    return Math.max(worth, fits)
  }

  /** Waits until a request may go (blocks, budget incl. reservations, concurrency, bucket) and takes its share. */
  async admit(spec: AdmitSpec): Promise<Ticket> {
    const id = {}
    const t = await this.portal.admit({
      ...spec,
      ledger: this.ledger,
      onWait: (s) => {
        if (s) this.waits.set(id, s)
        else this.waits.delete(id)
        this.refresh()
      },
    })
    this.own++
    this.counters.requests++
    this.note = null
    this.refresh()
    return t
  }

  /** The request is over (feed `observe` first when it answered, so its report is in before its reservation goes). */
  complete(t: Ticket, f: Finish): void {
    if (t.done) return
    this.own = Math.max(0, this.own - 1)
    this.portal.finish(t, f)
    this.refresh()
  }

  // ---- leaky bucket -------------------------------------------------------------------------------------
  get bucketCapacity(): number {
    return this.portal.bucket.capacity
  }
  get drainPerSec(): number {
    return this.portal.bucket.drainPerSec
  }
  /** Milliseconds until a request may go out under the bucket (0 = now). */
  bucketWaitMs(): number {
    return this.portal.bucket.waitMs(this.clock.now())
  }
  /** Waits for a bucket token and takes it (the bucket alone; requests go through `admit`). */
  async takeSlot(signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < MAX_WAIT_LOOPS; i++) {
      const wait = this.bucketWaitMs()
      if (wait <= 0) {
        this.portal.bucket.take(this.clock.now())
        this.counters.requests++
        return
      }
      this.setState({ kind: 'bucket', untilMs: this.clock.now() + wait })
      await this.clock.sleep(wait, signal)
    }
    throw new PacerStuck('bucket', MAX_WAIT_LOOPS)
  }
  /** 503 QUERY_LIMIT_EXCEEDED: the portal's bucket is full. Fill ours and back off (1/Y + 1 s) × 1.5^attempt. */
  onQueryLimit(attempt: number): number {
    this.counters.queryLimitHits++
    const now = this.clock.now()
    this.portal.bucket.fill(now)
    const ms = Math.ceil((1000 / this.limits.rps + 1000) * Math.pow(1.5, Math.max(0, attempt)))
    this.setState({ kind: 'backoff', reason: 'QUERY_LIMIT_EXCEEDED', untilMs: now + ms })
    this.portal.changed()
    return ms
  }

  // ---- operating budget ---------------------------------------------------------------------------------
  get budgetSec(): number {
    return this.portal.budgetSec
  }
  /** Seconds of budget booked on key K, now (requests in flight not included: see `reservedSec`). */
  usedSec(k: string): number {
    return this.ledger.used(k, this.clock.now())
  }
  /** Seconds held on key K by requests in flight. */
  reservedSec(k: string): number {
    return this.ledger.reserved(k)
  }
  /** Expected server seconds of one call of m. */
  serverSecPerCall(m: string): number {
    return this.portal.billing.serverSecPerCall(m)
  }
  /** Expected seconds one call of m adds to a request now: server time stretched by the queueing it meets. */
  latencySecPerCall(m: string): number {
    return this.serverSecPerCall(m) * this.loadFactor()
  }
  /** Expected billed seconds on key K per call of m. */
  costPerCall(k: string, m: string): number {
    return this.portal.billing.costPerCall(k, m)
  }
  /**
   * How many calls of m, in one batch, fit in the budget right now (Infinity when nothing bills them): what admission
   * will let through, each counted at its expected cost × RESERVE_ALLOWANCE.
   */
  affordable(m: string): number {
    const now = this.clock.now()
    let n = Number.POSITIVE_INFINITY
    for (const k of this.portal.billing.billingKeys(m, true)) {
      const c = this.costPerCall(k, m) * RESERVE_ALLOWANCE
      if (c <= 0) continue
      n = Math.min(n, Math.floor((this.budgetSec - this.ledger.used(k, now) - this.ledger.reserved(k)) / c))
    }
    return Math.max(0, n)
  }
  blockedUntil(m: string): number {
    return this.ledger.blockedUntil(this.portal.billing.billingKeys(m, true))
  }
  /**
   * Waits until at least `min` calls of m are affordable and no billing key of m is blocked. Returns how many
   * calls are affordable then (≥ min, capped by `want`).
   */
  async waitForBudget(m: string, want: number, min = 1, signal?: AbortSignal): Promise<number> {
    for (let i = 0; i < MAX_WAIT_LOOPS; i++) {
      const now = this.clock.now()
      const blocked = this.blockedUntil(m)
      if (blocked > now) {
        this.setState({ kind: 'backoff', reason: 'OPERATION_TIME_LIMIT', untilMs: blocked })
        await this.clock.sleep(blocked - now, signal)
        continue
      }
      const need = Math.min(min, want)
      const n = this.affordable(m)
      if (n >= need) return Math.min(n, want)
      // Wait for the key that binds to free enough for `need` calls.
      let until = now
      let binding = m
      for (const k of this.portal.billing.billingKeys(m, true)) {
        const c = this.costPerCall(k, m) * RESERVE_ALLOWANCE
        if (c <= 0) continue
        const t = this.ledger.freeAt(k, c * need, this.budgetSec, now)
        if (t > until) {
          until = t
          binding = k
        }
      }
      // Alone and larger than the whole budget: it goes when nothing else is booked or in flight.
      if (until <= now || this.ledger.used(binding, now) + this.ledger.reserved(binding) <= 1e-9) return Math.min(Math.max(n, 1), want)
      if (await this.probe(binding, until, signal)) continue
      this.setState({ kind: 'operating', method: binding, untilMs: Number.isFinite(until) ? until : now, usedSec: this.usedSec(binding), limitSec: this.limits.operatingLimitSec })
      // Booked entries free room as they expire (`until`); answers of requests in flight free what they hold, often
      // much sooner: while any is held, the next change wakes the wait too.
      if (!Number.isFinite(until)) await this.nextChange(signal)
      else if (this.ledger.reserved(binding) > 0) await this.sleepOrChange(until - now, signal)
      else await this.clock.sleep(until - now, signal)
    }
    throw new PacerStuck('budget', MAX_WAIT_LOOPS)
  }

  /**
   * The server may free budget sooner than the ledger says: its oldest bucket ends at `operating_reset_at`. When
   * that comes before the ledger's own expiry, sleep until then and ask (a probe). Returns whether it probed.
   */
  private async probe(key: string, until: number, signal?: AbortSignal): Promise<boolean> {
    const reset = this.ledger.resetAtLocal(key)
    if (!this.prober || key !== BATCH_KEY || reset === undefined) return false
    // reset_at is whole seconds (floored) on the server's clock: shift to ours and add a second.
    const probeAt = reset + 1000 + 50
    if (!(probeAt < until) || (this.probedAt.get(key) ?? 0) >= probeAt) return false
    const now = this.clock.now()
    if (probeAt > now) {
      this.setState({ kind: 'operating', method: key, untilMs: probeAt, usedSec: this.usedSec(key), limitSec: this.limits.operatingLimitSec })
      await this.clock.sleep(probeAt - now, signal)
    }
    this.probedAt.set(key, probeAt)
    this.counters.probes++
    await this.prober(key, signal)
    return true
  }

  /** Resolves after `ms` or at the next change of the portal's pacing, whichever is first; rejects when aborted. */
  private async sleepOrChange(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    const ctl = new AbortController()
    const onAbort = (): void => ctl.abort(signal?.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    const both = [this.clock.sleep(ms, ctl.signal), this.nextChange(ctl.signal)]
    for (const p of both) p.catch(() => undefined) // the one that loses is aborted below
    try {
      await Promise.race(both)
    } finally {
      signal?.removeEventListener('abort', onAbort)
      ctl.abort()
    }
  }

  /** Resolves at the next change of the portal's pacing (an answer, a report), or rejects when aborted. */
  private nextChange(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.portal.listeners.delete(done)
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = (): void => {
        this.portal.listeners.delete(done)
        reject(signal?.reason)
      }
      this.portal.listeners.add(done)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /**
   * 429 OPERATION_TIME_LIMIT on key K. What the portal said wins: K waits until `operating_reset_at` of the last
   * successful answer + 1 s (the docs: "for the first retry, refer to operating_reset_at"). Only when it said
   * nothing (no report, or that moment has passed): the ban (ban mode) or one bucket (sliding). Returns the wait, ms.
   */
  onOperationLimit(k: string): number {
    this.counters.operationLimitHits++
    const now = this.clock.now()
    const reset = this.ledger.resetAtLocal(k)
    const said = reset !== undefined && reset + 1000 > now ? reset + 1000 : undefined
    const silent = now + (this.limits.banMode === 'ban' ? this.limits.banSec * 1000 : this.portal.windowMs() / 10)
    const until = said ?? silent
    this.ledger.block(k, until)
    // A ban clears the server's buckets; a sliding block lifts as the oldest bucket expires (next report resyncs).
    if (this.limits.banMode === 'ban') this.ledger.clear(k)
    this.setState({ kind: 'backoff', reason: 'OPERATION_TIME_LIMIT', untilMs: until })
    this.portal.changed()
    return until - now
  }

  /** Feed one request's outcome: server time per method, round-trip, and every operating report. */
  observe(o: PacingObservation): void {
    const now = this.clock.now()
    for (const [m, sec] of Object.entries(o.serverSec)) this.portal.billing.learnServerTime(m, sec, o.calls[m] ?? 0)
    // Unknown: the request being observed still counts in flight (observe comes before complete), so alone is 1.
    const alone = o.alone ?? this.portal.limiter.inFlight <= 1
    for (const r of o.reports) this.ledger.sync(r, o.serverSec, now, this.portal.billing, alone)
    this.portal.changed()
  }

  /**
   * Seconds needed to run `calls` more calls of m in `requests` requests, from the limits (bucket and operating
   * budget), the expected server time and the concurrency allowed now — not just the recent rate.
   */
  etaSec(m: string, calls: number, requests: number): number {
    const now = this.clock.now()
    const keys: EtaKey[] = this.portal.billing.billingKeys(m, true).map((k) => ({
      costPerCall: this.costPerCall(k, m),
      used: this.ledger.used(k, now),
      reserved: this.ledger.reserved(k),
      budgetSec: this.budgetSec,
      windowSec: this.limits.operatingWindowSec,
      entries: this.ledger.entries(k, now),
      blockedUntil: this.ledger.blockedUntil([k]),
    }))
    return etaSec({
      now,
      calls,
      requests,
      secPerCall: this.serverSecPerCall(m),
      overheadSec: this.portal.limiter.overheadMs() / 1000,
      parallel: this.inFlightLimit(),
      loadFactor: this.loadFactor(),
      bucketFree: this.portal.bucket.free(now),
      drainPerSec: this.drainPerSec,
      keys,
    })
  }
}
