/** The contract between the dispatcher and the REST method implementations. */
import type { AuthContext } from '../auth'
import type { Rng } from '../clock'
import { normal } from '../clock'
import type { Params } from '../php'
import type { ChatRecord, ChatStore } from '../state'
import type { SandboxSwitches } from '../types'
import type { SandboxUser } from '../users'

export interface MethodEnv {
  store: ChatStore
  users: Map<number, SandboxUser>
  switches: SandboxSwitches
  /** Latency RNG (seeded). */
  rng: Rng
  /** im.chat.add median in ms; 0 = no simulated time anywhere. */
  latencyMs: number
  now(): number
  origin: string
  /** Called after a chat is created or changed (persistence). */
  chatChanged(c: ChatRecord): void
}

export interface MethodResult {
  result: unknown
  total?: number
  next?: number
}

/** Validation is done in `prepare` (errors are thrown as RestError, before any simulated time); the change is
 * applied by `commit` after `costMs` of simulated server time has elapsed. */
export interface Prepared {
  costMs: number
  commit(): MethodResult
}

export interface MethodDef {
  /** Any of these scopes grants the method; null = no scope needed. */
  scopes: readonly string[] | null
  /** Keys are upper-cased before `prepare` (im.*: array_change_key_case). */
  upperKeys: boolean
  prepare(auth: AuthContext, params: Params, env: MethodEnv): Prepared
}

/** Simulated time of a light method: `factor × latencyMs` with a little lognormal jitter. */
export function lightCost(env: MethodEnv, factor: number): number {
  if (env.latencyMs <= 0) return 0
  return env.latencyMs * factor * Math.exp(0.2 * normal(env.rng))
}

export const done = (costMs: number, fn: () => unknown): Prepared => ({ costMs, commit: () => ({ result: fn() }) })
