/**
 * A tiny in-memory portal behind a fake Transport, for exact and instant unit tests of the client and engine.
 * It parses batch command strings the way PHP parse_str does (`+` is a space), keeps chats, bills operating
 * time per method, and replays scripted faults per request.
 */
import type { Clock } from '../../../electron/core/clock'
import { TransportError } from '../../../electron/core/portal/transport'
import type { HttpRequest, HttpResponse, Transport } from '../../../electron/core/portal/transport'

export type FakeFault =
  | 'qle'
  | 'otl'
  | 'expired'
  | 'html-after-commit'
  | 'html-before-commit'
  | 'reset-after-commit'
  | 'timeout-after-commit'
  | 'connect'
  | { status: number; error: string; description: string }

export interface FakeChat {
  id: number
  title: string
  users: number[]
  owner: number
  color: string
  entityType: string | null
  entityId: string | null
}

const HEX: Record<string, string> = { RED: '#df532d', PINK: '#f76187', GREEN: '#64a513' }

/** PHP parse_str for the subset the client emits: a[0]=1, a[b]=c, plain keys. */
export function parseQuery(q: string): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const pair of q.split('&')) {
    if (!pair) continue
    const [rk, rv = ''] = pair.split('=')
    const key = decodeURIComponent((rk ?? '').replace(/\+/g, ' '))
    const val = decodeURIComponent(rv.replace(/\+/g, ' '))
    const m = /^([^[]+)((?:\[[^\]]*\])*)$/.exec(key)
    if (!m) continue
    const path = [m[1] as string, ...[...(m[2] ?? '').matchAll(/\[([^\]]*)\]/g)].map((x) => x[1] as string)]
    let cur = out
    path.forEach((seg, i) => {
      if (i === path.length - 1) cur[seg] = val
      else {
        cur[seg] = (cur[seg] as Record<string, unknown>) ?? {}
        cur = cur[seg] as Record<string, unknown>
      }
    })
  }
  return out
}

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : [])

export class FakePortal {
  chats: FakeChat[] = []
  faults: FakeFault[] = []
  /** Faults for creating batches only (im.chat.add inside), in the order they arrive; others take `faults`. */
  createFaults: FakeFault[] = []
  /** A fault applied to the n-th request (1-based), whatever the queue says. */
  requests = 0
  log: { method: string; body: Record<string, unknown> }[] = []
  users = new Map<string, number>([['ann@example.com', 7], ['bob@example.com', 8]])
  /** Seconds of server time per im.chat.add. */
  chatSec = 0.3
  /** Billing: 'docs' bills each im.chat.add; 'batch-half' bills the batch at 0.5. */
  billing: 'docs' | 'batch-half' = 'docs'
  operating = new Map<string, { used: number; firstAt: number }>()
  limitSec = 480
  windowSec = 600
  accessToken = 'access-token-1'
  refreshToken = 'refresh-token-1'
  refreshes = 0
  scopes = ['im', 'user']
  status429 = 0
  status503 = 0
  /** Paint every new chat this hex, whatever COLOR says (a portal with colours off, or a bug). */
  forceColor: string | null = null
  /** While true every request fails to connect (the portal is down or moved). */
  down = false
  /** Down until this time of the clock (ms): requests fail to connect, answers being written are lost. */
  downUntil: number | null = null
  /** What a request says while the portal is down. */
  downMessage = 'ECONNREFUSED: connection failed'
  isDown(): boolean {
    return this.down || (this.downUntil !== null && this.clock.now() < this.downUntil)
  }
  /** Creating batches being processed now, and the most there ever were at once. */
  creatingNow = 0
  maxCreatingAtOnce = 0
  /** While true, creating batches wait (on the wire) until `releaseCreates()`. */
  holdCreates = false
  private held: (() => void)[] = []
  /** Called for every im.chat.add the portal runs, before it runs (tests check the journal here). */
  onCreate: ((params: Record<string, unknown>) => void) | null = null

  constructor(readonly clock: Clock, readonly creator = 1) {}

  private bill(method: string, sec: number): { operating: number; operating_reset_at?: number } {
    const now = this.clock.now()
    let s = this.operating.get(method)
    if (s && s.firstAt + this.windowSec * 1000 <= now) s = undefined
    if (!s) s = { used: 0, firstAt: now }
    if (sec > 0.1) s.used += sec
    this.operating.set(method, s)
    return { operating: s.used, operating_reset_at: Math.floor((s.firstAt + this.windowSec * 1000) / 1000) }
  }

  private blocked(method: string): boolean {
    const s = this.operating.get(method)
    if (!s || s.firstAt + this.windowSec * 1000 <= this.clock.now()) return false
    return s.used >= this.limitSec
  }

  private time(sec: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const f = this.clock.now() / 1000
    return { start: f - sec, finish: f, duration: sec, processing: sec, date_start: '', date_finish: '', ...extra }
  }

  /** Runs one method; returns [result] or throws {error, error_description}. */
  private run(method: string, p: Record<string, unknown>): unknown {
    switch (method) {
      case 'im.chat.add': {
        this.onCreate?.(p)
        const users = [...new Set([this.creator, ...arr(p.USERS).map(Number)])]
        const chat: FakeChat = {
          id: this.chats.length + 1,
          title: typeof p.TITLE === 'string' && p.TITLE ? p.TITLE : `Chat #${this.chats.length + 1}`,
          users,
          owner: this.creator,
          color: this.forceColor ?? HEX[String(p.COLOR)] ?? '#df532d',
          entityType: typeof p.ENTITY_TYPE === 'string' ? p.ENTITY_TYPE : null,
          entityId: typeof p.ENTITY_ID === 'string' ? p.ENTITY_ID : null,
        }
        if (chat.title === 'BAD') throw { error: 'WRONG_REQUEST', error_description: "Chat can't be created" }
        this.chats.push(chat)
        return chat.id
      }
      case 'im.chat.get': {
        const c = this.chats.find((x) => x.entityType === p.ENTITY_TYPE && x.entityId === p.ENTITY_ID)
        return c ? { ID: c.id } : null
      }
      case 'im.chat.setowner': {
        const c = this.chats.find((x) => x.id === Number(p.CHAT_ID))
        if (!c || c.owner !== this.creator || !c.users.includes(Number(p.USER_ID))) throw { error: 'WRONG_REQUEST', error_description: 'Change owner can only owner and user must be member in chat' }
        c.owner = Number(p.USER_ID)
        return true
      }
      case 'im.dialog.get': {
        const c = this.chats.find((x) => `chat${x.id}` === p.DIALOG_ID)
        if (!c) throw { error: 'ACCESS_ERROR', error_description: 'You do not have access to this chat' }
        return { id: c.id, name: c.title, color: c.color, owner: c.owner }
      }
      case 'user.get': {
        const f = (p.FILTER ?? {}) as Record<string, unknown>
        const id = this.users.get(String(f.EMAIL ?? '').toLowerCase())
        return id ? [{ ID: String(id), EMAIL: f.EMAIL, ACTIVE: true }] : []
      }
      case 'profile':
        return { ID: String(this.creator), NAME: 'Ada', LAST_NAME: 'Admin', ADMIN: true }
      case 'server.time':
        return new Date(this.clock.now()).toISOString()
      case 'scope':
        return this.scopes
      default:
        throw { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' }
    }
  }

  private json(status: number, body: unknown): HttpResponse {
    return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
  }

  readonly transport: Transport = async (req: HttpRequest): Promise<HttpResponse> => {
    this.requests++
    const url = new URL(req.url)
    if (url.pathname.startsWith('/oauth/token')) {
      this.refreshes++
      if (url.searchParams.get('refresh_token') !== this.refreshToken) return this.json(400, { error: 'invalid_grant', error_description: 'Invalid grant' })
      this.accessToken = `access-token-${this.refreshes + 1}`
      this.refreshToken = `refresh-token-${this.refreshes + 1}`
      return this.json(200, { access_token: this.accessToken, refresh_token: this.refreshToken, expires_in: 3600 })
    }
    const method = decodeURIComponent(url.pathname.split('/').pop() ?? '').toLowerCase()
    const body = JSON.parse(req.body ?? '{}') as Record<string, unknown>
    if (this.isDown()) throw new TransportError('connect', this.downMessage)
    this.log.push({ method, body })
    const creating = method === 'batch' && Object.values((body.cmd ?? {}) as Record<string, string>).some((c) => c.toLowerCase().startsWith('im.chat.add'))
    const fault = creating && this.createFaults.length ? this.createFaults.shift() : this.faults.shift()
    if (fault === 'connect') throw new TransportError('connect', 'ECONNREFUSED')
    if (fault === 'qle') {
      this.status503++
      return this.json(503, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' })
    }
    if (fault === 'otl') {
      this.status429++
      return this.json(429, { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' })
    }
    if (fault === 'expired' || ('auth' in body && body.auth !== this.accessToken)) return this.json(401, { error: 'expired_token', error_description: 'The access token provided has expired.' })
    if (fault && typeof fault === 'object') return this.json(fault.status, { error: fault.error, error_description: fault.description })
    if (fault === 'html-before-commit') return { status: 502, headers: {}, body: '<html>Bad gateway</html>' }
    const respond = await this.handle(method, body)
    if (this.isDown()) throw new TransportError('reset', 'ECONNRESET') // went down while working: the answer is lost
    if (fault === 'html-after-commit') return { status: 500, headers: {}, body: '<html>Internal error</html>' }
    if (fault === 'reset-after-commit') throw new TransportError('reset', 'ECONNRESET')
    if (fault === 'timeout-after-commit') throw new TransportError('timeout', 'timeout')
    return respond
  }

  private async handle(method: string, body: Record<string, unknown>): Promise<HttpResponse> {
    const creating = method === 'batch' && Object.values((body.cmd ?? {}) as Record<string, string>).some((c) => c.toLowerCase().startsWith('im.chat.add'))
    if (!creating) return this.process(method, body)
    this.creatingNow++
    this.maxCreatingAtOnce = Math.max(this.maxCreatingAtOnce, this.creatingNow)
    for (const w of this.creatingWaiters.filter((x) => this.creatingNow >= x.n)) {
      this.creatingWaiters.splice(this.creatingWaiters.indexOf(w), 1)
      w.resolve()
    }
    try {
      if (this.holdCreates) await new Promise<void>((resolve) => this.held.push(resolve))
      return await this.process(method, body)
    } finally {
      this.creatingNow--
    }
  }

  private async process(method: string, body: Record<string, unknown>): Promise<HttpResponse> {
    if (method === 'batch') {
      if (this.billing === 'batch-half' && this.blocked('batch')) {
        this.status429++
        return this.json(429, { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' })
      }
      const cmd = (body.cmd ?? {}) as Record<string, string>
      const out = { result: {} as Record<string, unknown>, result_error: {} as Record<string, unknown>, result_time: {} as Record<string, unknown> }
      let total = 0
      for (const [k, c] of Object.entries(cmd)) {
        const q = c.indexOf('?')
        const m = c.slice(0, q < 0 ? undefined : q).toLowerCase()
        const p = parseQuery(q < 0 ? '' : c.slice(q + 1))
        if (this.billing === 'docs' && this.blocked(m)) {
          this.status429++
          out.result_error[k] = { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' }
          continue
        }
        const sec = m === 'im.chat.add' ? this.chatSec : 0.01
        await this.clock.sleep(sec * 1000)
        total += sec
        try {
          out.result[k] = this.run(m, p)
          out.result_time[k] = this.time(sec, this.billing === 'docs' ? this.bill(m, sec) : {})
        } catch (e) {
          out.result_error[k] = e
        }
      }
      const t = this.time(total, this.billing === 'batch-half' ? this.bill('batch', total * 0.5) : {})
      if (this.billing === 'batch-half') for (const v of Object.values(out.result_time)) Object.assign(v as object, { operating: t.operating, operating_reset_at: t.operating_reset_at })
      return this.json(200, { result: { ...out, result_total: [], result_next: [] }, time: t })
    }
    const sec = method === 'im.chat.add' ? this.chatSec : 0.01
    await this.clock.sleep(sec * 1000)
    try {
      const result = this.run(method, body)
      return this.json(200, { result, time: this.time(sec, this.bill(method, sec)) })
    } catch (e) {
      const err = e as { error: string; error_description: string }
      const status = err.error === 'ERROR_METHOD_NOT_FOUND' ? 404 : 400
      return this.json(status, err)
    }
  }

  private creatingWaiters: { n: number; resolve: () => void }[] = []
  /** Resolves once `n` creating batches are on the wire at the same time. */
  untilCreating(n: number): Promise<void> {
    if (this.creatingNow >= n) return Promise.resolve()
    return new Promise((resolve) => this.creatingWaiters.push({ n, resolve }))
  }

  /** Lets every held creating batch run (and stops holding new ones). */
  releaseCreates(): void {
    this.holdCreates = false
    for (const r of this.held.splice(0)) r()
  }

  /** Titles that more than one chat carries (for rows without a tag: tagging off). */
  titleDuplicates(): string[] {
    const seen = new Map<string, number>()
    for (const c of this.chats) seen.set(c.title, (seen.get(c.title) ?? 0) + 1)
    return [...seen].filter(([, n]) => n > 1).map(([k]) => k)
  }

  /** Duplicate entity pairs (must always be empty). */
  duplicates(): string[] {
    const seen = new Map<string, number>()
    for (const c of this.chats) if (c.entityType) seen.set(`${c.entityType}|${c.entityId}`, (seen.get(`${c.entityType}|${c.entityId}`) ?? 0) + 1)
    return [...seen].filter(([, n]) => n > 1).map(([k]) => k)
  }
}
