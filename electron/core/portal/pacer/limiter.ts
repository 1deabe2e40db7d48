/**
 * The adaptive concurrency limiter of one portal: how many requests may be in flight now, 1 ≤ n ≤ ceiling.
 *
 * It holds while latency holds and backs off when it climbs, on 5xx, HTML or a timeout (bursts of over 2,500
 * creations have given real portals 500s). Latency is judged by the queueing a request met: its round trip minus
 * the server time it reports (`time.duration`) minus the smallest such overhead seen lately (the network). A
 * server with W workers answers requests beyond W only after one of them frees a worker, so the queueing grows
 * with every request past W while the server time does not.
 *  - start at the ceiling (the concurrency setting: 4 by default, at most 16 — the "modest" concurrency the docs
 *    advise). No slow start: the ceiling is already small, the portal's bucket (a burst of 50, then 2 per second)
 *    and the operating budget with its reservations bound what the requests in flight can cost whatever the
 *    allowance, and a ramp from 2 spent most of a short job's round trips below the setting (issue 11: 0.67 of
 *    T_min at 16 in flight). An overfull start is taken back by the first answers that queued (below);
 *  - congested (queueing over half the server time): down to × 0.7, or to what the portal evidently runs at once if
 *    that is less — by Little's law, the requests in flight when it was sent × server time / (server time + queueing),
 *    plus one (a start above the portal's capacity is taken back in one step); 5xx, HTML, timeout, 503: halved. The
 *    server time here is the longest seen lately (the heavy requests of the mix): a light lookup queues behind them;
 *    judged by its own 20 ms it would read as a portal that runs a tenth of a request at once;
 *  - after a decrease it grows again by +1/limit per answer that came back while the allowance was in use (+1 per
 *    round trip), and only while answers show no queueing (over a tenth of the server time holds it);
 *  - answers to requests sent before a decrease do not count (they saw the old load).
 */
/** Queueing above this share of the request's server time means the portal is past its capacity. */
const CONGESTED_SHARE = 0.5
/** Queueing above this share holds the allowance where it is (no growth). */
const QUEUEING_SHARE = 0.1
const CONGESTED_FACTOR = 0.7
const OVERLOAD_FACTOR = 0.5
/** Samples of the overhead floor kept. */
const FLOOR_SAMPLES = 32

export type LimiterSample =
  | { kind: 'ok'; wallMs: number; serverMs: number }
  | { kind: 'overload' }
  | { kind: 'neutral' }

export interface LimiterToken {
  readonly seq: number
  /** Requests in flight once this one was sent. */
  readonly inFlight: number
}

export class AdaptiveLimiter {
  private limit: number
  private seq = 0
  private ignoreUpTo = 0
  private readonly overheads: number[] = []
  /** Server times of the recent requests that said something about queueing, ms. */
  private readonly serverTimes: number[] = []
  private load = 1
  inFlight = 0

  constructor(public ceiling: number) {
    this.limit = ceiling
  }

  setCeiling(n: number): void {
    this.ceiling = Math.max(1, Math.floor(n))
    this.limit = Math.min(this.limit, this.ceiling)
  }

  /** Requests allowed in flight now. */
  allowance(): number {
    return Math.max(1, Math.min(this.ceiling, Math.floor(this.limit)))
  }

  canStart(): boolean {
    return this.inFlight < this.allowance()
  }

  start(): LimiterToken {
    this.inFlight++
    return { seq: ++this.seq, inFlight: this.inFlight }
  }

  /** The smallest round trip beyond the server time seen lately: the network's share of a request, ms. */
  overheadMs(): number {
    return this.overheads.length ? Math.min(...this.overheads) : 0
  }

  /** Round trip over server time of recent heavy requests (≥ 1): how much queueing stretches a request now. */
  loadFactor(): number {
    return this.load
  }

  finish(t: LimiterToken, s: LimiterSample): void {
    // Only an answer that came back while the allowance was in use may grow it: an idle allowance proves nothing.
    const saturated = this.inFlight >= this.allowance()
    this.inFlight = Math.max(0, this.inFlight - 1)
    if (s.kind === 'neutral') return
    if (s.kind === 'overload') {
      this.decrease(this.limit * OVERLOAD_FACTOR, t)
      return
    }
    const overhead = Math.max(0, s.wallMs - s.serverMs)
    this.overheads.push(overhead)
    if (this.overheads.length > FLOOR_SAMPLES) this.overheads.shift()
    const floor = Math.min(...this.overheads)
    // Requests whose server time is within the noise of the network say nothing about queueing.
    if (s.serverMs < 4 * Math.max(floor, 1)) return
    const queued = Math.max(0, overhead - floor)
    this.load += 0.3 * ((s.serverMs + queued) / s.serverMs - this.load)
    // What a request queues behind is the requests of the mix, not itself: a lookup of 20 ms that waited 1.5 s
    // behind batches of 750 ms says the portal runs ~3 of them at once, not 0.1. So queueing is judged against the
    // longest server time seen lately (this request's own when it is the longest).
    this.serverTimes.push(s.serverMs)
    if (this.serverTimes.length > FLOOR_SAMPLES) this.serverTimes.shift()
    const service = Math.max(...this.serverTimes)
    if (t.seq <= this.ignoreUpTo) return
    if (queued > CONGESTED_SHARE * service) {
      const running = (t.inFlight * service) / (service + queued)
      this.decrease(Math.min(this.limit * CONGESTED_FACTOR, running + 1), t)
      return
    }
    if (queued > QUEUEING_SHARE * service) return
    if (!saturated) return
    this.limit = Math.min(this.ceiling, this.limit + 1 / this.limit)
  }

  private decrease(to: number, t: LimiterToken): void {
    if (t.seq <= this.ignoreUpTo) return
    this.limit = Math.max(1, Math.min(this.limit, to))
    this.ignoreUpTo = this.seq
  }
}
