/**
 * The portal client: HTTPS only, webhook or OAuth, paced (leaky bucket + operating budget), and retrying only
 * what is safe to retry (notes Client spec §5):
 *  - 503 QUERY_LIMIT_EXCEEDED, 429 OPERATION_TIME_LIMIT, connection failures before sending: resent after the wait.
 *  - expired_token / invalid_token (OAuth): one coalesced refresh, then the call is resent once.
 *  - other 4xx: thrown as they are (the portal's error and description kept verbatim).
 *  - timeouts, 5xx, non-JSON bodies, dropped connections: OUTCOME_UNKNOWN — resent only for read-only methods;
 *    a creating call throws `OutcomeUnknown` so its caller can resolve it (im.chat.get) first.
 */
import { AppFailure, missingCase } from '../../shared/result'
import type { ErrorCode } from '../../shared/result'
import type { Plan } from '../../shared/profile'
import { normalisePortalUrl, parseWebhookUrl } from '../../shared/profile'
import { systemClock } from '../clock'
import type { Clock } from '../clock'
import { registerSecret, silentLogger, redact } from '../redact'
import type { Logger } from '../redact'
import { CONCURRENCY } from '../../shared/settings'
import { batchCommand } from './encode'
import { Pacer, credentialKey, limitsForPlan } from './pacer'
import type { Finish, OperatingReport, PacerRegistry, PortalLimits, Ticket } from './pacer'
import { createHttpsTransport, TransportError } from './transport'
import type { HttpResponse, Transport } from './transport'
import type { BatchResult, RestCaller, RestSuccess, RestTime } from './types'

export interface RotatedTokens {
  accessToken: string
  refreshToken: string
  /** ms epoch, when the portal said. */
  expiresAt?: number
}

/** Where the client gets its credential from. Secrets live here only in memory. */
export type PortalCredentials =
  | { kind: 'webhook'; url: string }
  | {
      kind: 'oauth'
      portal: string
      /** https://oauth.bitrix.info/oauth/token/ (or the sandbox's). */
      tokenUrl: string
      clientId: string
      clientSecret: string
      refreshToken: string
      accessToken?: string
      /** Called with the rotated tokens after every refresh, before they are used: save them to the keychain. */
      onRotate?: (tokens: RotatedTokens) => Promise<void>
    }

export interface PortalClientOptions {
  /** Extra CA (PEM) for a portal with a private CA (the sandbox). */
  ca?: string
  clock?: Clock
  logger?: Logger
  plan?: Plan
  /** Fraction of the portal's limits the client allows itself (default 0.9). */
  margin?: number
  /** Overrides of the plan's limits (scaled-down sandboxes, self-hosted portals). */
  limits?: Partial<PortalLimits>
  /** Per-request timeout, ms (default 75 s: above the cloud's 60 s execution cap). */
  timeoutMs?: number
  transport?: Transport
  /** How many times a safe resend (QLE, OTL, connect failure, read-only unknown) is tried (default 8). */
  maxAttempts?: number
  /** The most requests in flight to the portal (the setting; default CONCURRENCY.default). */
  concurrency?: number
  /**
   * One pacing per portal: clients created with the same registry share the portal's bucket and concurrency
   * (the budget stays per credential). Without one, the client paces alone.
   */
  pacers?: PacerRegistry
  /**
   * Expected server seconds per call before anything is measured, by method; `'*'` for every method not named
   * (default 0.5 s for every method).
   */
  priorServerSec?: Record<string, number>
}

/** Methods that change nothing: an unknown outcome may be resent. */
export const READ_ONLY_METHODS = new Set([
  'im.chat.get', 'im.dialog.get', 'im.chat.user.list', 'user.get', 'user.search', 'user.current', 'profile', 'scope', 'server.time', 'methods',
])

/** Thrown when a creating call may or may not have run. `settled`: the server finished with it (it answered). */
export class OutcomeUnknown extends AppFailure {
  constructor(message: string, readonly settled: boolean, readonly sentAt: number, extra: { portalError?: string; portalDescription?: string } = {}) {
    super('OUTCOME_UNKNOWN', message, extra)
    this.name = 'OutcomeUnknown'
  }
}

export interface CallOptions {
  signal?: AbortSignal
  /** Overrides the client's timeout for this call. */
  timeoutMs?: number
  /** Expected server time of this call: the timeout stretches to at least three times that. */
  expectedServerSec?: number
}

export interface ClientStats {
  requests: number
  queryLimitHits: number
  operationLimitHits: number
  refreshes: number
  unknownOutcomes: number
}

export interface PortalClient extends RestCaller {
  readonly pacer: Pacer
  readonly authKind: 'webhook' | 'oauth'
  /** The acting user, when the credential says (webhook URL); otherwise learn it from `profile`. */
  readonly userId: number | null
  readonly stats: ClientStats
  call<T = unknown>(method: string, params?: Record<string, unknown>, opts?: CallOptions): Promise<RestSuccess<T>>
  batch(cmd: Record<string, [string, Record<string, unknown>]>, opts?: CallOptions & { halt?: boolean }): Promise<RestSuccess<BatchResult>>
  close(): void
}

type Outcome =
  | { kind: 'ok'; body: Record<string, unknown> }
  | { kind: 'not-sent'; message: string }
  | { kind: 'unknown'; settled: boolean; message: string; status?: number; portalError?: string; portalDescription?: string }
  | { kind: 'qle' }
  | { kind: 'otl'; portalError: string; portalDescription: string }
  | { kind: 'expired'; portalError: string; portalDescription: string }
  | { kind: 'error'; status: number; portalError: string; portalDescription: string }

const REJECTED_BEFORE_RUNNING = new Set(['OVERLOAD_LIMIT', 'PORTAL_DELETED', 'ACCESS_DENIED'])

function classify(res: HttpResponse): Outcome {
  let body: unknown
  try {
    body = JSON.parse(res.body)
  } catch {
    return { kind: 'unknown', settled: true, status: res.status, message: `The portal answered HTTP ${res.status} with a body that is not JSON` }
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return { kind: 'unknown', settled: true, status: res.status, message: `The portal answered HTTP ${res.status} with an unexpected body` }
  }
  const b = body as Record<string, unknown>
  if (typeof b.error === 'string') {
    const portalError = b.error
    const portalDescription = typeof b.error_description === 'string' ? b.error_description : ''
    if (portalError === 'QUERY_LIMIT_EXCEEDED') return { kind: 'qle' }
    if (portalError === 'OPERATION_TIME_LIMIT' || res.status === 429) return { kind: 'otl', portalError, portalDescription }
    if (portalError === 'expired_token' || portalError === 'invalid_token') return { kind: 'expired', portalError, portalDescription }
    if (res.status >= 500 && !REJECTED_BEFORE_RUNNING.has(portalError)) {
      return { kind: 'unknown', settled: true, status: res.status, portalError, portalDescription, message: `The portal answered HTTP ${res.status} ${portalError}` }
    }
    return { kind: 'error', status: res.status, portalError, portalDescription }
  }
  if (res.status >= 500) return { kind: 'unknown', settled: true, status: res.status, message: `The portal answered HTTP ${res.status}` }
  if (!('result' in b)) return { kind: 'unknown', settled: true, status: res.status, message: `The portal answered HTTP ${res.status} without a result` }
  return { kind: 'ok', body: b }
}

function errorCodeFor(portalError: string, status: number): { code: ErrorCode; message: string; messageRu: string } {
  switch (portalError) {
    case 'NO_AUTH_FOUND':
      return { code: 'AUTH_REJECTED', message: 'The portal rejected the credential (NO_AUTH_FOUND): the webhook or token is wrong, deleted or expired.', messageRu: 'Портал отклонил учётные данные (NO_AUTH_FOUND): вебхук или токен неверен, удалён или истёк.' }
    case 'INVALID_CREDENTIALS':
      return { code: 'AUTH_REJECTED', message: 'The user behind this credential lacks the permission for this call (INVALID_CREDENTIALS).', messageRu: 'У пользователя этих учётных данных нет прав на этот вызов (INVALID_CREDENTIALS).' }
    case 'insufficient_scope':
      return { code: 'SCOPE_MISSING', message: 'The credential lacks a scope this call needs (insufficient_scope).', messageRu: 'У учётных данных нет нужного для этого вызова права доступа (insufficient_scope).' }
    case 'ACCESS_DENIED':
      return { code: 'FORBIDDEN', message: "The portal's plan has no REST API access (ACCESS_DENIED): REST needs a commercial plan or a trial.", messageRu: 'Тариф портала не даёт доступа к REST API (ACCESS_DENIED): нужен коммерческий тариф или пробный период.' }
    case 'user_access_error':
      return { code: 'FORBIDDEN', message: 'The application is not available to this user (user_access_error).', messageRu: 'Приложение недоступно этому пользователю (user_access_error).' }
    case 'OVERLOAD_LIMIT':
      return { code: 'RATE_LIMITED', message: 'REST is blocked on this portal by Bitrix24 support (OVERLOAD_LIMIT).', messageRu: 'Техподдержка Битрикс24 заблокировала REST на этом портале (OVERLOAD_LIMIT).' }
    case 'INVALID_REQUEST':
      return { code: 'PORTAL_ERROR', message: 'The portal refused the request (INVALID_REQUEST): REST must be called over https.', messageRu: 'Портал отклонил запрос (INVALID_REQUEST): REST нужно вызывать по https.' }
    default:
      return { code: 'PORTAL_ERROR', message: `The portal answered HTTP ${status} ${portalError}`, messageRu: `Портал ответил HTTP ${status} ${portalError}` }
  }
}

function readTime(v: unknown): RestTime | undefined {
  if (!v || typeof v !== 'object') return undefined
  const t = v as Partial<RestTime>
  if (typeof t.duration !== 'number' && typeof t.start !== 'number') return undefined
  return t as RestTime
}

/** Empty PHP sections arrive as []; lists as arrays. Both become keyed objects. */
function section<T>(v: unknown): Record<string, T> {
  if (Array.isArray(v)) {
    const o: Record<string, T> = {}
    v.forEach((x, i) => (o[String(i)] = x as T))
    return o
  }
  return v && typeof v === 'object' ? (v as Record<string, T>) : {}
}

export function normaliseBatch(raw: unknown): BatchResult {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>
  return {
    result: section(r.result),
    result_error: section(r.result_error),
    result_total: section(r.result_total),
    result_next: section(r.result_next),
    result_time: section(r.result_time),
  }
}

class Client implements PortalClient {
  readonly pacer: Pacer
  readonly authKind: 'webhook' | 'oauth'
  readonly portal: string
  readonly userId: number | null
  readonly stats: ClientStats = { requests: 0, queryLimitHits: 0, operationLimitHits: 0, refreshes: 0, unknownOutcomes: 0 }
  private readonly clock: Clock
  private readonly log: Logger
  private readonly transport: Transport & { close?: () => void }
  private readonly timeoutMs: number
  private readonly maxAttempts: number
  private readonly base: string
  private accessToken: string | undefined
  private refreshToken: string | undefined
  private refreshing: Promise<void> | null = null

  constructor(private readonly creds: PortalCredentials, opts: PortalClientOptions) {
    this.clock = opts.clock ?? systemClock
    this.log = opts.logger ?? silentLogger
    this.timeoutMs = opts.timeoutMs ?? 75_000
    this.maxAttempts = opts.maxAttempts ?? 8
    // The agent must never hold back what the pacer allows in flight (and the setting can rise while running).
    this.transport = opts.transport ?? createHttpsTransport({ ca: opts.ca, maxSockets: CONCURRENCY.max + 1 })
    if (creds.kind === 'webhook') {
      const p = parseWebhookUrl(creds.url)
      if (!p.ok) throw new AppFailure('VALIDATION', p.message, { messageRu: p.messageRu })
      registerSecret(p.secret)
      this.authKind = 'webhook'
      this.portal = p.portal
      this.userId = p.userId
      this.base = `${p.portal}rest/${p.userId}/${p.secret}/`
    } else {
      const p = normalisePortalUrl(creds.portal)
      if (!p.ok) throw new AppFailure('VALIDATION', p.message, { messageRu: p.messageRu })
      if (!/^https:\/\//i.test(creds.tokenUrl)) throw new AppFailure('VALIDATION', 'The OAuth token endpoint must use https://', { messageRu: 'Адрес получения токена OAuth должен начинаться с https://' })
      for (const s of [creds.clientSecret, creds.refreshToken, creds.accessToken]) registerSecret(s)
      this.authKind = 'oauth'
      this.portal = p.portal
      this.userId = null
      this.base = `${p.portal}rest/`
      this.accessToken = creds.accessToken
      this.refreshToken = creds.refreshToken
    }
    const pacing = { limits: limitsForPlan(opts.plan ?? 'standard', opts.limits), margin: opts.margin, ceiling: opts.concurrency, priorServerSec: opts.priorServerSec }
    this.pacer = opts.pacers
      ? opts.pacers.pacerFor(this.portal, this.credential(), pacing)
      : new Pacer({ clock: this.clock, limits: pacing.limits, margin: pacing.margin, concurrency: pacing.ceiling, priorServerSec: pacing.priorServerSec })
    // While waiting on the `batch` budget, a batch of one server.time (global, read-only, never billed: it takes
    // far under 0.1 s) brings a fresh `operating` for the batch key.
    this.pacer.prober = async (key, signal) => {
      if (key !== 'batch') return
      try {
        await this.sendBatch({ probe: ['server.time', {}] }, { signal }, true)
      } catch (e) {
        if (e instanceof AppFailure && e.appError.code === 'CANCELLED') throw e
        this.log.warn('budget probe failed', e instanceof Error ? e.message : String(e))
      }
    }
  }

  close(): void {
    this.pacer.dispose()
    this.transport.close?.()
  }

  /** The budget is per credential: a secret-free name for this one. */
  private credential(): string {
    const c = this.creds
    return c.kind === 'oauth' ? credentialKey('oauth', c.clientId) : credentialKey('webhook', this.base)
  }

  private bodyFor(params: Record<string, unknown>): { body: string; token?: string } {
    if (this.authKind === 'oauth') return { body: JSON.stringify({ ...params, auth: this.accessToken ?? '' }), token: this.accessToken }
    return { body: JSON.stringify(params) }
  }

  private async refresh(usedToken: string | undefined): Promise<void> {
    if (this.creds.kind !== 'oauth') return
    if (this.accessToken !== usedToken) return // someone else refreshed already
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null
      })
    }
    return this.refreshing
  }

  private async doRefresh(): Promise<void> {
    const c = this.creds
    if (c.kind !== 'oauth') return
    this.pacer.setState({ kind: 'refreshing-token' })
    this.stats.refreshes++
    const q = new URLSearchParams({ grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: this.refreshToken ?? '' })
    const sep = c.tokenUrl.includes('?') ? '&' : '?'
    let res: HttpResponse | undefined
    for (let attempt = 0; attempt < 4 && !res; attempt++) {
      try {
        res = await this.transport({ method: 'GET', url: `${c.tokenUrl}${sep}${q.toString()}`, headers: { Accept: 'application/json' }, timeoutMs: Math.min(this.timeoutMs, 30_000) })
      } catch (e) {
        // A refresh that may have rotated the token server-side but never reached us cannot be recovered:
        // the old refresh token is now stale. Retrying a lost *connection* is still the best we can do.
        this.log.warn('token refresh failed to connect', e instanceof Error ? e.message : String(e))
        await this.clock.sleep(1000 * (attempt + 1))
      }
    }
    if (!res) throw new AppFailure('NETWORK', 'Could not reach the OAuth server to refresh the access token.', { messageRu: 'Не удалось связаться с сервером OAuth, чтобы обновить токен доступа.' })
    let body: Record<string, unknown>
    try {
      body = JSON.parse(res.body) as Record<string, unknown>
    } catch {
      throw new AppFailure('AUTH_REJECTED', `The OAuth server answered HTTP ${res.status} with a body that is not JSON.`, { messageRu: `Сервер OAuth ответил HTTP ${res.status}, но не в формате JSON.` })
    }
    if (typeof body.error === 'string' || typeof body.access_token !== 'string' || typeof body.refresh_token !== 'string') {
      const portalError = typeof body.error === 'string' ? body.error : 'invalid_response'
      const portalDescription = typeof body.error_description === 'string' ? redact(body.error_description) : ''
      throw new AppFailure('AUTH_REJECTED', `The OAuth server refused to refresh the access token (${portalError}). Reconnect the profile.`, { messageRu: `Сервер OAuth отказался обновить токен доступа (${portalError}). Подключите профиль заново.`, portalError, portalDescription })
    }
    const tokens: RotatedTokens = {
      accessToken: body.access_token,
      refreshToken: body.refresh_token,
      ...(typeof body.expires_in === 'number' ? { expiresAt: this.clock.now() + body.expires_in * 1000 } : {}),
    }
    registerSecret(tokens.accessToken)
    registerSecret(tokens.refreshToken)
    // Save the rotated refresh token before using anything: the old one is already stale on the server.
    await c.onRotate?.(tokens)
    this.accessToken = tokens.accessToken
    this.refreshToken = tokens.refreshToken
    this.log.info('access token refreshed')
  }

  /** How a request that got this outcome ends for the pacer (budget and concurrency). */
  private static finishFor(o: Outcome): Finish {
    switch (o.kind) {
      case 'ok':
        return { spent: 'released', sample: { kind: 'neutral' } }
      case 'qle':
        return { spent: 'released', sample: { kind: 'overload' } }
      case 'unknown':
        // It may have run: its expected cost stays booked until a report says otherwise; 5xx/HTML/timeout = overload.
        return { spent: 'booked', sample: { kind: 'overload' } }
      case 'not-sent':
      case 'otl':
      case 'expired':
      case 'error':
        return { spent: 'released', sample: { kind: 'neutral' } }
      default:
        return missingCase(o)
    }
  }

  private async send(method: string, payload: Record<string, unknown>, timeoutMs: number, signal?: AbortSignal): Promise<{ outcome: Outcome; token?: string; wallMs: number; sentAt: number }> {
    const { body, token } = this.bodyFor(payload)
    const sentAt = this.clock.now()
    this.stats.requests++
    try {
      const res = await this.transport({
        method: 'POST',
        url: `${this.base}${method}`,
        headers: { 'Content-Type': 'application/json; charset=utf-8', Accept: 'application/json', 'User-Agent': 'b24-chat-admin' },
        body,
        timeoutMs,
        signal,
      })
      const wallMs = this.clock.now() - sentAt
      const outcome = classify(res)
      this.log.info(`${method} → HTTP ${res.status} in ${wallMs} ms${outcome.kind === 'ok' ? '' : ` (${outcome.kind})`}`)
      return { outcome, token, wallMs, sentAt }
    } catch (e) {
      const wallMs = this.clock.now() - sentAt
      if (e instanceof TransportError) {
        this.log.warn(`${method} → ${e.kind}: ${e.message}`)
        if (e.kind === 'connect' || e.kind === 'aborted') return { outcome: { kind: 'not-sent', message: e.message }, token, wallMs, sentAt }
        // A refused oversized answer: the portal did finish with the request, what it said is unknown.
        if (e.kind === 'too-large') return { outcome: { kind: 'unknown', settled: true, message: e.message }, token, wallMs, sentAt }
        return { outcome: { kind: 'unknown', settled: false, message: e.kind === 'timeout' ? e.message : 'The connection dropped before the portal answered' }, token, wallMs, sentAt }
      }
      throw e
    }
  }

  /**
   * The retry loop shared by call and batch. Every attempt is admitted by the pacer (blocks, budget with the
   * requests in flight, concurrency, bucket) and ends there. An answered request's ticket is returned open: the
   * caller feeds its reports to the pacer, then completes it (so its reservation goes only once its cost is booked).
   */
  private async execute(
    method: string,
    payload: Record<string, unknown>,
    ctx: { readOnly: boolean; calls: Record<string, number>; batch: boolean; probe?: boolean; signal?: AbortSignal; timeoutMs?: number; expectedServerSec?: number },
  ): Promise<{ body: Record<string, unknown>; wallMs: number; ticket: Ticket }> {
    const timeoutMs = ctx.timeoutMs ?? Math.max(this.timeoutMs, (ctx.expectedServerSec ?? 0) * 3000)
    let refreshed = false
    let attempt = 0
    for (;;) {
      if (ctx.signal?.aborted) throw new AppFailure('CANCELLED', 'Cancelled')
      // A profile stored with only its refresh token (as added by the admin) gets its first access token here,
      // before anything is sent: a call with an empty `auth` would only earn NO_AUTH_FOUND.
      if (this.authKind === 'oauth' && !this.accessToken) {
        await this.refresh(undefined)
        refreshed = true
      }
      const ticket = await this.pacer.admit({ calls: ctx.calls, batch: ctx.batch, probe: ctx.probe, signal: ctx.signal })
      let sent: Awaited<ReturnType<Client['send']>>
      try {
        // Never abort a creating request in flight: that would turn a clean answer into an unknown outcome.
        sent = await this.send(method, payload, timeoutMs, ctx.readOnly ? ctx.signal : undefined)
      } catch (e) {
        this.pacer.complete(ticket, { spent: 'booked', sample: { kind: 'neutral' } })
        throw e
      }
      const { outcome, token, wallMs, sentAt } = sent
      if (outcome.kind === 'ok') return { body: outcome.body, wallMs, ticket }
      this.pacer.complete(ticket, Client.finishFor(outcome))
      switch (outcome.kind) {
        case 'qle': {
          this.stats.queryLimitHits++
          attempt++
          if (attempt >= this.maxAttempts) throw new AppFailure('RATE_LIMITED', 'The portal kept answering QUERY_LIMIT_EXCEEDED.', { messageRu: 'Портал раз за разом отвечал QUERY_LIMIT_EXCEEDED (слишком много запросов).', portalError: 'QUERY_LIMIT_EXCEEDED', portalDescription: 'Too many requests' })
          const ms = this.pacer.onQueryLimit(attempt - 1)
          await this.clock.sleep(ms, ctx.signal)
          continue
        }
        case 'otl': {
          this.stats.operationLimitHits++
          attempt++
          if (attempt >= this.maxAttempts) throw new AppFailure('OPERATION_LIMITED', `The portal keeps blocking ${method} (OPERATION_TIME_LIMIT).`, { messageRu: `Портал продолжает блокировать ${method} (OPERATION_TIME_LIMIT).`, portalError: outcome.portalError, portalDescription: outcome.portalDescription })
          this.pacer.onOperationLimit(method)
          continue // admission waits out the block
        }
        case 'expired': {
          if (this.authKind !== 'oauth' || refreshed) {
            const { code, message, messageRu } = this.authKind === 'oauth'
              ? { code: 'AUTH_REJECTED' as const, message: `The portal rejected the refreshed access token (${outcome.portalError}).`, messageRu: `Портал отклонил обновлённый токен доступа (${outcome.portalError}).` }
              : { code: 'AUTH_REJECTED' as const, message: `The portal rejected the webhook (${outcome.portalError}): it may have expired.`, messageRu: `Портал отклонил вебхук (${outcome.portalError}): возможно, срок его действия истёк.` }
            throw new AppFailure(code, message, { messageRu, portalError: outcome.portalError, portalDescription: outcome.portalDescription })
          }
          await this.refresh(token)
          refreshed = true
          continue
        }
        case 'not-sent': {
          attempt++
          if (attempt >= this.maxAttempts) throw new AppFailure('NETWORK', `Could not reach the portal: ${outcome.message}`, { messageRu: `Не удалось связаться с порталом (${outcome.message}).` })
          const ms = Math.min(15_000, 250 * Math.pow(2, attempt - 1))
          this.pacer.setState({ kind: 'backoff', reason: 'NETWORK', untilMs: this.clock.now() + ms })
          await this.clock.sleep(ms, ctx.signal)
          continue
        }
        case 'unknown': {
          this.stats.unknownOutcomes++
          if (ctx.readOnly) {
            attempt++
            if (attempt >= this.maxAttempts + 4) throw new AppFailure('NETWORK', `The portal did not answer ${method} properly: ${outcome.message}`, { messageRu: `Портал не ответил как следует на ${method} (${outcome.message}).`, portalError: outcome.portalError, portalDescription: outcome.portalDescription })
            const ms = Math.min(8_000, 250 * Math.pow(2, attempt - 1))
            this.pacer.setState({ kind: 'backoff', reason: 'NETWORK', untilMs: this.clock.now() + ms })
            await this.clock.sleep(ms, ctx.signal)
            continue
          }
          throw new OutcomeUnknown(outcome.message, outcome.settled, sentAt, { portalError: outcome.portalError, portalDescription: outcome.portalDescription })
        }
        case 'error': {
          const { code, message, messageRu } = errorCodeFor(outcome.portalError, outcome.status)
          throw new AppFailure(code, message, { messageRu, portalError: outcome.portalError, portalDescription: outcome.portalDescription })
        }
        default:
          return missingCase(outcome)
      }
    }
  }

  /** Books an answered request's reports, then lets its ticket go (reservation released, limiter taught). */
  private settle(ticket: Ticket, wallMs: number, time: RestTime | undefined, observe: () => void): void {
    try {
      observe()
    } finally {
      const serverMs = (time?.duration ?? 0) * 1000
      this.pacer.complete(ticket, { spent: 'released', sample: time ? { kind: 'ok', wallMs, serverMs } : { kind: 'neutral' } })
    }
  }

  private reportsFrom(key: string, t: RestTime | undefined): OperatingReport[] {
    if (!t || typeof t.operating !== 'number') return []
    return [{ key, operating: t.operating, resetAt: t.operating_reset_at, serverNow: typeof t.finish === 'number' ? t.finish : undefined }]
  }

  async call<T = unknown>(method: string, params: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<RestSuccess<T>> {
    const m = method.toLowerCase()
    const { body, wallMs, ticket } = await this.execute(m, params, { readOnly: READ_ONLY_METHODS.has(m), calls: { [m]: 1 }, batch: false, signal: opts.signal, timeoutMs: opts.timeoutMs, expectedServerSec: opts.expectedServerSec })
    const time = readTime(body.time)
    this.settle(ticket, wallMs, time, () => this.pacer.observe({ serverSec: { [m]: time?.duration ?? 0 }, calls: { [m]: 1 }, reports: this.reportsFrom(m, time), wallMs, durationSec: time?.duration, alone: !ticket.overlapped }))
    const out: RestSuccess<T> = { result: body.result as T }
    if (typeof body.total === 'number') out.total = body.total
    if (typeof body.next === 'number') out.next = body.next
    if (time) out.time = time
    return out
  }

  batch(cmd: Record<string, [string, Record<string, unknown>]>, opts: CallOptions & { halt?: boolean } = {}): Promise<RestSuccess<BatchResult>> {
    return this.sendBatch(cmd, opts, false)
  }

  /** A batch; `probe`: a budget probe (tiny, never billed) that skips the budget check. */
  private async sendBatch(cmd: Record<string, [string, Record<string, unknown>]>, opts: CallOptions & { halt?: boolean }, probe: boolean): Promise<RestSuccess<BatchResult>> {
    const entries = Object.entries(cmd)
    if (entries.length === 0) return { result: normaliseBatch({}) }
    if (entries.length > 50) throw new AppFailure('INTERNAL', 'A batch holds at most 50 commands.')
    const methodOf: Record<string, string> = {}
    const calls: Record<string, number> = {}
    const encoded: Record<string, string> = {}
    for (const [k, [method, params]] of entries) {
      const m = method.toLowerCase()
      methodOf[k] = m
      calls[m] = (calls[m] ?? 0) + 1
      encoded[k] = batchCommand(m, params)
    }
    const readOnly = Object.keys(calls).every((m) => READ_ONLY_METHODS.has(m))
    const { body, wallMs, ticket } = await this.execute('batch', { halt: opts.halt ? 1 : 0, cmd: encoded }, { readOnly, calls, batch: true, probe, signal: opts.signal, timeoutMs: opts.timeoutMs, expectedServerSec: opts.expectedServerSec })
    const result = normaliseBatch(body.result)
    const time = readTime(body.time)
    this.settle(ticket, wallMs, time, () => this.observeBatch(result, methodOf, time, wallMs, !ticket.overlapped))
    const out: RestSuccess<BatchResult> = { result }
    if (time) out.time = time
    return out
  }

  /** A batch's server time per method and its operating reports, fed to the pacer; sub-call 429s block. */
  private observeBatch(result: BatchResult, methodOf: Record<string, string>, time: RestTime | undefined, wallMs: number, alone: boolean): void {
    const serverSec: Record<string, number> = {}
    const latest = new Map<string, RestTime>()
    for (const [k, t] of Object.entries(result.result_time)) {
      const m = methodOf[k]
      const rt = readTime(t)
      if (!m || !rt) continue
      serverSec[m] = (serverSec[m] ?? 0) + (rt.duration ?? 0)
      const prev = latest.get(m)
      if (typeof rt.operating === 'number' && (!prev || (rt.finish ?? 0) >= (prev.finish ?? 0))) latest.set(m, rt)
    }
    const reports = [...this.reportsFrom('batch', time)]
    // When every sub-result only mirrors the batch's own figure (portals that bill the outer batch, b24jssdk
    // PR #539), the sub-results say nothing about the inner methods' budgets.
    const subOps = Object.values(result.result_time).map((t) => readTime(t)?.operating).filter((x): x is number => typeof x === 'number')
    const mirrored = typeof time?.operating === 'number' && subOps.length > 0 && subOps.every((x) => x === time.operating)
    if (!mirrored) for (const [m, rt] of latest) reports.push(...this.reportsFrom(m, rt))
    const ran: Record<string, number> = {}
    for (const k of Object.keys(result.result_time)) {
      const m = methodOf[k]
      if (m) ran[m] = (ran[m] ?? 0) + 1
    }
    this.pacer.observe({ serverSec, calls: ran, reports, wallMs, durationSec: time?.duration, alone })
    for (const [k, e] of Object.entries(result.result_error)) {
      const m = methodOf[k]
      if (m && e?.error === 'OPERATION_TIME_LIMIT') {
        this.stats.operationLimitHits++
        this.pacer.onOperationLimit(m)
        break
      }
    }
  }
}

/** Creates a paced client for one portal and one credential. Throws AppFailure(VALIDATION) for a bad URL. */
export function createPortalClient(credentials: PortalCredentials, opts: PortalClientOptions = {}): PortalClient {
  return new Client(credentials, opts)
}
