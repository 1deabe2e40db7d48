/**
 * A TypeScript port of fast_bitrix24's published strategy (leshchenko1979/fast_bitrix24, 1.8.x), for the bench: a pool
 * of concurrent batch requests with its default pacing. No Python is available here, so it is re-implemented
 * faithfully from the sources (read with the look-up tool), with its defaults; only its times are scaled by the
 * bench's one time factor, like the sandbox's. What was followed:
 *
 *  - bitrix.py @fff1c4bf `BitrixAsync.__init__`: defaults request_pool_size=50, requests_per_second=2.0,
 *    respect_velocity_policy=True; `call(method, items)` → `CallUserRequest`.
 *  - user_request.py @0441b5d9 `CallUserRequest.prepare_item_list`: each item gets `__order = "order<i>"`, which is
 *    also its batch command label (`MultipleServerRequestHandlerPreserveIDs`, ID_field `__order`).
 *  - mult_request.py @06030a95 `generate_a_task`: batches of 50 (`halt: 0`, `cmd: {label: "method?query"}`), one
 *    `single_request('batch', …)` task each; `run`: `top_up_tasks` (add int(mcr_cur_limit) − concurrent_requests
 *    tasks), `wait(FIRST_COMPLETED)`, results, top up again; a failed task's exception ends the run.
 *  - srh.py @0155a7c9 (lines 15–28 the constants: BITRIX_MAX_CONCURRENT_REQUESTS = 50, BITRIX_MAX_REQUEST_RUNNING_TIME
 *    = 480, BITRIX_MEASUREMENT_PERIOD = 600, MAX_RETRIES = 10, RESTORE_CONNECTIONS_FACTOR = 1.3,
 *    DECREASE_CONNECTIONS_FACTOR = 3, INITIAL_TIMEOUT = 0.5, BACKOFF_FACTOR = 1.5, NUM_FAILURES_NO_TIMEOUT = 3;
 *    RETRIED_ERRORS = payload, connection, ServerError, TimeoutError) — `single_request` (retry loop with
 *    success/failure counting, RuntimeError after more than 10 failures in a row), `request_attempt` (5xx →
 *    ServerError, retried; any other HTTP error, 429 included, propagates — aiohttp `raise_for_status=True`, and
 *    `response.json()` of an HTML 200 raises too), `add_throttler_records` (`"result_time" in json` is never true at the
 *    top level of a batch answer, so it records `json["time"]["operating"]` — the cumulative figure — as the
 *    request's duration in the method throttler; then one record in the leaky bucket), `acquire` (autothrottle, then
 *    concurrency limit, leaky bucket, per-method sliding window), `autothrottle` (after a failure: limit ÷ 3 and a
 *    delay of 0.5 × 1.5^(−successive − 4) s — the `< NUM_FAILURES_NO_TIMEOUT` test is always true for a negative
 *    count; after a success: limit × 1.3 up to 50), `limit_concurrent_requests` (waits while concurrent > limit).
 *  - throttle.py (the version with `LeakyBucketThrottler`) `SlidingWindowThrottler._calculate_needed_sleep_time`
 *    (sleep until the record where the running sum reaches 480 leaves the 600 s window; one sleep, no re-check),
 *    `LeakyBucketThrottler._calculate_needed_sleep_time` (when 50 records are in the pool: 1/rps after the most recent
 *    one), `_remove_stale_records` (after each request).
 *  - server_response.py @03f99951 `ServerResponseParser.extract_errors`: any `result_error` in a batch raises.
 *  - aiohttp's default client timeout (5 minutes in all) → TimeoutError, retried.
 */
import { Agent, request } from 'node:https'

export interface Fb24Options {
  webhook: string
  ca: string
  /** The bench's time factor (1 = a real portal). */
  scale: number
}

class ServerError extends Error {}
class TimeoutError extends Error {}
class ConnectionError extends Error {}
/** aiohttp.ClientResponseError for a status that is not 5xx (429, 4xx) or a body that is not JSON: not retried. */
export class ClientResponseError extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
  }
}

const sleep = (sec: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, sec * 1000)))
const monotonic = (): number => performance.now() / 1000

/** asyncio.Event */
class Event {
  private flag = false
  private waiters: (() => void)[] = []
  set(): void {
    this.flag = true
    for (const w of this.waiters.splice(0)) w()
  }
  clear(): void {
    this.flag = false
  }
  wait(): Promise<void> {
    return this.flag ? Promise.resolve() : new Promise((r) => this.waiters.push(r))
  }
}

/** Both throttlers' `acquire` context manager: one sleep for the time needed, then the request, then clean-up. */
abstract class Throttler {
  protected abstract neededSleepTime(): number
  protected abstract removeStale(): void
  async acquire<T>(f: () => Promise<T>): Promise<T> {
    await sleep(this.neededSleepTime())
    try {
      return await f()
    } finally {
      this.removeStale()
    }
  }
}

/** throttle.py SlidingWindowThrottler */
class SlidingWindowThrottler extends Throttler {
  /** left (index 0) = most recent */
  private history: { when: number; duration: number }[] = []
  constructor(
    private readonly maxRequestRunningTime: number,
    private readonly measurementPeriod: number,
  ) {
    super()
  }
  protected neededSleepTime(): number {
    let acc = 0
    for (const r of this.history) {
      acc += r.duration
      if (acc >= this.maxRequestRunningTime) return r.when + this.measurementPeriod - monotonic()
    }
    return 0
  }
  protected removeStale(): void {
    const cutOff = monotonic() - this.measurementPeriod
    while (this.history.length && (this.history[this.history.length - 1] as { when: number }).when < cutOff) this.history.pop()
  }
  addRequestRecord(duration: number): void {
    this.history.unshift({ when: monotonic(), duration })
  }
}

/** throttle.py LeakyBucketThrottler */
class LeakyBucketThrottler extends Throttler {
  private history: number[] = []
  constructor(
    private readonly poolSize: number,
    private readonly requestsPerSecond: number,
  ) {
    super()
  }
  protected neededSleepTime(): number {
    while (this.history.length >= this.poolSize) {
      const fromLast = monotonic() - (this.history[0] as number)
      const wait = 1 / this.requestsPerSecond - fromLast
      if (wait > 0) return wait
      break
    }
    return 0
  }
  addRequestRecord(): void {
    this.history.unshift(monotonic())
  }
  protected removeStale(): void {
    const cutOff = monotonic() - this.poolSize / this.requestsPerSecond
    while (this.history.length && (this.history[this.history.length - 1] as number) < cutOff) this.history.pop()
  }
}

const BITRIX_MAX_BATCH_SIZE = 50
const BITRIX_MAX_CONCURRENT_REQUESTS = 50
const BITRIX_MAX_REQUEST_RUNNING_TIME = 480
const BITRIX_MEASUREMENT_PERIOD = 10 * 60
const MAX_RETRIES = 10
const RESTORE_CONNECTIONS_FACTOR = 1.3
const DECREASE_CONNECTIONS_FACTOR = 3
const INITIAL_TIMEOUT = 0.5
const BACKOFF_FACTOR = 1.5
const NUM_FAILURES_NO_TIMEOUT = 3
/** aiohttp.ClientTimeout() default: total = 5 minutes. */
const AIOHTTP_TOTAL_TIMEOUT = 300

type Json = Record<string, unknown>

/** srh.py ServerRequestHandler */
export class ServerRequestHandler {
  mcrMax = BITRIX_MAX_CONCURRENT_REQUESTS
  mcrCurLimit = BITRIX_MAX_CONCURRENT_REQUESTS
  concurrentRequests = 0
  private readonly requestComplete = new Event()
  private successiveResults = 0
  private readonly methodThrottlers = new Map<string, SlidingWindowThrottler>()
  private readonly leaky: LeakyBucketThrottler
  private readonly agent: Agent
  /** Counters for the bench. */
  readonly counts = { requests: 0, retried: 0 }

  constructor(
    private readonly o: Fb24Options,
    requestPoolSize = 50,
    requestsPerSecond = 2.0,
    private readonly respectVelocityPolicy = true,
  ) {
    this.webhook = o.webhook.endsWith('/') ? o.webhook : `${o.webhook}/`
    // the bench's time factor applies to rates and durations, never to counts
    this.leaky = new LeakyBucketThrottler(requestPoolSize, requestsPerSecond / o.scale)
    this.agent = new Agent({ ca: o.ca, keepAlive: true, maxSockets: 100 })
  }
  private readonly webhook: string

  close(): void {
    this.agent.destroy()
  }

  async singleRequest(method: string, params: Json): Promise<Json> {
    for (;;) {
      try {
        const result = await this.requestAttempt(method.trim().toLowerCase(), params)
        this.success()
        return result
      } catch (e) {
        if (e instanceof ServerError || e instanceof TimeoutError || e instanceof ConnectionError) {
          this.counts.retried++
          this.failure(e)
          continue
        }
        throw e
      }
    }
  }

  private async requestAttempt(method: string, params: Json): Promise<Json> {
    return this.acquire(method, async () => {
      const res = await this.post(this.webhook + method, params)
      if (res.status >= 400) {
        if (Math.floor(res.status / 100) === 5) throw new ServerError('The server returned an error')
        throw new ClientResponseError(res.status, `HTTP ${res.status}`)
      }
      let json: Json
      try {
        json = JSON.parse(res.body) as Json
      } catch {
        throw new ClientResponseError(res.status, 'Attempt to decode JSON with unexpected mimetype')
      }
      this.addThrottlerRecords(method, json)
      return json
    })
  }

  private addThrottlerRecords(method: string, json: Json): void {
    if ('result_time' in json) {
      // (never at the top level of an answer: batch times are under json.result)
    } else {
      const time = json.time as Json
      if ('operating' in time) this.methodThrottlers.get(method)?.addRequestRecord(Number(time.operating))
    }
    this.leaky.addRequestRecord()
  }

  private success(): void {
    this.successiveResults = Math.max(this.successiveResults + 1, 1)
  }

  private failure(err: Error): void {
    this.successiveResults = Math.min(this.successiveResults - 1, -1)
    if (this.successiveResults < -MAX_RETRIES) throw new Error(`All attempts to get data from server exhausted (${err.message})`)
  }

  private async acquire<T>(method: string, f: () => Promise<T>): Promise<T> {
    await this.autothrottle()
    return this.limitConcurrentRequests(() =>
      this.leaky.acquire(async () => {
        if (!this.respectVelocityPolicy) return f()
        let t = this.methodThrottlers.get(method)
        if (!t) {
          t = new SlidingWindowThrottler(BITRIX_MAX_REQUEST_RUNNING_TIME * this.o.scale, BITRIX_MEASUREMENT_PERIOD * this.o.scale)
          this.methodThrottlers.set(method, t)
        }
        return t.acquire(f)
      }),
    )
  }

  private async autothrottle(): Promise<void> {
    if (this.successiveResults < 0) {
      this.mcrCurLimit = Math.max(this.mcrCurLimit / DECREASE_CONNECTIONS_FACTOR, 1)
      if (this.successiveResults < NUM_FAILURES_NO_TIMEOUT) {
        const power = -this.successiveResults - NUM_FAILURES_NO_TIMEOUT - 1
        await sleep(INITIAL_TIMEOUT * this.o.scale * Math.pow(BACKOFF_FACTOR, power))
      }
    } else if (this.successiveResults > 0) {
      this.mcrCurLimit = Math.min(this.mcrCurLimit * RESTORE_CONNECTIONS_FACTOR, this.mcrMax)
    }
  }

  private async limitConcurrentRequests<T>(f: () => Promise<T>): Promise<T> {
    while (this.concurrentRequests > this.mcrCurLimit) {
      this.requestComplete.clear()
      await this.requestComplete.wait()
    }
    this.concurrentRequests++
    try {
      return await f()
    } finally {
      this.concurrentRequests--
      this.requestComplete.set()
    }
  }

  /** aiohttp session.post(url, json=params) with the default total timeout. */
  private post(url: string, params: Json): Promise<{ status: number; body: string }> {
    this.counts.requests++
    const data = JSON.stringify(params)
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', agent: this.agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', () => reject(new ConnectionError('payload')))
      })
      req.setTimeout(AIOHTTP_TOTAL_TIMEOUT * this.o.scale * 1000, () => req.destroy(new TimeoutError('timeout')))
      req.on('error', (e) => reject(e instanceof TimeoutError ? e : new ConnectionError(e.message)))
      req.end(data)
    })
  }
}

/** utils.http_build_query: PHP-style brackets for nested values. */
function httpBuildQuery(item: Json, prefix = ''): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(item)) {
    const key = prefix ? `${prefix}[${k}]` : k
    if (v !== null && typeof v === 'object') parts.push(httpBuildQuery(v as Json, key))
    else parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v ?? ''))}`)
  }
  return parts.filter(Boolean).join('&')
}

/**
 * `Bitrix(webhook).call(method, items)`: every item in batches of 50 through the pool; the results keyed by order.
 * Throws as fast_bitrix24 does: on any error it does not retry (429 included) or any `result_error` in a batch.
 */
export async function fb24Call(srh: ServerRequestHandler, method: string, items: Json[]): Promise<Json> {
  const labelled = items.map((item, i) => ({ ...item, __order: `order${i}` }))
  const batches: Json[] = []
  for (let i = 0; i < labelled.length; i += BITRIX_MAX_BATCH_SIZE) {
    const chunk = labelled.slice(i, i + BITRIX_MAX_BATCH_SIZE)
    batches.push({ halt: 0, cmd: Object.fromEntries(chunk.map((item) => [item.__order, `${method}?${httpBuildQuery(item)}`])) })
  }
  let next = 0
  const tasks = new Set<Promise<{ task: Promise<unknown>; value: Json }>>()
  const results: Json = {}
  const topUp = (): void => {
    const toAdd = Math.max(Math.trunc(srh.mcrCurLimit) - srh.concurrentRequests, 0)
    for (let k = 0; k < toAdd && next < batches.length; k++) {
      const task: Promise<{ task: Promise<unknown>; value: Json }> = srh.singleRequest('batch', batches[next++] as Json).then((value) => ({ task, value }))
      tasks.add(task)
    }
  }
  topUp()
  while (tasks.size) {
    const { task, value } = await Promise.race(tasks)
    tasks.delete(task as Promise<{ task: Promise<unknown>; value: Json }>)
    const batch = (value.result ?? {}) as Json
    const errors = batch.result_error
    if (errors && typeof errors === 'object' && Object.keys(errors).length) throw new Error(`result_error: ${JSON.stringify(errors).slice(0, 200)}`)
    Object.assign(results, batch.result as Json)
    topUp()
  }
  return results
}
