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
    const unexpected = toErrorResult(new Error(`internal ${TOKEN}`))
    if (!unexpected.ok) {
      expect(unexpected.error.code).toBe('INTERNAL')
      expect(unexpected.error.message).not.toContain(TOKEN)
    }
  })
})
