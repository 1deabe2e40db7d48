/**
 * A simulated portal behind a fake Transport, on an injected clock, for pacing tests over simulated time: the exact
 * leaky bucket (X, Y), a pure sliding-window operating budget per (credential, method) checked before execution and
 * billed at the end, `docs` or `batch-half` billing, W workers with a queue, and seeded server time per call.
 * It records every arrival and every billed second so a test can check any window afterwards.
 */
import type { Clock } from '../../../electron/core/clock'
import { seededRng } from '../../../electron/core/clock'
import { TransportError } from '../../../electron/core/portal/transport'
import type { HttpRequest, HttpResponse, Transport } from '../../../electron/core/portal/transport'

export interface SimOptions {
  burst: number
  rps: number
  limitSec: number
  windowSec: number
  billing: 'docs' | 'batch-half'
  /** Requests served at once; more wait in the queue (Infinity = no limit). */
  workers: number
  /** Median server seconds of one im.chat.add (lognormal, σ 0.35). */
  callSec: number
  /** Calls at most this long are not billed (0.1 s on a real portal). */
  minCountedSec: number
  /**
   * 0: a pure sliding window (each billed second expires `window` after it was billed). N: the window in N buckets,
   * as the real LoadLimiter (ten 1-minute buckets of ten minutes) and the sandbox keep it — a bucket starts with its
   * first billed call and expires whole `window` after that, so usage billed late in a bucket expires early.
   */
  buckets: number
  /** Network round trip, ms: half before the request reaches the portal, half before its answer reaches the client. */
  rttMs: number
  /** Share of requests the portal runs whose answer is lost on the way back (the client sees a dropped connection). */
  lostAnswers: number
  /** Share of requests a front end answers 502 with an HTML page before they reach the portal (nothing runs). */
  html502: number
  seed: number
}

export const REAL: SimOptions = { burst: 50, rps: 2, limitSec: 480, windowSec: 600, billing: 'docs', workers: Number.POSITIVE_INFINITY, callSec: 0.3, minCountedSec: 0.1, buckets: 0, rttMs: 0, lostAnswers: 0, html502: 0, seed: 7 }

interface Billed {
  at: number
  cost: number
  /** When the server stops counting it: `window` after it was billed, or after its bucket's first call. */
  expires: number
}

export class SimPortal {
  readonly o: SimOptions
  /** Arrival time of every REST request (ms), accepted or not. */
  readonly arrivals: number[] = []
  /** Billed seconds per key ("credential|method"). */
  readonly billed = new Map<string, Billed[]>()
  /** Highest budget use seen per key, right after each billing. */
  readonly peak = new Map<string, number>()
  chats = 0
  status503 = 0
  status429 = 0
  /** Faults dealt: answers lost after running, 502 pages before running. */
  lost = 0
  pages502 = 0
  inFlight = 0
  maxInFlight = 0
  private level = 0
  private levelAt = 0
  private busy = 0
  private readonly queue: (() => void)[] = []
  private readonly rng: () => number
  /** Its own sequence, so faults do not change the server times a seed gives. */
  private readonly faultRng: () => number

  constructor(
    readonly clock: Clock,
    o: Partial<SimOptions> = {},
  ) {
    this.o = { ...REAL, ...o }
    this.rng = seededRng(this.o.seed)
    this.faultRng = seededRng(this.o.seed + 1_000_003)
  }

  /** Seconds the portal counts on `key` now, and when the oldest of them stops counting (its `operating_reset_at`). */
  private used(key: string, now: number): { used: number; resetAt?: number } {
    const list = (this.billed.get(key) ?? []).filter((b) => b.expires > now)
    return { used: list.reduce((a, b) => a + b.cost, 0), resetAt: list[0]?.expires }
  }

  private bill(key: string, sec: number, weight = 1): void {
    if (!(sec > this.o.minCountedSec)) return
    const now = this.clock.now()
    const list = this.billed.get(key) ?? []
    const w = this.o.windowSec * 1000
    let expires = now + w
    if (this.o.buckets > 0) {
      const len = w / this.o.buckets
      const last = list[list.length - 1]
      // Same bucket as the last billed call: it expires with that bucket's first call.
      if (last && Math.floor(last.at / len) === Math.floor(now / len)) expires = last.expires
    }
    list.push({ at: now, cost: sec * weight, expires })
    this.billed.set(key, list)
    this.peak.set(key, Math.max(this.peak.get(key) ?? 0, this.used(key, now).used))
  }

  private time(key: string, startMs: number): Record<string, number> {
    const now = this.clock.now()
    const { used, resetAt } = this.used(key, now)
    const t: Record<string, number> = { start: startMs / 1000, finish: now / 1000, duration: (now - startMs) / 1000, processing: (now - startMs) / 1000, operating: used }
    if (resetAt !== undefined) t.operating_reset_at = Math.floor(resetAt / 1000)
    return t
  }

  private callSec(): number {
    const u = Math.max(this.rng(), 1e-12)
    const v = this.rng()
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
    return this.o.callSec * Math.exp(0.35 * z)
  }

  private json(status: number, body: unknown): HttpResponse {
    return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
  }

  private async worker<T>(f: () => Promise<T>): Promise<T> {
    if (this.busy >= this.o.workers) await new Promise<void>((r) => this.queue.push(r))
    else this.busy++
    try {
      return await f()
    } finally {
      const next = this.queue.shift()
      if (next) next()
      else this.busy--
    }
  }

  /** One im.chat.add (or a read) under `key`'s credential: checked, run, billed. */
  private async run(cred: string, method: string, bill: boolean, errors: Record<string, unknown>, k: string): Promise<{ ok: boolean; time?: Record<string, number> }> {
    const key = `${cred}|${method}`
    if (bill && this.used(key, this.clock.now()).used >= this.o.limitSec) {
      this.status429++
      errors[k] = { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' }
      return { ok: false }
    }
    const start = this.clock.now()
    const sec = method === 'im.chat.add' ? this.callSec() : 0.005
    await this.clock.sleep(Math.round(sec * 1000))
    if (method === 'im.chat.add') this.chats++
    if (bill) this.bill(key, (this.clock.now() - start) / 1000)
    return { ok: true, time: this.time(key, start) }
  }

  readonly transport: Transport = async (req: HttpRequest): Promise<HttpResponse> => {
    if (this.o.rttMs > 0) await this.clock.sleep(this.o.rttMs / 2)
    let res: HttpResponse
    if (this.o.html502 > 0 && this.faultRng() < this.o.html502) {
      this.pages502++
      res = { status: 502, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' }
    } else {
      res = await this.serve(req)
    }
    if (this.o.rttMs > 0) await this.clock.sleep(this.o.rttMs / 2)
    if (this.o.lostAnswers > 0 && this.faultRng() < this.o.lostAnswers) {
      this.lost++
      throw new TransportError('reset', 'ECONNRESET: connection dropped')
    }
    return res
  }

  private async serve(req: HttpRequest): Promise<HttpResponse> {
    const now = this.clock.now()
    this.arrivals.push(now)
    this.level = Math.max(0, this.level - ((now - this.levelAt) / 1000) * this.o.rps)
    this.levelAt = now
    if (this.level >= this.o.burst) {
      this.status503++
      return this.json(503, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' })
    }
    this.level += 1
    const url = new URL(req.url)
    const parts = url.pathname.split('/')
    const cred = parts[3] ?? 'oauth'
    const method = (parts.pop() ?? '').toLowerCase()
    const body = JSON.parse(req.body ?? '{}') as { cmd?: Record<string, string> }
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    try {
      return await this.worker(async () => {
        if (method !== 'batch') {
          const errors: Record<string, unknown> = {}
          const r = await this.run(cred, method, true, errors, 'x')
          if (!r.ok) return this.json(429, errors.x)
          return this.json(200, { result: method === 'im.chat.add' ? this.chats : true, time: r.time })
        }
        const half = this.o.billing === 'batch-half'
        const bkey = `${cred}|batch`
        if (half && this.used(bkey, this.clock.now()).used >= this.o.limitSec) {
          this.status429++
          return this.json(429, { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' })
        }
        const start = this.clock.now()
        const result: Record<string, unknown> = {}
        const errors: Record<string, unknown> = {}
        const times: Record<string, unknown> = {}
        for (const [k, c] of Object.entries(body.cmd ?? {})) {
          const m = c.split('?')[0]?.toLowerCase() ?? ''
          const r = await this.run(cred, m, !half, errors, k)
          if (r.ok) {
            result[k] = m === 'im.chat.add' ? this.chats : true
            times[k] = r.time
          }
        }
        if (half) this.bill(bkey, (this.clock.now() - start) / 1000, 0.5)
        const time = this.time(bkey, start)
        if (half) for (const t of Object.values(times)) Object.assign(t as object, { operating: time.operating, operating_reset_at: time.operating_reset_at })
        return this.json(200, { result: { result, result_error: errors, result_total: [], result_next: [], result_time: times }, time })
      })
    } finally {
      this.inFlight--
    }
  }

  /** The most requests that arrived in any span, beyond what a bucket of X draining Y per second admits (≤ 0 = ok). */
  bucketExcess(): number {
    const a = [...this.arrivals].sort((x, y) => x - y)
    let worst = Number.NEGATIVE_INFINITY
    for (let i = 0; i < a.length; i++) {
      for (let j = i; j < a.length; j++) {
        const allowed = this.o.burst + (this.o.rps * ((a[j] as number) - (a[i] as number))) / 1000
        worst = Math.max(worst, j - i + 1 - allowed)
      }
    }
    return worst
  }

  /** The most seconds the portal counted at once on any key (in any window of the budget's length, or its buckets). */
  maxWindowUse(): number {
    let worst = 0
    for (const list of this.billed.values()) {
      for (const b of list) {
        const sum = list.filter((x) => x.at <= b.at && x.expires > b.at).reduce((s, x) => s + x.cost, 0)
        worst = Math.max(worst, sum)
      }
    }
    return worst
  }
}
