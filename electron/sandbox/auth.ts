/** Credentials: webhooks (/rest/USER/SECRET/…), OAuth apps and tokens, and the /oauth/token/ refresh grant. */
import { randomBytes } from 'node:crypto'
import { E, RestError } from './errors'
import type { Params } from './php'

export type AuthType = 'webhook' | 'oauth'

export interface AuthContext {
  authType: AuthType
  /** Webhook id or OAuth client_id (never the secret): the operating-budget key part. */
  credential: string
  userId: number
  scopes: ReadonlySet<string>
}

interface Webhook {
  id: string
  userId: number
  scopes: Set<string>
  expiresAt: number | null
}

interface App {
  clientId: string
  clientSecret: string
  userId: number
  scopes: Set<string>
}

interface Token {
  clientId: string
  userId: number
  expiresAt: number
}

const REFRESH_TTL_MS = 180 * 86_400_000
const alnum = (n: number): string => {
  const abc = 'abcdefghijklmnopqrstuvwxyz0123456789'
  const bytes = randomBytes(n)
  let s = ''
  for (const b of bytes) s += abc[b % abc.length]
  return s
}
export const newSecret = (): string => alnum(16)
export const newToken = (): string => randomBytes(32).toString('hex')

export class Credentials {
  private readonly webhooks = new Map<string, Webhook>()
  private readonly apps = new Map<string, App>()
  private readonly access = new Map<string, Token>()
  private readonly refresh = new Map<string, Token>()
  private webhookSeq = 0
  tokenTtlMs: number

  constructor(tokenTtlSec: number) {
    this.tokenTtlMs = tokenTtlSec * 1000
  }

  addWebhook(secret: string, userId: number, scopes: string[], expiresAt: number | null = null): Webhook {
    const wh: Webhook = { id: `webhook-${++this.webhookSeq}`, userId, scopes: new Set(scopes), expiresAt }
    this.webhooks.set(secret, wh)
    return wh
  }

  addApp(userId: number, scopes: string[], fixed?: { clientId: string; clientSecret: string }): App {
    const app: App = {
      clientId: fixed?.clientId ?? `local.${randomBytes(7).toString('hex').slice(0, 13)}.${randomBytes(4).toString('hex')}`,
      clientSecret: fixed?.clientSecret ?? alnum(50),
      userId,
      scopes: new Set(scopes),
    }
    this.apps.set(app.clientId, app)
    return app
  }

  /** Issues (or restores) a token pair for an app. */
  issue(app: App, now: number, fixed?: { accessToken: string; accessExpiresAt: number; refreshToken: string }): { accessToken: string; refreshToken: string; expiresAt: number } {
    const accessToken = fixed?.accessToken ?? newToken()
    const refreshToken = fixed?.refreshToken ?? newToken()
    const expiresAt = fixed?.accessExpiresAt ?? now + this.tokenTtlMs
    this.access.set(accessToken, { clientId: app.clientId, userId: app.userId, expiresAt })
    this.refresh.set(refreshToken, { clientId: app.clientId, userId: app.userId, expiresAt: now + REFRESH_TTL_MS })
    return { accessToken, refreshToken, expiresAt }
  }

  expireAll(now: number): void {
    for (const t of this.access.values()) t.expiresAt = Math.min(t.expiresAt, now)
  }

  webhook(userId: string, secret: string, now: number): AuthContext {
    const wh = this.webhooks.get(secret)
    if (!wh || String(wh.userId) !== userId) throw E.noAuth()
    if (wh.expiresAt !== null && wh.expiresAt <= now) throw E.noAuth()
    return { authType: 'webhook', credential: wh.id, userId: wh.userId, scopes: wh.scopes }
  }

  oauth(token: unknown, now: number): AuthContext {
    if (typeof token !== 'string' || token === '') throw E.noAuth()
    const t = this.access.get(token)
    if (!t) throw E.noAuth()
    if (t.expiresAt <= now) throw E.expiredToken()
    const app = this.apps.get(t.clientId)
    if (!app) throw E.noAuth()
    return { authType: 'oauth', credential: app.clientId, userId: t.userId, scopes: app.scopes }
  }

  /**
   * The mock of oauth.bitrix.info/oauth/token/: `grant_type=refresh_token` rotates the refresh token (the old one
   * becomes stale → invalid_grant).
   */
  tokenEndpoint(p: Params, now: number, portal: { origin: string; host: string; memberId: string }): { status: number; body: Record<string, unknown>; rotated?: { clientId: string; accessToken: string; refreshToken: string; expiresAt: number } } {
    const err = (status: number, error: string, description: string): { status: number; body: Record<string, unknown> } => ({ status, body: { error, error_description: description } })
    const grant = p.grant_type
    if (grant !== 'refresh_token') return err(400, 'invalid_request', 'Unsupported grant_type')
    const app = typeof p.client_id === 'string' ? this.apps.get(p.client_id) : undefined
    if (!app || p.client_secret !== app.clientSecret) return err(401, 'invalid_client', 'Invalid client credentials')
    const rt = typeof p.refresh_token === 'string' ? this.refresh.get(p.refresh_token) : undefined
    if (!rt || rt.clientId !== app.clientId || rt.expiresAt <= now) return err(400, 'invalid_grant', 'Invalid refresh token')
    this.refresh.delete(p.refresh_token as string)
    const pair = this.issue(app, now)
    return {
      status: 200,
      body: {
        access_token: pair.accessToken,
        expires: Math.floor(pair.expiresAt / 1000),
        expires_in: Math.round(this.tokenTtlMs / 1000),
        scope: [...app.scopes].join(','),
        domain: portal.host,
        server_endpoint: `${portal.origin}/oauth/rest/`,
        status: 'L',
        client_endpoint: `${portal.origin}/rest/`,
        member_id: portal.memberId,
        user_id: rt.userId,
        refresh_token: pair.refreshToken,
      },
      rotated: { clientId: app.clientId, accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresAt: pair.expiresAt },
    }
  }
}

export { RestError }
