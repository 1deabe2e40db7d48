/**
 * The dispatcher: one method call with its scope check, operating-budget check and billing, simulated server
 * time and `time` block; and `batch` (notes §4, emulator spec 7). Transport-independent.
 */
import type { AuthContext } from './auth'
import type { Clock } from './clock'
import { E, RestError } from './errors'
import { imMethods } from './methods/im'
import { isoDate, systemMethods } from './methods/system'
import type { MethodDef, MethodEnv, MethodResult } from './methods/types'
import { PhpArray, phpBool, queryPairs, registerVariable, upperKeys } from './php'
import type { Params } from './php'
import type { OperatingBudget } from './limits'
import type { SandboxSwitches } from './types'

export const BATCH_MAX = 50

export interface TimeBlock {
  start: number
  finish: number
  duration: number
  processing: number
  date_start: string
  date_finish: string
  operating?: number
  operating_reset_at?: number
}

export type CallOutcome = { ok: true; res: MethodResult; time: TimeBlock } | { ok: false; error: RestError }

/** Thrown when a request runs past the request cap: the server answers 504 with an HTML page. */
export class RequestCapExceeded extends Error {
  constructor() {
    super('request cap exceeded')
  }
}

export interface RequestScope {
  /** When the request arrived (clock ms). */
  startedAt: number
  /** Clock ms after which the request is killed. */
  deadline: number
  signal: AbortSignal
  /**
   * Simulated server time scheduled so far, ms. Simulated time runs on a schedule from `startedAt`, so a timer
   * that wakes late in one call is made up in the next: a batch takes the sum of its calls' times, not that plus
   * every timer's lateness.
   */
  scheduled: number
}

export interface DispatchStats {
  call(method: string): void
  operationLimited(): void
}

export const METHODS: Record<string, MethodDef> = { ...imMethods, ...systemMethods }

/** Lower-cased, `.json`/`.xml` suffix stripped. */
export function normalizeMethod(m: string): string {
  return m.trim().toLowerCase().replace(/\.(json|xml)$/, '')
}

export const operatingKey = (auth: AuthContext, method: string): string => `${auth.authType}|${auth.credential}|${method}`

const r6 = (n: number): number => Math.round(n * 1e6) / 1e6

export function timeBlock(startMs: number, finishMs: number, processingMs: number): TimeBlock {
  return {
    start: r6(startMs / 1000),
    finish: r6(finishMs / 1000),
    duration: r6((finishMs - startMs) / 1000),
    processing: r6(processingMs / 1000),
    date_start: isoDate(startMs),
    date_finish: isoDate(finishMs),
  }
}

type Sections = Record<'result' | 'result_error' | 'result_total' | 'result_next' | 'result_time', Map<string, unknown>>

function resolveRef(sections: Sections, name: string, path: string[]): { found: boolean; value: unknown } {
  const sec = sections[name as keyof Sections]
  if (!sec || path.length === 0) return { found: false, value: undefined }
  const [first, ...rest] = path
  if (!sec.has(first as string)) return { found: false, value: undefined }
  let v: unknown = sec.get(first as string)
  for (const seg of rest) {
    if (v !== null && typeof v === 'object' && seg in (v as object)) v = (v as Record<string, unknown>)[seg]
    else return { found: false, value: undefined }
  }
  return { found: true, value: v }
}

function flatten(prefix: string, v: unknown, out: [string, string][]): void {
  if (v !== null && typeof v === 'object') {
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v)
    for (const [k, x] of entries) flatten(`${prefix}[${k}]`, x, out)
  } else out.push([prefix, scalar(v)])
}

function scalar(v: unknown): string {
  if (v === true) return '1'
  if (v === false || v === null || v === undefined) return ''
  return String(v)
}

const REF = /\$(result|result_error|result_total|result_next|result_time)((?:\[[^\]]*\])+)/g

/** CRestUtil::ParseBatchQuery: parse_str of a command's query with `$result[key][field]` substituted. */
export function parseBatchQuery(query: string, sections: Sections): Params {
  const params: Params = {}
  for (const [k, v] of queryPairs(query)) {
    if (v.indexOf('$result') < 0) {
      registerVariable(params, k, v)
      continue
    }
    const pathOf = (s: string): string[] => s.slice(1, -1).split('][')
    const whole = new RegExp('^' + REF.source + '$').exec(v)
    if (whole) {
      const ref = resolveRef(sections, whole[1] as string, pathOf(whole[2] as string))
      if (ref.found && ref.value !== null && typeof ref.value === 'object') {
        const pairs: [string, string][] = []
        flatten(k, ref.value, pairs)
        for (const [pk, pv] of pairs) registerVariable(params, pk, pv)
        continue
      }
    }
    const replaced = v.replace(REF, (m, name: string, path: string) => {
      const ref = resolveRef(sections, name, pathOf(path))
      return ref.found ? scalar(typeof ref.value === 'object' && ref.value !== null ? '' : ref.value) : m
    })
    registerVariable(params, k, replaced)
  }
  return params
}

export class Dispatcher {
  constructor(
    private readonly env: MethodEnv,
    private readonly clock: Clock,
    private readonly budget: OperatingBudget,
    private readonly switches: SandboxSwitches,
    private readonly stats: DispatchStats,
  ) {}

  has(method: string): boolean {
    return method === 'batch' || method in METHODS
  }

  /** A top-level request's method (already authenticated and past the leaky bucket). */
  run(auth: AuthContext, method: string, params: Params, scope: RequestScope): Promise<CallOutcome> {
    if (method === 'batch') return this.batch(auth, params, scope)
    return this.call(auth, method, params, scope, true, scope.startedAt)
  }

  /**
   * Spends `ms` of simulated time unless that crosses the request deadline (then the request is killed). A call
   * whose scheduled end has already passed (an earlier timer woke late, or calls shorter than a timer tick) does
   * not wait at all: even a timer of 0 ms takes a tick, which made 50 lookups of 0.45 ms take 65 ms, not 22.
   */
  private async spend(ms: number, scope: RequestScope): Promise<void> {
    if (ms <= 0) return
    const now = this.clock.now()
    const until = scope.startedAt + scope.scheduled + ms
    scope.scheduled += ms
    if (Math.max(until, now) > scope.deadline) {
      await this.clock.sleep(Math.max(0, scope.deadline - now), scope.signal)
      throw new RequestCapExceeded()
    }
    if (until <= now) {
      scope.signal.throwIfAborted()
      return
    }
    await this.clock.sleep(until - now, scope.signal)
  }

  async call(auth: AuthContext, method: string, params: Params, scope: RequestScope, bill: boolean, startedAt?: number): Promise<CallOutcome> {
    const def = METHODS[method]
    if (!def) return { ok: false, error: E.methodNotFound() }
    this.stats.call(method)
    if (def.scopes && !def.scopes.some((s) => auth.scopes.has(s))) return { ok: false, error: E.insufficientScope() }
    const key = operatingKey(auth, method)
    if (bill && !this.budget.allow(key, this.clock.now())) {
      this.stats.operationLimited()
      return { ok: false, error: E.operationLimit() }
    }
    const handlerStart = this.clock.now()
    let res: MethodResult
    try {
      const prepared = def.prepare(auth, def.upperKeys ? upperKeys(params) : params, this.env)
      await this.spend(prepared.costMs, scope)
      res = prepared.commit()
    } catch (e) {
      if (e instanceof RestError) {
        if (bill) this.budget.add(key, this.clock.now(), (this.clock.now() - handlerStart) / 1000)
        return { ok: false, error: e }
      }
      throw e
    }
    const finish = this.clock.now()
    if (bill) this.budget.add(key, finish, (finish - handlerStart) / 1000)
    const time = timeBlock(startedAt ?? handlerStart, finish, finish - handlerStart)
    this.addOperating(time, key, finish)
    return { ok: true, res, time }
  }

  private addOperating(time: TimeBlock, key: string, now: number): void {
    const v = this.budget.view(key, now)
    time.operating = r6(v.used)
    if (v.resetAt !== null) time.operating_reset_at = v.resetAt
  }

  async batch(auth: AuthContext, params: Params, scope: RequestScope): Promise<CallOutcome> {
    this.stats.call('batch')
    const half = this.switches.batchBilling === 'batch-half'
    const batchKey = operatingKey(auth, 'batch')
    if (half && !this.budget.allow(batchKey, this.clock.now())) {
      this.stats.operationLimited()
      return { ok: false, error: E.operationLimit() }
    }
    const cmdRaw = params.cmd ?? params.CMD
    const halt = phpBool(params.halt ?? params.HALT)
    const cmds: [string, unknown][] = Array.isArray(cmdRaw)
      ? cmdRaw.map((v, i) => [String(i), v])
      : cmdRaw !== null && typeof cmdRaw === 'object'
        ? Object.entries(cmdRaw as Params)
        : []
    const out = { result: new PhpArray(), result_error: new PhpArray(), result_total: new PhpArray(), result_next: new PhpArray(), result_time: new PhpArray() }
    const sections: Sections = { result: new Map(), result_error: new Map(), result_total: new Map(), result_next: new Map(), result_time: new Map() }
    const put = (sec: keyof Sections, key: string, v: unknown): void => {
      out[sec].set(key, v)
      sections[sec].set(key, v)
    }
    const handlerStart = this.clock.now()
    let index = 0
    for (const [key, cmd] of cmds) {
      if (index++ >= BATCH_MAX) {
        put('result_error', key, E.batchLength().toJSON())
        continue
      }
      let outcome: CallOutcome
      if (typeof cmd !== 'string') outcome = { ok: false, error: E.methodNotFound() }
      else {
        const q = cmd.indexOf('?')
        const method = normalizeMethod(q < 0 ? cmd : cmd.slice(0, q))
        const subParams = parseBatchQuery(q < 0 ? '' : cmd.slice(q + 1), sections)
        if (method === 'batch' || method.startsWith('download') || method.startsWith('upload')) outcome = { ok: false, error: E.batchMethod() }
        else outcome = await this.call(auth, method, subParams, scope, !half)
      }
      if (outcome.ok) {
        put('result', key, outcome.res.result)
        if (outcome.res.total !== undefined) put('result_total', key, outcome.res.total)
        if (outcome.res.next !== undefined) put('result_next', key, outcome.res.next)
        if (half) {
          delete outcome.time.operating
          delete outcome.time.operating_reset_at
        }
        put('result_time', key, outcome.time)
      } else {
        put('result_error', key, outcome.error.toJSON())
        if (halt) break
      }
    }
    const finish = this.clock.now()
    if (half) this.budget.add(batchKey, finish, (finish - handlerStart) / 1000, 0.5)
    const time = timeBlock(scope.startedAt, finish, finish - handlerStart)
    this.addOperating(time, batchKey, finish)
    if (half) {
      // b24jssdk PR #539: every sub-result carries the batch's operating.
      for (const [, t] of out.result_time.entries) {
        const tb = t as TimeBlock
        tb.operating = time.operating as number
        if (time.operating_reset_at !== undefined) tb.operating_reset_at = time.operating_reset_at
      }
    }
    return { ok: true, res: { result: out }, time }
  }
}
