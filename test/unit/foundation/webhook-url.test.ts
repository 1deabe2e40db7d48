import { describe, expect, it } from 'vitest'
import { normalisePortalUrl, parseWebhookUrl } from '../../../electron/shared/profile'

describe('parseWebhookUrl', () => {
  it('parses the URL Bitrix24 shows, with or without a method and trailing slash', () => {
    for (const url of ['https://acme.bitrix24.com/rest/1/abc123def456/', 'https://acme.bitrix24.com/rest/1/abc123def456', ' https://acme.bitrix24.com/rest/1/abc123def456/profile.json ']) {
      const r = parseWebhookUrl(url)
      expect(r).toEqual({ ok: true, portal: 'https://acme.bitrix24.com/', userId: 1, secret: 'abc123def456' })
    }
  })

  it('keeps a port (the sandbox runs on one)', () => {
    const r = parseWebhookUrl('https://127.0.0.1:8443/rest/1/s3cr3tKEY/')
    expect(r.ok && r.portal).toBe('https://127.0.0.1:8443/')
  })

  it.each([
    ['', /Paste the webhook URL/],
    ['not a url', /not a URL/],
    ['http://acme.bitrix24.com/rest/1/abc123def456/', /https/],
    ['ftp://acme.bitrix24.com/rest/1/abc123def456/', /Unsupported scheme/],
    ['https://acme.bitrix24.com/rest/abc/abc123def456/', /\/rest\/USER_ID\/SECRET\//],
    ['https://acme.bitrix24.com/marketplace/', /\/rest\/USER_ID\/SECRET\//],
    ['https://acme.bitrix24.com/rest/0/abc123def456/', /positive/],
    ['https://u:p@acme.bitrix24.com/rest/1/abc123def456/', /user name or password/],
  ])('rejects %j with a clear message in both languages', (input, message) => {
    const r = parseWebhookUrl(input)
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.message).toMatch(message)
      expect(r.messageRu.length).toBeGreaterThan(10)
    }
  })

  it('normalises portal addresses typed without a scheme and refuses http', () => {
    expect(normalisePortalUrl('acme.bitrix24.com/whatever')).toEqual({ ok: true, portal: 'https://acme.bitrix24.com/' })
    expect(normalisePortalUrl('http://acme.bitrix24.com').ok).toBe(false)
  })
})
