/**
 * The sandbox portal: a local Bitrix24-compatible HTTPS server (see README.md). Public API for tests, benchmarks,
 * the CLI (`b24chat sandbox`) and the app's built-in "Sandbox portal" profile.
 */
export { startSandbox, PLANS, DEFAULT_WORKERS } from './server'
export type { CapacityStats } from './capacity'
export { parseFaults } from './faults'
export { systemClock, seededRng } from './clock'
export type { Clock, Rng } from './clock'
export { FAULT_KINDS } from './types'
export type {
  Sandbox,
  SandboxOptions,
  SandboxSwitches,
  SandboxStats,
  SandboxChat,
  OperatingStat,
  Faults,
  FaultKind,
  Plan,
  WebhookSpec,
  OAuthCredentials,
} from './types'
export { QLE_BODY } from './errors'
