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
