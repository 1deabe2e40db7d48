/**
 * Pacing (notes §3, Client spec §4) lives in ./pacer/: a leaky bucket a little under the plan's, an operating-budget
 * ledger per credential and billing key with reservations for requests in flight, an adaptive concurrency limiter
 * and the ETA, behind the `Pacer` facade — one pacing per portal through a `PacerRegistry`.
 */
export { Pacer, PacerRegistry, PacerStuck, PLAN_LIMITS, limitsForPlan } from './pacer'
export type { PortalLimits, PacingObservation, OperatingReport } from './pacer'
