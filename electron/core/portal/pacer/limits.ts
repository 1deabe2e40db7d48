/** The portal's limits the pacer keeps under (notes §3), per plan, with overrides for scaled sandboxes. */
import type { Plan } from '../../../shared/profile'

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

/** The fraction of the portal's limits the client allows itself, kept in a sane range. */
export const clampMargin = (m: number | undefined): number => Math.min(0.98, Math.max(0.3, m ?? 0.9))

/** The largest share of the operating budget the client allows itself, whatever the margin. */
export const BUDGET_SHARE_MAX = 0.975

/**
 * The operating budget the client allows itself. It needs less headroom than the request rate: the ledger is
 * re-synced from `time.operating` on every response and frees time no earlier than the server's buckets do, so only
 * usage the client cannot see (another tool on the same credential and method) eats into it. And the server checks
 * before executing: a call is refused only when the time already used reaches the limit. A quarter of the rate
 * margin's headroom: 0.9 → 97.5 % of the budget (12 s of 480 s kept free) — and never more than that
 * (BUDGET_SHARE_MAX): requests in flight are reserved at their expected cost, and calls run longer than expected (in
 * the pacing sweep, test/unit/portal/sweep.ts, usage went up to 1.6 % of the limit over the allowance: 7.6 s of 480
 * with 50-call batches of 1 s calls), so a margin above 0.9 speeds the request rate only. Overrunning the bucket
 * costs one 503 and a retry; overrunning the budget blocks the method until the portal's buckets expire.
 */
export const budgetAllowance = (limitSec: number, margin: number | undefined): number => limitSec * Math.min(BUDGET_SHARE_MAX, 1 - (1 - clampMargin(margin)) / 4)
