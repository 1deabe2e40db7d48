/**
 * The operating-budget ledger of one credential (notes §3: the budget is per credential and method), by billing
 * key (the method the portal bills: `im.chat.add`, or `batch` when it bills the outer batch):
 *  - booked entries, re-synchronised with every reported `time.operating` (U): above what the ledger holds, the
 *    difference is booked now; below, the server has expired older usage and the oldest entries are trimmed. An
 *    entry expires `window` after it was booked — never earlier than the server's own bucket. That holds only while
 *    every entry is dated no earlier than the usage it stands for, so an answer first books its own calls' usage now
 *    and then trims: a report that nets a drop (the server's oldest bucket expired) against new usage would
 *    otherwise leave that new usage on old entries, which expire here long before the server stops counting it —
 *    the ledger then saw room the server did not have (5,000 rows at 16 in flight: peaks of 24.0 s of 24, 429s).
 *    A report older than the last one (a concurrent answer that finished earlier on the server) must not re-sync
 *    or teach a ratio, but its own usage is still dated now (moved off the oldest entries).
 *  - reservations: the expected cost of every request in flight, counted before the next request is admitted, so
 *    the budget is never overspent, not even briefly. Released when the answer's report is in (or the request was
 *    rejected before running); booked when the outcome is unknown (it may have run).
 *  - blocks after 429 OPERATION_TIME_LIMIT.
 */
import type { BillingModel } from './billing'

export interface OperatingReport {
  key: string
  operating: number
  /** Unix seconds, when the server gave it. */
  resetAt?: number
  /** The server's clock at the report (time.finish, unix seconds), when known. */
  serverNow?: number
}

interface Entry {
  at: number
  cost: number
}

interface KeyState {
  entries: Entry[]
  reserved: number
  last?: { operating: number; resetAtMs?: number; serverNowMs: number; localAtMs: number }
  blockedUntil?: number
}

/** Expected seconds per billing key held by one request in flight. */
export interface Reservation {
  readonly costs: ReadonlyMap<string, number>
  open: boolean
}

export class BudgetLedger {
  private readonly keys = new Map<string, KeyState>()

  constructor(private readonly windowMs: () => number) {}

  private key(k: string): KeyState {
    let s = this.keys.get(k)
    if (!s) {
      s = { entries: [], reserved: 0 }
      this.keys.set(k, s)
    }
    return s
  }

  private prune(s: KeyState, now: number): void {
    const w = this.windowMs()
    if (s.entries.some((e) => e.at + w <= now)) s.entries = s.entries.filter((e) => e.at + w > now)
  }

  /** Seconds booked on K (reported or assumed spent), now. */
  used(k: string, now: number): number {
    const s = this.keys.get(k)
    if (!s) return 0
    this.prune(s, now)
    return s.entries.reduce((a, e) => a + e.cost, 0)
  }

  /** Seconds held by requests in flight on K. */
  reserved(k: string): number {
    return this.keys.get(k)?.reserved ?? 0
  }

  /** Every key with something booked, reserved or blocked. */
  activeKeys(): string[] {
    return [...this.keys.keys()]
  }

  reserve(costs: Map<string, number>): Reservation {
    for (const [k, c] of costs) this.key(k).reserved += c
    return { costs, open: true }
  }

  /** The request's answer (and its report) is in, or it never ran: its reservation is no longer needed. */
  release(r: Reservation): void {
    if (!r.open) return
    r.open = false
    for (const [k, c] of r.costs) {
      const s = this.key(k)
      s.reserved = Math.max(0, s.reserved - c)
    }
  }

  /** The outcome is unknown: count the reservation as spent until a report says otherwise. */
  book(r: Reservation, now: number): void {
    if (!r.open) return
    this.release(r)
    for (const [k, c] of r.costs) if (c > 0) this.key(k).entries.push({ at: now, cost: c })
  }

  /**
   * When K will have room for `needSec` more under `budgetSec` by the entries' expiries (ms epoch); Infinity when
   * only requests in flight finishing can make room.
   */
  freeAt(k: string, needSec: number, budgetSec: number, now: number): number {
    const s = this.key(k)
    this.prune(s, now)
    let used = s.entries.reduce((a, e) => a + e.cost, 0)
    const need = needSec + s.reserved
    if (used + need <= budgetSec + 1e-9) return now
    for (const e of [...s.entries].sort((a, b) => a.at - b.at)) {
      used -= e.cost
      if (used + need <= budgetSec + 1e-9) return e.at + this.windowMs() + 1
    }
    return Number.POSITIVE_INFINITY
  }

  block(k: string, until: number): void {
    const s = this.key(k)
    s.blockedUntil = Math.max(s.blockedUntil ?? 0, until)
  }

  /** A ban clears the server's buckets (LL-new): so are ours. */
  clear(k: string): void {
    this.key(k).entries = []
  }

  blockedUntil(keys: Iterable<string>): number {
    let until = 0
    for (const k of keys) until = Math.max(until, this.keys.get(k)?.blockedUntil ?? 0)
    return until
  }

  /** The last report on K, converted to this machine's clock: when the server will drop its oldest bucket. */
  resetAtLocal(k: string): number | undefined {
    const last = this.keys.get(k)?.last
    if (!last || last.resetAtMs === undefined) return undefined
    return last.resetAtMs + (last.localAtMs - last.serverNowMs)
  }

  lastReport(k: string): KeyState['last'] {
    return this.keys.get(k)?.last
  }

  /**
   * Re-synchronises K with the server's figure; learns billing ratios from exact pairs. `serverSec`: the server
   * seconds this answer's own calls ran, per method — their usage is booked now before the ledger meets the figure.
   */
  sync(r: OperatingReport, serverSec: Record<string, number>, now: number, model: BillingModel, alone = true): void {
    const s = this.key(r.key)
    const serverNowMs = r.serverNow !== undefined ? r.serverNow * 1000 : now
    const resetAtMs = r.resetAt !== undefined ? r.resetAt * 1000 : undefined
    const stale = s.last !== undefined && serverNowMs < s.last.serverNowMs
    if (!stale) {
      // Learn r[K][m] from an exact difference: nothing expired on the server since the previous report.
      if (s.last && s.last.resetAtMs !== undefined && serverNowMs < s.last.resetAtMs) model.learnRatio(r.key, serverSec, r.operating - s.last.operating, alone)
      else model.firstSight(r.key, serverSec, r.operating)
      s.last = { operating: r.operating, resetAtMs, serverNowMs, localAtMs: now }
    }
    this.prune(s, now)
    const held = s.entries.reduce((a, e) => a + e.cost, 0)
    const own = model.billedSec(r.key, serverSec)
    if (own > 1e-9) s.entries.push({ at: now, cost: own })
    // A stale figure says nothing new about the total: keep what was held, with this answer's usage dated now.
    this.meet(s, stale ? held : r.operating, now)
  }

  /** Books what the entries lack of `target` now, or trims the oldest entries down to it. */
  private meet(s: KeyState, target: number, now: number): void {
    const sum = s.entries.reduce((a, e) => a + e.cost, 0)
    if (target >= sum) {
      if (target - sum > 1e-6) s.entries.push({ at: now, cost: target - sum })
      return
    }
    let excess = sum - target
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

  /** Booked entries of K, oldest first (for the ETA). */
  entries(k: string, now: number): readonly Entry[] {
    const s = this.keys.get(k)
    if (!s) return []
    this.prune(s, now)
    return [...s.entries].sort((a, b) => a.at - b.at)
  }
}
