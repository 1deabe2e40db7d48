/** The sandbox portal: HTTPS transport, auth, leaky bucket, faults, inspection API, lifecycle. */
import { createHash } from 'node:crypto'
import { createServer as createHttpServer } from 'node:http'
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Socket } from 'node:net'
import { Credentials, newSecret, newToken } from './auth'
import type { AuthContext } from './auth'
import { seededRng, systemClock } from './clock'
import type { Clock, Rng } from './clock'
import { Dispatcher, RequestCapExceeded, normalizeMethod } from './dispatch'
import type { CallOutcome } from './dispatch'
import { E, QLE_BODY, RestError } from './errors'
import { FaultInjector } from './faults'
import { BodyTooLarge, htmlPage, readBody, requestParams, send, sendJson } from './http'
import { ServerCapacity } from './capacity'
import { LeakyBucket, OperatingBudget, round3 } from './limits'
import type { MethodEnv } from './methods/types'
import { encodeJson, PhpArray } from './php'
import { ChatStore, StateFile, publicChat } from './state'
import type { ChatRecord, PersistedCredentials } from './state'
import { sandboxCertificate } from './tls'
import type { TlsMaterial } from './tls'
import { FAULT_KINDS } from './types'
import type { FaultKind, Faults, OAuthCredentials, OperatingStat, Sandbox, SandboxChat, SandboxOptions, SandboxStats, SandboxSwitches, WebhookSpec } from './types'
import { fullName, makeDirectory } from './users'
import { ONLINE_PAGE_CSP, renderOnlinePage } from './online-page'

export const PLANS = { standard: { burst: 50, rps: 2 }, enterprise: { burst: 250, rps: 5 } } as const
const DEFAULT_WEBHOOK_SCOPES = ['im', 'user', 'user_basic', 'department']
const DEFAULT_OAUTH_SCOPES = ['im', 'user']
const HOST = '127.0.0.1'

const DEFAULT_SWITCHES: SandboxSwitches = {
  banMode: false,
  batchBilling: 'batch-half',
  titleOverflow: 'error',
  colorsEnabled: true,
  usersEmptyLegacy: false,
  countRejected: false,
  accessDenied: false,
  overloadLimit: false,
}

const SWITCH_VALUES: { [K in keyof SandboxSwitches]: readonly SandboxSwitches[K][] } = {
  banMode: [true, false],
  batchBilling: ['docs', 'batch-half'],
  titleOverflow: ['error', 'truncate'],
  colorsEnabled: [true, false],
  usersEmptyLegacy: [true, false],
  countRejected: [true, false],
  accessDenied: [true, false],
  overloadLimit: [true, false],
}

/** Validates a partial switch set (from options, configure() or POST /_sandbox/config). */
export function checkSwitches(s: Record<string, unknown>): Partial<SandboxSwitches> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(s)) {
    if (!(k in SWITCH_VALUES)) throw new RangeError(`unknown switch "${k}"`)
    if (v === undefined) continue
    if (!(SWITCH_VALUES[k as keyof SandboxSwitches] as readonly unknown[]).includes(v)) throw new RangeError(`bad value for ${k}`)
    out[k] = v
  }
  return out as Partial<SandboxSwitches>
}

function positive(name: string, v: number | undefined, dflt: number, allowZero = false): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) throw new RangeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`)
  return v
}

const normAddr = (a: string | undefined): string => (a ?? 'unknown').replace(/^::ffff:/, '')

/** Default server capacity (README "Server capacity"): 8 workers, a queue of 8 × that. */
export const DEFAULT_WORKERS = 8
export const QUEUE_PER_WORKER = 8

class Stats {
  requests: Record<string, number> = {}
  calls: Record<string, number> = {}
  totalRequests = 0
  status503 = 0
  status429 = 0
  faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>
  inFlight = 0
  maxInFlight = 0
}

export class SandboxServer implements Sandbox {
  origin = ''
  port = 0
  webhookUrl = ''
  caPem = ''
  adminToken = ''
  httpOrigin?: string

  private readonly clock: Clock
  private readonly switches: SandboxSwitches
  private readonly bucket: LeakyBucket
  private readonly budget: OperatingBudget
  private readonly store = new ChatStore()
  private readonly users
  private readonly creds: Credentials
  private readonly faults: FaultInjector
  private readonly dispatcher: Dispatcher
  private readonly seed: number
  private latencyRng: Rng
  private stats_ = new Stats()
  /** Set by close(); each in-flight request has its own controller (so sleep listeners die with the request). */
  private closed = false
  private readonly inFlight = new Set<AbortController>()
  private readonly sockets = new Set<Socket>()
  private readonly capMs: number
  private readonly capacity: ServerCapacity
  private readonly maxBody: number
  private readonly stateFile: StateFile | null
  private persisted!: PersistedCredentials
  private defaultApp!: { clientId: string; clientSecret: string }
  private memberId = ''
  private server: HttpServer | null = null
  private plainServer: HttpServer | null = null
  private closing: Promise<void> | null = null

  constructor(private readonly opts: SandboxOptions) {
    this.clock = opts.clock ?? systemClock
    this.seed = opts.seed ?? 1
    const sw = Object.fromEntries(Object.keys(SWITCH_VALUES).map((k) => [k, (opts as Record<string, unknown>)[k]]))
    this.switches = { ...DEFAULT_SWITCHES, ...checkSwitches(sw) }
    const plan = PLANS[opts.plan ?? 'standard']
    if (!plan) throw new RangeError('plan must be standard or enterprise')
    this.bucket = new LeakyBucket({ burst: positive('burst', opts.burst, plan.burst), rps: positive('rps', opts.rps, plan.rps), countRejected: this.switches.countRejected })
    this.budget = new OperatingBudget({
      limitSec: positive('operatingLimitSec', opts.operatingLimitSec, 480),
      windowSec: positive('operatingWindowSec', opts.operatingWindowSec, 600),
      banMode: this.switches.banMode,
      banSec: positive('banSec', opts.banSec, 300),
      minCountedSec: opts.operatingMinCountedSec ?? 0.1,
    })
    this.capMs = positive('requestCapSec', opts.requestCapSec, 60) * 1000
    const workers = Math.floor(positive('workers', opts.workers, DEFAULT_WORKERS, true))
    this.capacity = new ServerCapacity({ workers, queueLimit: Math.floor(positive('queueLimit', opts.queueLimit, QUEUE_PER_WORKER * workers, true)) })
    this.maxBody = positive('maxBodyBytes', opts.maxBodyBytes, 256 * 1024 * 1024)
    this.users = makeDirectory(Math.floor(positive('users', opts.users, 200)))
    this.creds = new Credentials(positive('tokenTtlSec', opts.tokenTtlSec, 3600))
    this.faults = new FaultInjector(this.seed, opts.faults)
    this.latencyRng = seededRng(this.seed)
    this.stateFile = opts.stateFile ? new StateFile(opts.stateFile) : null
    const env: MethodEnv = {
      store: this.store,
      users: this.users,
      switches: this.switches,
      rng: () => this.latencyRng(),
      latencyMs: positive('latencyMs', opts.latencyMs, 300, true),
      now: () => this.clock.now(),
      origin: '',
      chatChanged: (c) => this.chatChanged(c),
    }
    this.env = env
    this.dispatcher = new Dispatcher(env, this.clock, this.budget, this.switches, {
      call: (m) => {
        this.stats_.calls[m] = (this.stats_.calls[m] ?? 0) + 1
      },
      operationLimited: () => {
        this.stats_.status429++
      },
    })
  }

  private readonly env: MethodEnv

  get oauth(): OAuthCredentials {
    return {
      tokenUrl: `${this.origin}/oauth/token/`,
      clientId: this.persisted.oauth.clientId,
      clientSecret: this.persisted.oauth.clientSecret,
      accessToken: this.persisted.oauth.accessToken,
      refreshToken: this.persisted.oauth.refreshToken,
    }
  }

  async start(): Promise<void> {
    const loaded = this.stateFile?.load() ?? null
    let tls: TlsMaterial
    if (loaded) {
      this.persisted = loaded.credentials
      for (const c of loaded.chats) this.store.put(c)
      this.store.counters = { ...loaded.counters, perColor: { ...loaded.counters.perColor } }
      tls = loaded.credentials.tls ?? (await sandboxCertificate())
    } else {
      tls = await sandboxCertificate()
      this.persisted = {
        webhookSecret: newSecret(),
        adminToken: newToken(),
        oauth: { clientId: '', clientSecret: '', accessToken: '', accessExpiresAt: 0, refreshToken: '' },
      }
    }
    if (this.stateFile) this.persisted.tls = tls
    this.adminToken = this.persisted.adminToken
    this.memberId = createHash('sha256').update(this.adminToken).digest('hex').slice(0, 32)
    this.creds.addWebhook(this.persisted.webhookSecret, 1, this.opts.webhookScopes ?? DEFAULT_WEBHOOK_SCOPES)
    const o = this.persisted.oauth
    const app = this.creds.addApp(1, this.opts.oauthScopes ?? DEFAULT_OAUTH_SCOPES, o.clientId ? { clientId: o.clientId, clientSecret: o.clientSecret } : undefined)
    this.defaultApp = { clientId: app.clientId, clientSecret: app.clientSecret }
    const pair = this.creds.issue(app, this.clock.now(), o.accessToken ? o : undefined)
    this.persisted.oauth = { clientId: app.clientId, clientSecret: app.clientSecret, accessToken: pair.accessToken, accessExpiresAt: pair.expiresAt, refreshToken: pair.refreshToken }

    const server = createHttpsServer({ key: tls.key, cert: tls.cert, keepAlive: true }, (req, res) => void this.handle(req, res))
    server.keepAliveTimeout = 30_000
    server.on('connection', (s: Socket) => this.track(s))
    server.on('clientError', (_e, socket) => socket.destroy())
    await listen(server, this.opts.port ?? 0)
    this.server = server
    this.port = (server.address() as { port: number }).port
    this.origin = `https://${HOST}:${this.port}`
    this.env.origin = this.origin
    this.webhookUrl = `${this.origin}/rest/1/${this.persisted.webhookSecret}/`
    this.caPem = tls.cert
    if (this.opts.http) {
      const plain = createHttpServer((req, res) => {
        req.resume()
        sendJson(res, 400, E.httpsRequired().toJSON())
      })
      plain.on('connection', (s: Socket) => this.track(s))
      await listen(plain, this.opts.httpPort ?? 0)
      this.plainServer = plain
      this.httpOrigin = `http://${HOST}:${(plain.address() as { port: number }).port}`
    }
    this.stateFile?.writeSnapshot(this.persisted, this.store)
  }

  private track(s: Socket): void {
    this.sockets.add(s)
    s.on('close', () => this.sockets.delete(s))
  }

  private chatChanged(c: ChatRecord): void {
    if (!this.stateFile) return
    this.stateFile.append({ t: 'chat', chat: c, counters: this.store.counters })
    if (this.stateFile.needsCompaction) this.stateFile.writeSnapshot(this.persisted, this.store)
  }

  // ---- request handling -------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const query = q < 0 ? '' : url.slice(q + 1)
    try {
      if (path.startsWith('/_sandbox/')) return await this.inspect(req, res, path.slice('/_sandbox/'.length), query)
      if (path === '/oauth/token/' || path === '/oauth/token') return await this.token(req, res, query)
      if (path.startsWith('/rest/')) return await this.rest(req, res, path, query)
      if ((path === '/online/' || path === '/online') && req.method === 'GET') {
        req.resume()
        const dialog = new URLSearchParams(query).get('IM_DIALOG') ?? ''
        const id = /^chat(\d+)$/.exec(dialog)?.[1]
        const chat = id ? this.chats().find((c) => c.id === Number(id)) : undefined
        const page = renderOnlinePage(chat, dialog, (uid) => {
          const u = this.users.get(uid)
          return u ? fullName(u) : `User ${uid}`
        })
        send(res, page.status, page.html, 'text/html; charset=utf-8', { 'Content-Security-Policy': ONLINE_PAGE_CSP })
        return
      }
      req.resume()
      sendJson(res, 404, { error: 'NOT_FOUND', error_description: 'Not found' })
    } catch (e) {
      if (this.closed) {
        res.destroy()
        return
      }
      if (e instanceof BodyTooLarge) {
        send(res, 413, htmlPage(413), 'text/html; charset=utf-8', { Connection: 'close' })
        return
      }
      sendJson(res, 500, E.internal().toJSON())
    }
  }

  private async rest(req: IncomingMessage, res: ServerResponse, path: string, query: string): Promise<void> {
    const st = this.stats_
    st.totalRequests++
    st.inFlight++
    if (st.inFlight > st.maxInFlight) st.maxInFlight = st.inFlight
    try {
      const segs = path.slice('/rest/'.length).split('/')
      let raw = segs[segs.length - 1] ?? ''
      try {
        raw = decodeURIComponent(raw)
      } catch {
        /* keep raw */
      }
      const method = normalizeMethod(raw)
      st.requests[method || '?'] = (st.requests[method || '?'] ?? 0) + 1

      const fault = this.faults.draw()
      if (fault === 'qle') {
        st.faults.qle++
        req.resume()
        return send(res, 503, QLE_BODY)
      }
      const body = await readBody(req, this.maxBody)
      // The front end hands the request to a worker, or queues it; a full queue is refused before anything runs.
      const entered = this.capacity.enter()
      if (entered !== true && !(await entered)) return send(res, 503, htmlPage(503), 'text/html; charset=utf-8')
      let working = true
      const done = (): void => {
        if (working) this.capacity.leave()
        working = false
      }
      try {
        return await this.work(req, res, segs, method, fault, body, query, done)
      } finally {
        done()
      }
    } finally {
      st.inFlight--
    }
  }

  /** A request a worker runs: bucket, switches, auth, dispatch (the request cap counts from here), the answer. */
  private async work(req: IncomingMessage, res: ServerResponse, segs: string[], method: string, fault: FaultKind | null, body: Buffer, query: string, done: () => void): Promise<void> {
    const startedAt = this.clock.now()
    const st = this.stats_
    if (!this.bucket.take(normAddr(req.socket.remoteAddress), this.clock.now())) {
      st.status503++
      return send(res, 503, QLE_BODY)
    }
    if (this.switches.overloadLimit) return this.error(res, E.overload())
    if (this.switches.accessDenied) return this.error(res, E.accessDenied())

    const params = requestParams(query, body, req.headers['content-type'])
    let auth: AuthContext
    try {
      if (segs.length >= 3) auth = this.creds.webhook(decodeSeg(segs[0]), decodeSeg(segs[1]), this.clock.now())
      else if (segs.length === 1) auth = this.creds.oauth(params.auth, this.clock.now())
      else throw E.noAuth()
    } catch (e) {
      if (e instanceof RestError) return this.error(res, e)
      throw e
    }
    delete params.auth
    if (!method || !this.dispatcher.has(method)) return this.error(res, E.methodNotFound())

    // http500 / html: half of them fail before the work, half after it was committed (outcome unknown).
    if ((fault === 'http500' || fault === 'html') && this.faults.coin() < 0.5) {
      st.faults[fault]++
      return this.faultResponse(res, fault)
    }
    let outcome: CallOutcome
    const ctl = new AbortController()
    this.inFlight.add(ctl)
    try {
      outcome = await this.dispatcher.run(auth, method, params, { startedAt, deadline: startedAt + this.capMs, signal: ctl.signal, scheduled: 0 })
    } catch (e) {
      if (e instanceof RequestCapExceeded) return send(res, 504, htmlPage(504), 'text/html; charset=utf-8')
      throw e
    } finally {
      this.inFlight.delete(ctl)
      done()
    }
    if (fault) {
      st.faults[fault]++
      if (fault === 'reset-after-commit') {
        req.socket.destroy()
        return
      }
      if (fault === 'timeout') return // the response never comes; close() destroys the socket
      return this.faultResponse(res, fault)
    }
    if (!outcome.ok) return this.error(res, outcome.error)
    const payload: Record<string, unknown> = { result: outcome.res.result }
    if (outcome.res.total !== undefined) payload.total = outcome.res.total
    if (outcome.res.next !== undefined) payload.next = outcome.res.next
    payload.time = outcome.time
    const text = outcome.res.result instanceof PhpArray || method === 'batch' ? encodeJson(payload) : JSON.stringify(payload)
    send(res, 200, text, undefined, { 'X-Bitrix-Rest-Time': String(outcome.time.duration) })
  }

  private error(res: ServerResponse, e: RestError): void {
    sendJson(res, e.status, e.toJSON())
  }

  private faultResponse(res: ServerResponse, fault: FaultKind): void {
    if (fault === 'http500') return sendJson(res, 500, E.internal().toJSON())
    const status = this.faults.coin() < 0.5 ? 502 : 504
    send(res, status, htmlPage(status), 'text/html; charset=utf-8')
  }

  private async token(req: IncomingMessage, res: ServerResponse, query: string): Promise<void> {
    const body = await readBody(req, 1024 * 1024)
    const params = requestParams(query, body, req.headers['content-type'])
    const r = this.creds.tokenEndpoint(params, this.clock.now(), { origin: this.origin, host: `${HOST}:${this.port}`, memberId: this.memberId })
    if (r.rotated && r.rotated.clientId === this.defaultApp.clientId) {
      this.persisted.oauth = { ...this.persisted.oauth, accessToken: r.rotated.accessToken, refreshToken: r.rotated.refreshToken, accessExpiresAt: r.rotated.expiresAt }
      this.stateFile?.append({ t: 'credentials', credentials: this.persisted })
    }
    sendJson(res, r.status, r.body)
  }

  // ---- inspection API -------------------------------------------------------------------------------------

  private async inspect(req: IncomingMessage, res: ServerResponse, route: string, _query: string): Promise<void> {
    const body = await readBody(req, 1024 * 1024)
    if (req.headers['x-sandbox-admin'] !== this.adminToken) {
      return sendJson(res, 401, { error: 'SANDBOX_ADMIN_REQUIRED', error_description: 'Send the X-Sandbox-Admin header' })
    }
    const json = (): Record<string, unknown> => {
      try {
        const v: unknown = JSON.parse(body.toString('utf8') || '{}')
        return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
      } catch {
        throw new RangeError('body must be a JSON object')
      }
    }
    const m = req.method ?? 'GET'
    const r = route.replace(/\/+$/, '')
    try {
      if (m === 'GET' && r === 'chats') return sendJson(res, 200, this.chats())
      if (m === 'GET' && r === 'stats') return sendJson(res, 200, this.stats())
      if (m === 'POST' && r === 'reset') {
        this.reset()
        return sendJson(res, 200, { ok: true })
      }
      if (r === 'faults' && m === 'GET') return sendJson(res, 200, this.faults.get())
      if (r === 'faults' && m === 'POST') {
        this.setFaults(json() as Faults)
        return sendJson(res, 200, this.faults.get())
      }
      if (r === 'config' && m === 'GET') return sendJson(res, 200, { ...this.switches })
      if (r === 'config' && m === 'POST') {
        this.configure(json() as Partial<SandboxSwitches>)
        return sendJson(res, 200, { ...this.switches })
      }
      if (r === 'expire-tokens' && m === 'POST') {
        this.expireAccessTokens()
        return sendJson(res, 200, { ok: true })
      }
    } catch (e) {
      if (e instanceof RangeError) return sendJson(res, 400, { error: 'BAD_REQUEST', error_description: e.message })
      throw e
    }
    sendJson(res, 404, { error: 'NOT_FOUND', error_description: 'Unknown inspection route' })
  }

  // ---- public API -----------------------------------------------------------------------------------------

  setFaults(f: Faults | undefined): void {
    this.faults.set(f)
  }

  configure(s: Partial<SandboxSwitches>): void {
    Object.assign(this.switches, checkSwitches(s as Record<string, unknown>))
    this.bucket.config.countRejected = this.switches.countRejected
    this.budget.config.banMode = this.switches.banMode
  }

  reset(): void {
    this.store.clear()
    this.bucket.reset()
    this.budget.reset()
    const { inFlight, maxInFlight: _m } = this.stats_
    this.stats_ = new Stats()
    this.stats_.inFlight = inFlight
    this.stats_.maxInFlight = inFlight
    this.capacity.resetStats()
    this.faults.set(this.opts.faults)
    this.faults.reseed()
    this.latencyRng = seededRng(this.seed)
    if (this.stateFile) {
      this.stateFile.append({ t: 'reset' })
      this.stateFile.writeSnapshot(this.persisted, this.store)
    }
  }

  stats(): SandboxStats {
    const now = this.clock.now()
    const byAddress = this.bucket.snapshot(now)
    const operating: OperatingStat[] = this.budget.snapshot(now).map((o) => {
      const [authType, credential, method] = o.key.split('|') as [OperatingStat['authType'], string, string]
      return { authType, credential, method, usedSec: o.used, resetAt: o.resetAt, bannedUntil: o.bannedUntil, peakSec: o.peak }
    })
    const s = this.stats_
    return {
      requests: { ...s.requests },
      calls: { ...s.calls },
      totalRequests: s.totalRequests,
      status503: s.status503,
      status429: s.status429,
      faults: { ...s.faults },
      operating,
      bucket: { burst: this.bucket.config.burst, rps: this.bucket.config.rps, level: round3(Math.max(0, ...Object.values(byAddress))), byAddress },
      inFlight: s.inFlight,
      maxInFlight: s.maxInFlight,
      capacity: this.capacity.stats(),
      chats: this.store.chats.size,
    }
  }

  chats(): SandboxChat[] {
    return [...this.store.chats.values()].sort((a, b) => a.id - b.id).map(publicChat)
  }

  addWebhook(spec: WebhookSpec = {}): { url: string; id: string } {
    const secret = newSecret()
    const userId = spec.userId ?? 1
    const wh = this.creds.addWebhook(secret, userId, spec.scopes ?? DEFAULT_WEBHOOK_SCOPES, spec.expiresAt ?? null)
    return { url: `${this.origin}/rest/${userId}/${secret}/`, id: wh.id }
  }

  addOAuthApp(spec: { userId?: number; scopes?: string[] } = {}): OAuthCredentials {
    const app = this.creds.addApp(spec.userId ?? 1, spec.scopes ?? DEFAULT_OAUTH_SCOPES)
    const pair = this.creds.issue(app, this.clock.now())
    return { tokenUrl: `${this.origin}/oauth/token/`, clientId: app.clientId, clientSecret: app.clientSecret, accessToken: pair.accessToken, refreshToken: pair.refreshToken }
  }

  expireAccessTokens(): void {
    this.creds.expireAll(this.clock.now())
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        this.closed = true
        this.capacity.close()
        for (const ctl of this.inFlight) ctl.abort(new Error('sandbox closed'))
        this.inFlight.clear()
        const waits = [this.server, this.plainServer].filter((s): s is HttpServer => s !== null).map((s) => new Promise<void>((r) => s.close(() => r())))
        for (const s of this.sockets) s.destroy()
        this.sockets.clear()
        await Promise.all(waits)
        if (this.stateFile && this.persisted) this.stateFile.writeSnapshot(this.persisted, this.store)
      })()
    }
    return this.closing
  }
}

function decodeSeg(s: string | undefined): string {
  try {
    return decodeURIComponent(s ?? '')
  } catch {
    return s ?? ''
  }
}

function listen(server: HttpServer, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, HOST, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const s = new SandboxServer(opts)
  await s.start()
  return s
}

