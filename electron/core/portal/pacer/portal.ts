/**
 * The pacing of one portal, shared by every client (profile, job, live check) that talks to it: one leaky bucket,
 * one adaptive concurrency limiter and one model of what requests cost — so concurrency never becomes
 * independent "parallel series of requests from a single IP" (the docs' advice). The operating budget stays per
 * credential and method: one ledger per credential.
 *
 * Admission: every request waits in one FIFO queue until, at once,
 *   1. none of its billing keys is blocked (429);
 *   2. its expected cost fits each key's budget, counting what is booked and what requests in flight hold
 *      (a waiter does not jump an earlier waiter on the same key);
 *   3. the limiter allows one more in flight;
 *   4. the bucket has a token;
 * then it takes all of them in the same tick. 3 and 4 are shared by everyone: the queue stops at the first waiter
 * they hold. The queue is pumped on every change (arrival, answer, report, block, setting) and on a timer at the
 * earliest time-based change; a pump loop that makes no progress while the clock does not move ends in PacerStuck.
 */
import type { Clock } from '../../clock'
import type { PacingState } from '../../../shared/jobs'
import { BillingModel } from './billing'
import { ClientBucket } from './bucket'
import { PacerStuck } from './errors'
import { BudgetLedger } from './ledger'
import type { Reservation } from './ledger'
import { AdaptiveLimiter } from './limiter'
import type { LimiterSample, LimiterToken } from './limiter'
import { budgetAllowance, clampMargin } from './limits'
import type { PortalLimits } from './limits'
import { CONCURRENCY } from '../../../shared/settings'

/**
 * A request's expected cost is an estimate: under load a call can take longer than the recent mean. Every request in
 * flight is counted at its expected cost × this, so that the requests in flight together may run 20 % over their
 * estimate before the budget could be overspent — whatever the concurrency (the budget's own headroom is for usage
 * the client cannot see).
 */
export const RESERVE_ALLOWANCE = 1.2
/** Timer wakes in a row that admit nobody while the clock stands still, before the queue is declared stuck. */
export const MAX_STILL_WAKES = 1000
/** Timer wakes in a row that admit nobody at all, before the queue is declared stuck. */
export const MAX_IDLE_WAKES = 100_000

export interface PortalPacerConfig {
  limits: PortalLimits
  /** Fraction of the portal's limits the client allows itself (0.3–0.98, default 0.9). */
  margin?: number
  /** The most requests in flight (setting; default CONCURRENCY.default). */
  ceiling?: number
  priorServerSec?: Record<string, number>
}

export interface AdmitRequest {
  ledger: BudgetLedger
  /** Calls per method the request carries. */
  calls: Record<string, number>
  /** A `batch` request (may be billed under `batch`). */
  batch: boolean
  /** A budget probe: tiny and never billed, it skips the budget check (not blocks, concurrency or the bucket). */
  probe?: boolean
  signal?: AbortSignal
  /** What the request waits for now (null once admitted). */
  onWait(s: PacingState | null): void
}

export interface Ticket {
  readonly ledger: BudgetLedger
  readonly reservation: Reservation
  readonly token: LimiterToken
  readonly admittedAt: number
  done: boolean
  /** Another request of the portal was in flight at some moment of this one's life (its report is no exact pair). */
  overlapped: boolean
}

/** How a request ended, for the budget (`released`: it was not billed or its report is in; `booked`: it may have run). */
export interface Finish {
  spent: 'released' | 'booked'
  sample: LimiterSample
}

interface Waiter {
  req: AdmitRequest
  resolve(t: Ticket): void
  reject(e: unknown): void
  detach(): void
}

export class PortalPacer {
  limits: PortalLimits
  margin: number
  readonly bucket: ClientBucket
  readonly billing: BillingModel
  readonly limiter: AdaptiveLimiter
  private readonly ledgers = new Map<string, BudgetLedger>()
  private waiters: Waiter[] = []
  /** Requests admitted and not finished. */
  private readonly live = new Set<Ticket>()
  private timer: AbortController | null = null
  private timerAt = Number.POSITIVE_INFINITY
  private pumping = false
  private again = false
  private stillWakes = 0
  private idleWakes = 0
  private lastWakeAt = Number.NEGATIVE_INFINITY
  /** Called after every change of what is in flight (facades re-emit their state). */
  readonly listeners = new Set<() => void>()

  constructor(
    readonly clock: Clock,
    cfg: PortalPacerConfig,
  ) {
    this.limits = cfg.limits
    this.margin = clampMargin(cfg.margin)
    this.bucket = new ClientBucket(0, 0, clock.now())
    this.billing = new BillingModel(cfg.priorServerSec)
    this.limiter = new AdaptiveLimiter(cfg.ceiling ?? CONCURRENCY.default)
    this.configure(cfg)
  }

  /** New limits, margin or ceiling (settings changed): applies to what waits and what comes. */
  configure(cfg: PortalPacerConfig): void {
    this.limits = cfg.limits
    this.margin = clampMargin(cfg.margin ?? this.margin)
    this.bucket.capacity = Math.max(1, Math.floor(this.limits.burst * this.margin))
    this.bucket.drainPerSec = this.limits.rps * this.margin
    if (cfg.ceiling !== undefined) this.limiter.setCeiling(cfg.ceiling)
    this.pump()
  }

  /** The operating budget the client allows itself (budgetAllowance). */
  get budgetSec(): number {
    return budgetAllowance(this.limits.operatingLimitSec, this.margin)
  }

  windowMs(): number {
    return this.limits.operatingWindowSec * 1000
  }

  /** The ledger of one credential (shared by every client using it). */
  ledger(credential: string): BudgetLedger {
    let l = this.ledgers.get(credential)
    if (!l) {
      l = new BudgetLedger(() => this.windowMs())
      this.ledgers.set(credential, l)
    }
    return l
  }

  /** What a request carrying `calls` holds per billing key while in flight: expected seconds × RESERVE_ALLOWANCE. */
  costs(calls: Record<string, number>, batch: boolean): Map<string, number> {
    const out = new Map<string, number>()
    for (const [m, n] of Object.entries(calls)) {
      if (n <= 0) continue
      for (const k of this.billing.billingKeys(m, batch)) {
        const c = n * this.billing.costPerCall(k, m) * RESERVE_ALLOWANCE
        if (c > 0) out.set(k, (out.get(k) ?? 0) + c)
      }
    }
    return out
  }

  /** Waits until the request may be sent and takes what it needs (slot, token, reservation) at once. */
  admit(req: AdmitRequest): Promise<Ticket> {
    if (req.signal?.aborted) return Promise.reject(req.signal.reason)
    return new Promise<Ticket>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((x) => x !== w)
        req.onWait(null)
        reject(req.signal?.reason)
        this.pump()
      }
      const w: Waiter = { req, resolve, reject, detach: () => req.signal?.removeEventListener('abort', onAbort) }
      req.signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.push(w)
      this.pump()
    })
  }

  /** The request is over: settle its reservation, teach the limiter, let the next one in. */
  finish(t: Ticket, f: Finish): void {
    if (t.done) return
    t.done = true
    this.live.delete(t)
    if (f.spent === 'booked') t.ledger.book(t.reservation, this.clock.now())
    else t.ledger.release(t.reservation)
    this.limiter.finish(t.token, f.sample)
    this.changed()
  }

  /** Something the queue depends on changed (a report, a block, a filled bucket). */
  changed(): void {
    this.pump()
    for (const l of this.listeners) l()
  }

  private pump(): void {
    if (this.pumping) {
      this.again = true
      return
    }
    this.pumping = true
    try {
      do {
        this.again = false
        this.pass()
      } while (this.again)
    } finally {
      this.pumping = false
    }
  }

  /** One pass over the queue in order; admits what it can; arms the timer for the earliest time-based change. */
  private pass(): void {
    const now = this.clock.now()
    let wakeAt = Number.POSITIVE_INFINITY
    // Keys an earlier waiter waits on, per ledger: a later request on the same key does not jump the queue.
    const held = new Map<BudgetLedger, Set<string>>()
    const hold = (l: BudgetLedger, ks: string[]): void => {
      const set = held.get(l) ?? new Set<string>()
      for (const k of ks) set.add(k)
      held.set(l, set)
    }
    for (const w of [...this.waiters]) {
      const { req } = w
      const costs = this.costs(req.calls, req.batch)
      const keys = [...costs.keys()]
      const blocked = req.ledger.blockedUntil(keys)
      if (blocked > now) {
        req.onWait({ kind: 'backoff', reason: 'OPERATION_TIME_LIMIT', untilMs: blocked })
        wakeAt = Math.min(wakeAt, blocked)
        hold(req.ledger, keys)
        continue
      }
      if (!req.probe) {
        if (keys.some((k) => held.get(req.ledger)?.has(k))) continue
        const until = this.budgetWait(req.ledger, costs, now)
        if (until.at > now) {
          const k = until.key
          req.onWait({ kind: 'operating', method: k, untilMs: Number.isFinite(until.at) ? until.at : now, usedSec: req.ledger.used(k, now), limitSec: this.limits.operatingLimitSec })
          wakeAt = Math.min(wakeAt, until.at)
          hold(req.ledger, keys)
          continue
        }
      }
      if (!this.limiter.canStart()) {
        req.onWait({ kind: 'sending' })
        break
      }
      const bw = this.bucket.waitMs(now)
      if (bw > 0) {
        req.onWait({ kind: 'bucket', untilMs: now + bw })
        wakeAt = Math.min(wakeAt, now + bw)
        break
      }
      // Admit: everything is taken in this tick.
      this.waiters = this.waiters.filter((x) => x !== w)
      w.detach()
      this.bucket.take(now)
      const reserved = new Map(req.probe ? [] : costs)
      for (const x of this.live) x.overlapped = true
      const ticket: Ticket = { ledger: req.ledger, reservation: req.ledger.reserve(reserved), token: this.limiter.start(), admittedAt: now, done: false, overlapped: this.live.size > 0 }
      this.live.add(ticket)
      this.stillWakes = 0
      this.idleWakes = 0
      req.onWait(null)
      w.resolve(ticket)
      for (const l of this.listeners) l()
    }
    this.arm(wakeAt, now)
  }

  /** When the request's costs fit every key's budget ({at: now} = now), and the key that binds. */
  private budgetWait(l: BudgetLedger, costs: Map<string, number>, now: number): { at: number; key: string } {
    let at = now
    let key = ''
    for (const [k, c] of costs) {
      const used = l.used(k, now)
      const reserved = l.reserved(k)
      if (used + reserved + c <= this.budgetSec + 1e-9) continue
      // Alone and larger than the whole budget: nothing else can make room, so it goes when the key is empty.
      if (used + reserved <= 1e-9) continue
      const t = l.freeAt(k, c, this.budgetSec, now)
      if (t > at) {
        at = t
        key = k
      }
    }
    return { at, key }
  }

  private arm(at: number, now: number): void {
    if (!this.waiters.length || !Number.isFinite(at)) {
      this.disarm()
      return
    }
    if (this.timer && this.timerAt === at) return
    this.disarm()
    const ctl = new AbortController()
    this.timer = ctl
    this.timerAt = at
    this.clock.sleep(Math.max(0, at - now), ctl.signal).then(
      () => {
        if (this.timer !== ctl) return
        this.timer = null
        this.timerAt = Number.POSITIVE_INFINITY
        this.wake()
      },
      () => undefined,
    )
  }

  private disarm(): void {
    this.timer?.abort()
    this.timer = null
    this.timerAt = Number.POSITIVE_INFINITY
  }

  /** A timer wake. A loop that keeps waking without admitting anyone while time stands still is stuck. */
  private wake(): void {
    const now = this.clock.now()
    this.stillWakes = now <= this.lastWakeAt ? this.stillWakes + 1 : 0
    this.lastWakeAt = now
    this.idleWakes++
    if (this.stillWakes > MAX_STILL_WAKES || this.idleWakes > MAX_IDLE_WAKES) {
      const tries = Math.max(this.stillWakes, this.idleWakes)
      const stuck = this.waiters
      this.waiters = []
      this.stillWakes = 0
      this.idleWakes = 0
      for (const w of stuck) {
        w.detach()
        w.req.onWait(null)
        w.reject(new PacerStuck('admission', tries))
      }
      return
    }
    this.pump()
  }
}
