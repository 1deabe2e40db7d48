import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../electron/core/clock'
import { createLogger } from '../../../electron/core/redact'
import { createPortalClient, OutcomeUnknown } from '../../../electron/core/portal/client'
import { preflight } from '../../../electron/core/portal/preflight'
import { AppFailure } from '../../../electron/shared/result'
import { FakePortal } from '../sync/fake-portal'

const T0 = 1_700_000_000_000
const HOOK = 'https://portal.test/rest/1/s3cr3tW3bh00k/'

function setup() {
  const clock = new ManualClock(T0, true)
  const portal = new FakePortal(clock)
  const lines: string[] = []
  const logger = createLogger('test', (l) => lines.push(l))
  const client = createPortalClient({ kind: 'webhook', url: HOOK }, { clock, transport: portal.transport, logger })
  return { clock, portal, client, lines }
}

async function failure(p: Promise<unknown>): Promise<AppFailure> {
  try {
    await p
  } catch (e) {
    if (e instanceof AppFailure) return e
    throw e
  }
  throw new Error('expected a failure')
}

describe('portal client', () => {
  it('refuses plain http webhooks', () => {
    expect(() => createPortalClient({ kind: 'webhook', url: 'http://portal.test/rest/1/abcdef/' })).toThrow(/https/)
  })

  it('resends after 503 QUERY_LIMIT_EXCEEDED and 429 OPERATION_TIME_LIMIT, once the wait is over', async () => {
    const { portal, client, clock } = setup()
    portal.faults = ['qle', 'otl']
    const r = await client.call<number>('im.chat.add', { TITLE: 'x' })
    expect(r.result).toBe(1)
    expect(portal.chats).toHaveLength(1)
    expect(client.stats).toMatchObject({ queryLimitHits: 1, operationLimitHits: 1 })
    // waited the QLE backoff (1.5 s) and at least one operating bucket (60 s) before the last try
    expect(clock.now() - T0).toBeGreaterThanOrEqual(61_500)
  })

  it('keeps the portal error and description verbatim and does not retry a 4xx', async () => {
    const { portal, client } = setup()
    portal.faults = [{ status: 400, error: 'WRONG_REQUEST', description: "Chat can't be created" }]
    const e = await failure(client.call('im.chat.add', { TITLE: 'x' }))
    expect(e.appError).toMatchObject({ code: 'PORTAL_ERROR', portalError: 'WRONG_REQUEST', portalDescription: "Chat can't be created" })
    expect(portal.requests).toBe(1)
  })

  it('never resends a creating call whose outcome is unknown', async () => {
    const { portal, client } = setup()
    for (const f of ['html-after-commit', 'reset-after-commit', 'timeout-after-commit'] as const) {
      portal.faults = [f]
      const before = portal.requests
      const e = await failure(client.call('im.chat.add', { TITLE: f }))
      expect(e).toBeInstanceOf(OutcomeUnknown)
      expect(e.appError.code).toBe('OUTCOME_UNKNOWN')
      expect((e as OutcomeUnknown).settled).toBe(f === 'html-after-commit')
      expect(portal.requests - before).toBe(1)
    }
    expect(portal.chats).toHaveLength(3)
  })

  it('resends read-only calls after an unknown outcome, and a connection that never opened', async () => {
    const { portal, client } = setup()
    portal.faults = ['html-before-commit', 'connect']
    const r = await client.call('profile')
    expect(r.result).toMatchObject({ ID: '1' })
    expect(portal.requests).toBe(3)
  })

  it('never writes the webhook secret into logs or errors', async () => {
    const { portal, client, lines } = setup()
    portal.faults = [{ status: 401, error: 'NO_AUTH_FOUND', description: 'Wrong authorization data' }]
    const e = await failure(client.call('profile'))
    await client.call('scope')
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.join('\n') + e.message + JSON.stringify(e.appError)).not.toContain('s3cr3tW3bh00k')
    expect(e.appError.code).toBe('AUTH_REJECTED')
  })

  it('says every failure in Russian too: a portal that cannot be reached, a rejected webhook, a portal error', async () => {
    const { portal, client } = setup()
    portal.faults = Array(20).fill('connect')
    const down = await failure(client.call('profile'))
    expect(down.appError).toMatchObject({ code: 'NETWORK', messageRu: expect.stringMatching(/^Не удалось связаться с порталом \(/) })
    portal.faults = [{ status: 401, error: 'NO_AUTH_FOUND', description: 'Wrong authorization data' }]
    expect((await failure(client.call('profile'))).appError.messageRu).toMatch(/^Портал отклонил учётные данные \(NO_AUTH_FOUND\)/)
    portal.faults = [{ status: 400, error: 'SOMETHING_ODD', description: '' }]
    expect((await failure(client.call('profile'))).appError.messageRu).toBe('Портал ответил HTTP 400 SOMETHING_ODD')
  })

  it('batch: reads every section and normalises PHP empty arrays', async () => {
    const { client } = setup()
    const r = await client.batch({ a: ['im.chat.add', { TITLE: 'one' }], b: ['im.chat.add', { TITLE: 'BAD' }] })
    expect(r.result.result).toEqual({ a: 1 })
    expect(r.result.result_error.b).toEqual({ error: 'WRONG_REQUEST', error_description: "Chat can't be created" })
    expect(r.result.result_next).toEqual({})
  })
})

describe('OAuth', () => {
  function oauth(portal: FakePortal, clock: ManualClock, rotated: string[]) {
    return createPortalClient(
      {
        kind: 'oauth',
        portal: 'https://portal.test/',
        tokenUrl: 'https://portal.test/oauth/token/',
        clientId: 'app.1',
        clientSecret: 'client-secret-xyz',
        refreshToken: portal.refreshToken,
        accessToken: 'stale-access-token',
        onRotate: async (t) => {
          rotated.push(t.refreshToken)
        },
      },
      { clock, transport: portal.transport },
    )
  }

  it('refreshes once for concurrent expired_token answers, saves the rotated token, and resends', async () => {
    const clock = new ManualClock(T0, true)
    const portal = new FakePortal(clock)
    const rotated: string[] = []
    const client = oauth(portal, clock, rotated)
    const [a, b, c] = await Promise.all([client.call('profile'), client.call('scope'), client.call('profile')])
    expect(a.result).toMatchObject({ ID: '1' })
    expect(b.result).toEqual(['im', 'user'])
    expect(c.result).toMatchObject({ ID: '1' })
    expect(portal.refreshes).toBe(1)
    expect(rotated).toEqual(['refresh-token-2'])
    // a later expiry refreshes again with the rotated refresh token
    portal.accessToken = 'revoked'
    portal.refreshToken = 'refresh-token-2'
    await client.call('profile')
    expect(portal.refreshes).toBe(2)
    expect(rotated).toEqual(['refresh-token-2', 'refresh-token-3'])
  })

  it('a rejected refresh token is an AUTH_REJECTED failure with the server error kept', async () => {
    const clock = new ManualClock(T0, true)
    const portal = new FakePortal(clock)
    const client = oauth(portal, clock, [])
    portal.refreshToken = 'rotated-elsewhere'
    const e = await failure(client.call('profile'))
    expect(e.appError).toMatchObject({ code: 'AUTH_REJECTED', portalError: 'invalid_grant' })
    expect(e.message).not.toContain('client-secret-xyz')
  })
})

describe('preflight', () => {
  it('reports the user, scopes and what is missing', async () => {
    const { portal, client } = setup()
    portal.scopes = ['user_basic']
    const r = await preflight(client, 'Main')
    expect(r).toMatchObject({ profile: 'Main', portal: 'https://portal.test/', user: { id: 1, name: 'Ada Admin', admin: true }, canCreate: false, canResolveEmails: true })
    expect(r.missing.map((m) => m.scope)).toEqual(['im'])
  })

  it.each([
    [403, 'ACCESS_DENIED', 'REST API is available only on commercial plans', /plan has no REST/],
    [401, 'NO_AUTH_FOUND', 'Wrong authorization data', /does not recognise/],
    [401, 'expired_token', 'The access token provided has expired.', /expired/],
    [403, 'insufficient_scope', 'The request requires higher privileges', /lacks a permission/],
  ])('explains %s %s', async (status, error, description, text) => {
    const { portal, client } = setup()
    portal.faults = [{ status, error, description }]
    const e = await failure(preflight(client))
    expect(e.message).toMatch(text)
    expect(e.appError.portalError).toBe(error)
    expect(e.appError.portalDescription).toBe(description)
  })
})
