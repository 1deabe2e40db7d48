import { describe, expect, it } from 'vitest'
import { createLogger, redact, redactValue, registerSecret } from '../../../electron/core/redact'
import { toErrorResult } from '../../../electron/core/app/errors'
import { AppFailure } from '../../../electron/shared/result'

// Canary values: if any of these ever shows up in output, redaction is broken.
const HOOK_SECRET = 'canaryHookSecret9x7'
const TOKEN = 'canaryAccessTokenQ1w2e3'

describe('redact()', () => {
  it('masks the secret segment of a webhook URL but keeps the portal and user visible', () => {
    const out = redact(`POST https://acme.bitrix24.com/rest/17/${HOOK_SECRET}/im.chat.add failed`)
    expect(out).not.toContain(HOOK_SECRET)
    expect(out).toContain('https://acme.bitrix24.com/rest/17/***/im.chat.add')
  })

  it('masks every occurrence in one string, not only the first (two webhooks, two tokens of each kind)', () => {
    const two = `retry https://a.bitrix24.com/rest/1/${HOOK_SECRET}/x then https://b.bitrix24.com/rest/2/${HOOK_SECRET}Two/y`
    expect(redact(two)).toBe('retry https://a.bitrix24.com/rest/1/***/x then https://b.bitrix24.com/rest/2/***/y')
    const params = redact(`?auth=${TOKEN}&x=1 and ?auth=${TOKEN}2&refresh_token=${TOKEN}3`)
    expect(params).not.toContain(TOKEN)
    const json = redact(JSON.stringify([{ access_token: TOKEN }, { access_token: `${TOKEN}2` }]))
    expect(json).not.toContain(TOKEN)
    const bearer = redact(`Authorization: Bearer ${TOKEN}\nAuthorization: Bearer ${TOKEN}2`)
    expect(bearer).not.toContain(TOKEN)
  })

  it('masks auth= and OAuth parameters in query strings and form bodies', () => {
    const out = redact(`/rest/im.chat.add?auth=${TOKEN}&TITLE=x refresh_token=${TOKEN}&client_secret=${TOKEN}`)
    expect(out).not.toContain(TOKEN)
    expect(out).toContain('TITLE=x')
  })

  it('masks token fields inside JSON and Bearer headers', () => {
    const body = JSON.stringify({ access_token: TOKEN, refresh_token: TOKEN, auth: TOKEN, TITLE: 'keep me' })
    const out = redact(`${body} Authorization: Bearer ${TOKEN}`)
    expect(out).not.toContain(TOKEN)
    expect(out).toContain('keep me')
  })

  it('masks registered secrets wherever they appear, even in free text', () => {
    registerSecret('zzTopSecretValue42')
    expect(redact('the value zzTopSecretValue42 leaked')).toBe('the value *** leaked')
    expect(redactValue(new Error('boom zzTopSecretValue42'))).not.toContain('zzTopSecretValue42')
  })

  it('is applied by the logger to every line', () => {
    const lines: string[] = []
    const log = createLogger('test', (l) => lines.push(l))
    log.error(`calling https://p.example/rest/1/${HOOK_SECRET}/profile`, { auth: TOKEN })
    expect(lines).toHaveLength(1)
    expect(lines[0]).not.toContain(HOOK_SECRET)
    expect(lines[0]).not.toContain(TOKEN)
  })

  it('is applied to error texts that cross a boundary', () => {
    const r = toErrorResult(new AppFailure('NETWORK', `connect ECONNRESET https://p.example/rest/3/${HOOK_SECRET}/batch`))
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.message).not.toContain(HOOK_SECRET)
    // Every text the renderer shows: the Russian rendering and the portal's own description too.
    const both = toErrorResult(
      new AppFailure('PORTAL_ERROR', 'The portal refused', { messageRu: `Портал отказал: https://p.example/rest/3/${HOOK_SECRET}/batch`, portalError: 'X', portalDescription: `echo auth=${TOKEN}` }),
    )
    expect(JSON.stringify(both)).not.toContain(HOOK_SECRET)
    expect(JSON.stringify(both)).not.toContain(TOKEN)
    if (!both.ok) expect(both.error).toMatchObject({ code: 'PORTAL_ERROR', portalError: 'X', messageRu: expect.stringContaining('Портал отказал') })
    const unexpected = toErrorResult(new Error(`internal ${TOKEN}`))
    if (!unexpected.ok) {
      expect(unexpected.error.code).toBe('INTERNAL')
      expect(unexpected.error.message).not.toContain(TOKEN)
    }
  })
})

describe('job events leaving the backend', () => {
  it('have their error texts redacted', async () => {
    const { redactJobEvent } = await import('../../../electron/core/app/backend')
    const failed = redactJobEvent({ type: 'failed', jobId: 'j', seq: 3, at: 0, error: { code: 'NETWORK', message: `lost https://p.example/rest/1/${HOOK_SECRET}/batch`, portalDescription: `auth=${TOKEN}` }, progress: { counts: { planned: 0, sending: 0, created: 0, failed: 0, 'needs-checking': 0, skipped: 0 }, total: 0, chatsPerSec: 0, etaSec: null, pacing: { kind: 'idle' } } })
    expect(JSON.stringify(failed)).not.toContain(HOOK_SECRET)
    expect(JSON.stringify(failed)).not.toContain(TOKEN)
    const rows = redactJobEvent({ type: 'rows', jobId: 'j', seq: 4, at: 0, rows: [{ rowKey: 'r1', line: 2, state: 'failed', at: 0, errorCode: 'X', errorMessage: `refresh_token=${TOKEN}` }] })
    expect(JSON.stringify(rows)).not.toContain(TOKEN)
    expect(rows.type === 'rows' && rows.rows[0]?.errorCode).toBe('X')
  })
})
