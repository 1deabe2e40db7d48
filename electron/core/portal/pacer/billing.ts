/**
 * What requests cost, shared by every client of one portal (the portal decides, not the credential):
 *  - the mean server seconds per call of each method, learned from every answer's `time.duration` — quick to rise
 *    (latency under load), slow to fall;
 *  - r[K][m], the seconds billed on key K per server second spent in method m. Learned from pairs of reports
 *    (ledger.ts). Priors: r[m][m] = 1 (docs billing) and, for calls inside a batch, r[batch][m] = 1 until the first
 *    report on `batch` (0 under docs billing, 0.5 under LL-new): the conservative choice while it is unknown.
 */
export const BATCH_KEY = 'batch'
/** Expected server seconds of a call before anything is measured (a real portal's im.chat.add: ~0.3 s). */
export const DEFAULT_SERVER_SEC = 0.5
/** The key of a prior that stands for every method the prior does not name. */
export const EVERY_METHOD = '*'
/**
 * The most a server second is billed on one key, as far as a difference between two reports with other requests in
 * flight may teach: a call's own time once (docs: each nested call on its method; LL-new: a batch at 0.5; b24jssdk
 * PR #539: the batch's time once, on `batch`). A batch's own overhead can bill a little more; only a request that
 * ran alone shows that exactly, and RESERVE_ALLOWANCE covers the rest.
 */
export const OVERLAPPED_CEILING = 1

/** r[K][m] before anything is known: a call bills its own method, and `batch` while that key is unknown. */
function priorRatio(k: string, m: string): number {
  return k === m || k === BATCH_KEY ? 1 : 0
}

/** EWMA weight of a new observation when the server got faster, and when it got slower. */
const EWMA_DOWN = 0.2
const EWMA_UP = 0.5

export class BillingModel {
  private readonly ratios = new Map<string, Map<string, number>>()
  private readonly perCall = new Map<string, number>()
  /** Expected server seconds of a call of a method not yet measured and not named in the prior. */
  private readonly fallback: number

  /** `prior`: server seconds per call by method; `'*'` (EVERY_METHOD) for every method it does not name. */
  constructor(prior: Record<string, number> = { 'im.chat.add': DEFAULT_SERVER_SEC }) {
    this.fallback = prior[EVERY_METHOD] ?? DEFAULT_SERVER_SEC
    for (const [m, s] of Object.entries(prior)) if (m !== EVERY_METHOD) this.perCall.set(m, s)
  }

  /** Expected server seconds of one call of m. */
  serverSecPerCall(m: string): number {
    return this.perCall.get(m) ?? this.fallback
  }

  /** Learned ratio, or undefined while K has never reported on m. */
  ratio(k: string, m: string): number | undefined {
    return this.ratios.get(k)?.get(m)
  }

  /** Expected billed seconds on key K per call of m. */
  costPerCall(k: string, m: string): number {
    return (this.ratio(k, m) ?? priorRatio(k, m)) * this.serverSecPerCall(m)
  }

  /**
   * Seconds K billed for calls that ran `serverSec[m]` server seconds in each m: what one answer's own calls added to
   * K (the ratio learned, else the prior). Erring high only dates usage later (ledger.ts), so the prior is safe.
   */
  billedSec(k: string, serverSec: Record<string, number>): number {
    let sec = 0
    for (const [m, t] of Object.entries(serverSec)) if (t > 0) sec += (this.ratio(k, m) ?? priorRatio(k, m)) * t
    return sec
  }

  /** The keys a call of m may be billed on: m itself, keys learned to bill it, and `batch` inside a batch while unknown. */
  billingKeys(m: string, inBatch: boolean): string[] {
    const ks = new Set<string>([m])
    for (const [k, r] of this.ratios) if (k !== BATCH_KEY && (r.get(m) ?? 0) > 0) ks.add(k)
    if (inBatch && (this.ratio(BATCH_KEY, m) ?? priorRatio(BATCH_KEY, m)) > 0) ks.add(BATCH_KEY)
    return [...ks]
  }

  /** `n` calls of m took `sec` server seconds in all. More calls in one observation weigh more. */
  learnServerTime(m: string, sec: number, n: number): void {
    if (n <= 0) return
    const per = sec / n
    const prev = this.perCall.get(m)
    if (prev === undefined) {
      this.perCall.set(m, per)
      return
    }
    const base = per > prev ? EWMA_UP : EWMA_DOWN
    const w = 1 - Math.pow(1 - base, Math.min(n, 20))
    this.perCall.set(m, prev + w * (per - prev))
  }

  /**
   * An exact difference: `delta` billed on K while `serverSec[m]` seconds ran in each m. Exact only when the request
   * ran alone. With others in flight (`alone` false), their calls fall on either side of the two reports:
   *  - the difference can be far below this request's share (most of its calls were in the previous report already),
   *    and a ratio learned from it would make reservations too small — the budget overspent (5,000 rows at 16 in
   *    flight: 43 × 429). So it never lowers a ratio once learned (a first one, it sets: under batch-half the
   *    outer batch is billed as it ends, and a difference between two answers is that batch's own bill);
   *  - it can be far above it (other requests' calls finished between the two reports), and a ratio that follows
   *    makes every reservation too large: at 16 in flight on a 4-worker portal it climbed to 2.3–4.7 × the true 1,
   *    the reservations filled the budget and held batches the budget had room for (1,000 rows: 4.3–5.0 s against
   *    a T_min of 4.1 s). So it raises the ratio at most to OVERLAPPED_CEILING, the most a server second is
   *    billed on one key under every documented billing; only an exact pair may show more.
   */
  learnRatio(k: string, serverSec: Record<string, number>, delta: number, alone = true): void {
    const server = Object.values(serverSec).reduce((a, b) => a + b, 0)
    if (!(delta >= 0) || server <= 0) return
    const ratios = this.keyRatios(k)
    for (const m of Object.keys(serverSec)) {
      const ratio = delta / server
      const prev = ratios.get(m)
      if (alone) {
        ratios.set(m, prev === undefined ? ratio : prev + 0.5 * (ratio - prev))
        continue
      }
      // Up, to the ceiling (or where an exact pair put it); never down.
      const to = Math.min(ratio, Math.max(prev ?? 0, OVERLAPPED_CEILING))
      if (prev !== undefined && to <= prev) continue
      ratios.set(m, prev === undefined ? to : prev + 0.5 * (to - prev))
    }
  }

  /**
   * A report on key K that is not the called method itself (e.g. `batch`) for methods K has never been seen to
   * bill: a first guess, high rather than low (the figure is cumulative), until an exact pair arrives. 0 is a valid
   * answer (docs billing: the outer batch is free).
   */
  firstSight(k: string, serverSec: Record<string, number>, operating: number): void {
    if (k in serverSec) return
    const server = Object.values(serverSec).reduce((a, b) => a + b, 0)
    if (server <= 0) return
    const ratios = this.keyRatios(k)
    for (const m of Object.keys(serverSec)) if (!ratios.has(m)) ratios.set(m, Math.min(1, operating / server))
  }

  private keyRatios(k: string): Map<string, number> {
    let r = this.ratios.get(k)
    if (!r) {
      r = new Map()
      this.ratios.set(k, r)
    }
    return r
  }
}
