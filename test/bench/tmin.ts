/**
 * T_min: the least wall time any client can take to create N chats on a portal whose rules are the sandbox's, when
 * it may keep up to C requests in flight and the portal runs W of them at once. Let P = min(W, C).
 *
 * A client sends R requests carrying N calls in all, each call taking c server seconds on average (S = N·c). Three
 * bounds hold whatever the client does:
 *
 *   bucket    X requests at once, then Y per second (leaky bucket): T ≥ (R − X) / Y when R > X.
 *   server    at most P requests run at once, so at most P server seconds pass per second: T ≥ S / P.
 *             (The critical path: a call cannot be split, a batch runs its calls one after another, a request
 *             cannot run before it is sent — all of them only add to this.)
 *   budget    a client that never overspends has at most L billed seconds in any window of length Wo. A server
 *             second is billed w seconds (w = 1 for a call billed to its own method — docs billing, or a single
 *             call; w = 0.5 for a batch under batch-half billing), so a window holds at most Q = L / w server
 *             seconds. When S > Q let k = ⌈S / Q⌉: the k − 1 windows that tile [0, (k−1)·Wo) hold at most
 *             (k − 1)·Q, so at least S − (k − 1)·Q runs after (k − 1)·Wo, at most P per second:
 *             T ≥ (k − 1)·Wo + (S − (k − 1)·Q) / P.
 *
 * A client may send batches of up to 50 calls (R = ⌈N / 50⌉, w by billing mode) or one call per request (R = N,
 * w = 1); T_min is the smaller, over those two ways, of the largest of the three bounds. With P = 1 it is the
 * one-at-a-time T_min of the earlier bench. It assumes a pure sliding window and 100 % of the budget: the sandbox
 * frees budget in ten buckets per window (a little sooner than a sliding window), its check before executing lets
 * the last call overshoot, and the engine keeps 2.5 % of the budget free — so a client can be a little faster than
 * the budget bound on a budget-bound case, and the engine a little slower.
 */
export interface TMinInput {
  /** Chats to create. */
  n: number
  /** Mean server seconds per chat. */
  callSec: number
  /** Requests the client may have in flight (C) and the portal runs at once (W; 0 or Infinity = unlimited). */
  concurrency: number
  workers: number
  /** Leaky bucket X and Y. */
  burst: number
  rps: number
  /** Operating budget L seconds per window Wo seconds. */
  limitSec: number
  windowSec: number
  billing: 'docs' | 'batch-half'
  /** Calls no longer than this are not billed (0.1 s on a real portal). */
  minCountedSec: number
}

export interface TMin {
  tMin: number
  batched: number
  single: number
  /** S = N · c */
  serverSec: number
  /** P = min(W, C) */
  parallel: number
}

export const BATCH_MAX = 50

/** Bound from the operating budget: Q server seconds per window of `windowSec`, at most `p` per second. */
export function budgetBound(serverSec: number, perWindow: number, windowSec: number, p: number): number {
  if (!(perWindow > 0) || !Number.isFinite(perWindow)) return serverSec / p
  if (serverSec <= perWindow) return serverSec / p
  const k = Math.ceil(serverSec / perWindow)
  return (k - 1) * windowSec + (serverSec - (k - 1) * perWindow) / p
}

export function tMin(i: TMinInput): TMin {
  const w = i.workers > 0 ? i.workers : Number.POSITIVE_INFINITY
  const p = Math.max(1, Math.min(w, i.concurrency))
  const S = i.n * i.callSec
  const bucket = (requests: number): number => (requests > i.burst ? (requests - i.burst) / i.rps : 0)
  /** Server seconds per window the budget allows, billing `weight` per server second for units of `unitSec`. */
  const perWindow = (weight: number, unitSec: number): number => (unitSec <= i.minCountedSec ? Number.POSITIVE_INFINITY : i.limitSec / weight)
  // batch-half bills the whole batch (a unit of up to 50 calls); docs bills each call.
  const batchBudget = i.billing === 'batch-half' ? perWindow(0.5, Math.min(i.n, BATCH_MAX) * i.callSec) : perWindow(1, i.callSec)
  const batched = Math.max(bucket(Math.ceil(i.n / BATCH_MAX)), S / p, budgetBound(S, batchBudget, i.windowSec, p))
  const single = Math.max(bucket(i.n), S / p, budgetBound(S, perWindow(1, i.callSec), i.windowSec, p))
  return { tMin: Math.min(batched, single), batched, single, serverSec: S, parallel: p }
}
