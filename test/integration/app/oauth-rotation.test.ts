import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPortalClient } from '../../../electron/core/portal/client'
import { ProfileStore } from '../../../electron/core/profiles/profile-store'
import { KeytarSecretStore } from '../../../electron/keychain/keytar-store'
import { startSandbox } from '../../../electron/sandbox'
import type { Sandbox } from '../../../electron/sandbox'

/** The real OS keychain (scripts/with-keyring.sh provides one), under a service name of this run only. */
const KEYCHAIN = `b24-chat-admin-test-oauth-${process.pid}`

// An OAuth profile end to end: keychain → client → expired token → one refresh → rotated tokens back in the keychain.
describe('OAuth profile token rotation', () => {
  let sb: Sandbox
  let dir: string
  beforeAll(async () => {
    sb = await startSandbox({ latencyMs: 0 })
    dir = await mkdtemp(join(tmpdir(), 'b24-oauth-'))
  })
  afterAll(async () => {
    await sb.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('refreshes once on expired_token and saves the rotated refresh token to the OS keychain, never to files', async () => {
    const secrets = new KeytarSecretStore(KEYCHAIN)
    const store = new ProfileStore(dir, secrets)
    const { tokenUrl, clientId, clientSecret, refreshToken } = sb.oauth
    await store.add({ kind: 'oauth', name: 'App', portal: sb.origin, clientId, clientSecret, refreshToken, tokenUrl })

    const client = createPortalClient(await store.credentials('App'), { ca: sb.caPem, plan: 'standard' })
    try {
      // No access token stored yet: the first call must obtain one; then it expires and is refreshed again.
      expect((await client.call<{ ID: string }>('profile')).result.ID).toBe('1')
      const afterFirst = await store.getSecret('App')
      expect(afterFirst.kind === 'oauth' && afterFirst.refreshToken).not.toBe(refreshToken)

      sb.expireAccessTokens()
      const [a, b] = await Promise.all([client.call('server.time'), client.call('scope')])
      expect(a.result).toBeTruthy()
      expect(b.result).toEqual(expect.arrayContaining(['im']))
      const afterSecond = await store.getSecret('App')
      expect(afterSecond.kind).toBe('oauth')
      if (afterSecond.kind === 'oauth' && afterFirst.kind === 'oauth') {
        expect(afterSecond.refreshToken).not.toBe(afterFirst.refreshToken)
        // The rotated token is the one the portal now accepts.
        expect(afterSecond.refreshToken).toBe(sb.oauth.refreshToken)
      }
      expect(client.stats.refreshes).toBe(2) // one per expiry, even with two calls racing
    } finally {
      client.close()
    }
    const files = await readdir(dir, { recursive: true })
    const text = (await Promise.all(files.map((f) => readFile(join(dir, String(f)), 'utf8').catch(() => '')))).join('')
    expect(text).not.toContain(sb.oauth.refreshToken)
    expect(text).not.toContain(clientSecret)
    // The rotated tokens live in the real keychain entry, and removing the profile removes it.
    expect(await secrets.get('App')).toContain(sb.oauth.refreshToken)
    await store.remove('App')
    expect(await secrets.get('App')).toBeNull()
  })
})
