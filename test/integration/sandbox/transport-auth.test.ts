import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../../electron/core/clock'
import { httpsRequest, startTestSandbox } from '../../helpers/sandbox'
import type { TestSandbox } from '../../helpers/sandbox'
import { request as httpRequest } from 'node:http'

describe('transport', () => {
  let t: TestSandbox
  beforeAll(async () => {
    t = await startTestSandbox({ latencyMs: 0, burst: 10_000, http: true })
  })
  afterAll(() => t.close())
  beforeEach(() => t.sb.reset())

  const form = (path: string, body: string) =>
    httpsRequest(t.sb, { method: 'POST', path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, agent: t.agent })

  it('parses a form body PHP-style: brackets, + as space, %2B as plus', async () => {
    const r = await form(`${t.webhookPath}im.chat.add`, 'USERS[]=2&USERS[]=3&TITLE=Hello+world+%2B1&ENTITY_TYPE=X&ENTITY_ID=a%7Cb')
    expect(r.status).toBe(200)
    expect(t.sb.chats()[0]).toMatchObject({ title: 'Hello world +1', users: [1, 2, 3], entityId: 'a|b' })
  })

  it('parses the query string of a GET, and a POST body overrides the query', async () => {
    const g = await httpsRequest(t.sb, { path: `${t.webhookPath}im.chat.add?TITLE=From+query&COLOR=MINT`, agent: t.agent })
    expect(g.status).toBe(200)
    const p = await httpsRequest(t.sb, { path: `${t.webhookPath}im.chat.add?TITLE=From+query&COLOR=MINT`, body: { TITLE: 'From body' }, agent: t.agent })
    expect(p.status).toBe(200)
    expect(t.sb.chats().map((c) => [c.title, c.color])).toEqual([['From query', 'MINT'], ['From body', 'MINT']])
  })

  it('reads multipart/form-data fields', async () => {
    const b = 'XyZbound'
    const body = [`--${b}`, 'Content-Disposition: form-data; name="TITLE"', '', 'Multi part', `--${b}`, 'Content-Disposition: form-data; name="USERS[]"', '', '4', `--${b}--`, ''].join('\r\n')
    const r = await httpsRequest(t.sb, { method: 'POST', path: `${t.webhookPath}im.chat.add`, headers: { 'content-type': `multipart/form-data; boundary=${b}` }, body, agent: t.agent })
    expect(r.status).toBe(200)
    expect(t.sb.chats()[0]).toMatchObject({ title: 'Multi part', users: [1, 4] })
  })

  it('treats invalid JSON as no parameters (no error)', async () => {
    const r = await httpsRequest(t.sb, { method: 'POST', path: `${t.webhookPath}im.chat.add`, headers: { 'content-type': 'application/json' }, body: '{"TITLE": "broken', agent: t.agent })
    expect(r.status).toBe(200)
    expect(t.sb.chats()[0]?.title).toBe('Red Chat #1')
  })

  it('accepts method names case-insensitively and with a .json suffix; im.* keys case-insensitively', async () => {
    const r = await httpsRequest(t.sb, { path: `${t.webhookPath}IM.Chat.ADD.json`, body: { title: 'lower keys', color: 'LIME' }, agent: t.agent })
    expect(r.status).toBe(200)
    expect(t.sb.chats()[0]).toMatchObject({ title: 'lower keys', color: 'LIME' })
  })

  it('answers an unknown method with 404 ERROR_METHOD_NOT_FOUND and no time block', async () => {
    const r = await t.call('im.chat.nothing')
    expect(r.status).toBe(404)
    expect(r.json).toEqual({ error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' })
  })

  it('refuses plain HTTP with 400 INVALID_REQUEST "Https required"', async () => {
    const url = `${t.sb.httpOrigin}${t.webhookPath}profile`
    const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(url, { method: 'POST' }, (res) => {
        let body = ''
        res.on('data', (c: Buffer) => (body += c.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      req.on('error', reject)
      req.end()
    })
    expect(r.status).toBe(400)
    expect(JSON.parse(r.body)).toEqual({ error: 'INVALID_REQUEST', error_description: 'Https required' })
  })

  it('serves a certificate that only verifies with the sandbox CA', async () => {
    await expect(httpsRequest({ origin: t.sb.origin, caPem: '' }, { path: `${t.webhookPath}profile`, body: {} })).rejects.toThrow()
  })
})

describe('auth', () => {
  let t: TestSandbox
  const clock = new ManualClock(1_700_000_000_000)
  beforeAll(async () => {
    t = await startTestSandbox({ latencyMs: 0, burst: 10_000, clock, tokenTtlSec: 3600 })
  })
  afterAll(() => t.close())

  it('rejects a wrong secret or a user id that is not the webhook owner with 401 NO_AUTH_FOUND', async () => {
    const secret = t.webhookPath.split('/')[3]
    for (const path of [`/rest/1/wrongsecret/profile`, `/rest/2/${secret}/profile`, '/rest/profile']) {
      const r = await httpsRequest(t.sb, { path, body: {}, agent: t.agent })
      expect(r.status).toBe(401)
      expect(r.json).toEqual({ error: 'NO_AUTH_FOUND', error_description: 'Wrong authorization data' })
    }
  })

  it('serves OAuth calls with auth= in the query or the body', async () => {
    const q = await httpsRequest(t.sb, { path: `/rest/profile?auth=${t.sb.oauth.accessToken}`, agent: t.agent })
    expect(q.status).toBe(200)
    expect(q.json.result).toMatchObject({ ID: '1', ADMIN: true })
    const b = await t.call('scope', {}, { auth: t.sb.oauth.accessToken })
    expect(b.json.result).toEqual(['im', 'user'])
  })

  it('expires access tokens after the TTL (401 expired_token), refreshes with rotation, refuses a stale refresh token', async () => {
    const app = t.sb.addOAuthApp({ scopes: ['im'] })
    expect((await t.call('profile', {}, { auth: app.accessToken })).status).toBe(200)
    await clock.advance(3600_000)
    const expired = await t.call('profile', {}, { auth: app.accessToken })
    expect(expired.status).toBe(401)
    expect(expired.json.error).toBe('expired_token')

    const refreshUrl = `/oauth/token/?grant_type=refresh_token&client_id=${app.clientId}&client_secret=${app.clientSecret}&refresh_token=${app.refreshToken}`
    const ok = await httpsRequest(t.sb, { path: refreshUrl, agent: t.agent })
    expect(ok.status).toBe(200)
    expect(ok.json).toMatchObject({ expires_in: 3600, scope: 'im', user_id: 1, client_endpoint: `${t.sb.origin}/rest/` })
    expect(ok.json.refresh_token).not.toBe(app.refreshToken)
    expect((await t.call('profile', {}, { auth: ok.json.access_token })).status).toBe(200)

    const stale = await httpsRequest(t.sb, { path: refreshUrl, agent: t.agent })
    expect(stale.status).toBe(400)
    expect(stale.json.error).toBe('invalid_grant')
    const badClient = await httpsRequest(t.sb, { path: refreshUrl.replace(app.clientSecret, 'nope'), agent: t.agent })
    expect(badClient.json.error).toBe('invalid_client')
  })

  it('keeps the default app current after a refresh (sb.oauth rotates)', async () => {
    const before = t.sb.oauth
    const r = await httpsRequest(t.sb, { method: 'POST', path: '/oauth/token/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=refresh_token&client_id=${before.clientId}&client_secret=${before.clientSecret}&refresh_token=${before.refreshToken}`, agent: t.agent })
    expect(r.status).toBe(200)
    expect(t.sb.oauth.refreshToken).toBe(r.json.refresh_token)
    expect(t.sb.oauth.accessToken).toBe(r.json.access_token)
  })

  it('checks scopes per credential: 403 insufficient_scope', async () => {
    const wh = t.sb.addWebhook({ scopes: ['im'] })
    const r = await t.call('user.get', { ID: 1 }, { webhookUrl: wh.url })
    expect(r.status).toBe(403)
    expect(r.json.error).toBe('insufficient_scope')
    expect((await t.call('profile', {}, { webhookUrl: wh.url })).status).toBe(200)
    const noIm = t.sb.addWebhook({ scopes: ['user'] })
    expect((await t.call('im.chat.add', {}, { webhookUrl: noIm.url })).json.error).toBe('insufficient_scope')
  })

  it('acts as the webhook owner and stops an expired webhook', async () => {
    const wh = t.sb.addWebhook({ userId: 7, expiresAt: clock.now() + 60_000 })
    const me = await t.call('profile', {}, { webhookUrl: wh.url })
    expect(me.json.result).toMatchObject({ ID: '7', ADMIN: false })
    await clock.advance(60_000)
    expect((await t.call('profile', {}, { webhookUrl: wh.url })).json.error).toBe('NO_AUTH_FOUND')
  })

  it('has switches for 403 ACCESS_DENIED and 503 OVERLOAD_LIMIT', async () => {
    t.sb.configure({ accessDenied: true })
    const denied = await t.call('profile')
    expect([denied.status, denied.json]).toEqual([403, { error: 'ACCESS_DENIED', error_description: 'REST API is available only on commercial plans' }])
    t.sb.configure({ accessDenied: false, overloadLimit: true })
    const over = await t.call('profile')
    expect([over.status, over.json.error]).toEqual([503, 'OVERLOAD_LIMIT'])
    t.sb.configure({ overloadLimit: false })
    expect((await t.call('profile')).status).toBe(200)
  })
})
