/** The share of the operating budget the client allows itself (limits.ts, budgetAllowance). */
import { describe, expect, it } from 'vitest'
import { BUDGET_SHARE_MAX, budgetAllowance } from '../../../electron/core/portal/pacer/limits'

describe('budgetAllowance', () => {
  it('keeps a quarter of the rate margin’s headroom, and never uses more than 97.5 % of the budget', () => {
    expect(BUDGET_SHARE_MAX).toBe(0.975)
    expect(budgetAllowance(480, 0.5)).toBeCloseTo(420, 9)
    expect(budgetAllowance(480, 0.8)).toBeCloseTo(456, 9)
    expect(budgetAllowance(480, 0.9)).toBeCloseTo(468, 9)
    // Above 0.9 the margin speeds the request rate only: calls run longer than reserved (the sweep: 2.5 s over).
    expect(budgetAllowance(480, 0.95)).toBeCloseTo(468, 9)
    expect(budgetAllowance(480, 0.98)).toBeCloseTo(468, 9)
    expect(budgetAllowance(24, undefined)).toBeCloseTo(23.4, 9)
  })
})
