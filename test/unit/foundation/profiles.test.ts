import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ProfileStore } from '../../../electron/core/profiles/profile-store'
import { MemorySecretStore } from '../../helpers/memory-secret-store'
import { redact } from '../../../electron/core/redact'
import { AppFailure } from '../../../electron/shared/result'

const SECRET = 'x7k2m9p4q8r1'
const HOOK = `https://acme.bitrix24.com/rest/17/${SECRET}/`

async function allFileText(dir: string): Promise<string> {
  const names = await readdir(dir, { recursive: true })
  const texts = await Promise.all(names.map((n) => readFile(join(dir, String(n)), 'utf8').catch(() => '')))
  return texts.join('\n')
}

describe('ProfileStore', () => {
  let dir: string
  let secrets: MemorySecretStore
  let store: ProfileStore
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'b24-profiles-'))
    secrets = new MemorySecretStore()
    store = new ProfileStore(dir, secrets)
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('stores the webhook secret only in the secret store; the data folder has portal, user and plan', async () => {
    const view = await store.add({ kind: 'webhook', name: 'Main', webhookUrl: HOOK, plan: 'enterprise' })
    expect(view).toMatchObject({ name: 'Main', portal: 'https://acme.bitrix24.com/', userId: 17, plan: 'enterprise', authKind: 'webhook', hasSecret: true })
    expect(view).not.toHaveProperty('secret')
    expect(JSON.stringify(view)).not.toContain(SECRET)
    expect(await allFileText(dir)).not.toContain(SECRET)
    expect(await allFileText(dir)).toContain('acme.bitrix24.com')
    expect(secrets.entries.get('Main')).toContain(SECRET)
    expect(await store.webhookUrl('Main')).toBe(HOOK)
  })

  it('stores OAuth client secret and refresh token only in the secret store', async () => {
    await store.add({ kind: 'oauth', name: 'App', portal: 'acme.bitrix24.com', clientId: 'local.abc', clientSecret: 'clientSECRETvalue', refreshToken: 'refreshTOKENvalue' })
    const files = await allFileText(dir)
    expect(files).toContain('local.abc')
    expect(files).not.toContain('clientSECRETvalue')
    expect(files).not.toContain('refreshTOKENvalue')
    expect(await store.getSecret('App')).toEqual({ kind: 'oauth', clientSecret: 'clientSECRETvalue', refreshToken: 'refreshTOKENvalue' })
  })

  it('stores nothing at all when the keychain is unavailable, and says what is missing', async () => {
    secrets.unavailable = 'The OS keychain is not available: no Secret Service is running.'
    const err = await store.add({ kind: 'webhook', name: 'Main', webhookUrl: HOOK }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AppFailure)
    expect((err as AppFailure).appError).toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE', message: expect.stringMatching(/no Secret Service/) })
    expect(await readdir(dir)).toEqual([])
    secrets.unavailable = null
    expect(await store.list()).toEqual([])
  })

  it('rejects http and malformed webhook URLs before touching the keychain', async () => {
    for (const url of ['http://acme.bitrix24.com/rest/1/abcdef123/', 'https://acme.bitrix24.com/nope']) {
      const err = (await store.add({ kind: 'webhook', name: 'X', webhookUrl: url }).catch((e: unknown) => e)) as AppFailure
      expect(err.appError.code).toBe('VALIDATION')
      expect(err.appError.field).toBe('webhookUrl')
    }
    expect(secrets.entries.size).toBe(0)
  })

  it('refuses duplicate names and the built-in sandbox name', async () => {
    await store.add({ kind: 'webhook', name: 'Main', webhookUrl: HOOK })
    await expect(store.add({ kind: 'webhook', name: 'Main', webhookUrl: HOOK })).rejects.toThrow(/already exists/)
    await expect(store.add({ kind: 'webhook', name: 'Sandbox portal', webhookUrl: HOOK })).rejects.toThrow(/built-in sandbox/)
  })

  it('releases secrets from redaction when the profile is removed or its secret is replaced', async () => {
    const free = (s: string): string => redact(`value ${s} here`)
    await store.add({ kind: 'webhook', name: 'Main', webhookUrl: HOOK })
    expect(free(SECRET)).toBe('value *** here')
    await store.remove('Main')
    expect(free(SECRET)).toBe(`value ${SECRET} here`)

    await store.add({ kind: 'oauth', name: 'App', portal: 'acme.bitrix24.com', clientId: 'local.abc', clientSecret: 'clientSECRETkept', refreshToken: 'refreshTOKENold1' })
    await store.getSecret('App')
    expect(free('refreshTOKENold1')).toBe('value *** here')
    await store.setSecret('App', { kind: 'oauth', clientSecret: 'clientSECRETkept', refreshToken: 'refreshTOKENnew2', accessToken: 'accessTOKENnew2' })
    await store.getSecret('App')
    expect(free('refreshTOKENold1')).toBe('value refreshTOKENold1 here')
    expect(free('refreshTOKENnew2')).toBe('value *** here')
    expect(free('clientSECRETkept')).toBe('value *** here')
    await store.remove('App')
    for (const s of ['clientSECRETkept', 'refreshTOKENnew2', 'accessTOKENnew2']) expect(free(s)).toBe(`value ${s} here`)

    // A profile the keychain refused leaves nothing registered either.
    secrets.unavailable = 'The OS keychain is not available.'
    await store.add({ kind: 'webhook', name: 'Refused', webhookUrl: 'https://acme.bitrix24.com/rest/3/refusedSecret99/' }).catch(() => undefined)
    expect(free('refusedSecret99')).toBe('value refusedSecret99 here')
  })

  it('a profile whose keychain cannot be read lists with the reason in both languages', async () => {
    await store.add({ kind: 'webhook', name: 'Main', webhookUrl: HOOK })
    secrets.unavailable = 'The OS keychain is locked.'
    secrets.unavailableRu = 'Хранилище паролей ОС заблокировано.'
    expect((await store.views())[0]).toMatchObject({ name: 'Main', hasSecret: false, keychainError: 'The OS keychain is locked.', keychainErrorRu: 'Хранилище паролей ОС заблокировано.' })
    secrets.unavailableRu = null
    expect((await store.views())[0]).toMatchObject({ keychainErrorRu: 'Не удалось прочитать хранилище паролей ОС.' })
    secrets.unavailable = null
  })

  it('remove deletes the keychain entry too', async () => {
    await store.add({ kind: 'webhook', name: 'Main', webhookUrl: HOOK })
    await store.remove('Main')
    expect(secrets.entries.size).toBe(0)
    expect(await store.list()).toEqual([])
    await expect(store.remove('Main')).rejects.toThrow(/no profile named/)
  })

  it('reports a missing keychain entry as AUTH_MISSING with what to do', async () => {
    await store.add({ kind: 'webhook', name: 'Main', webhookUrl: HOOK })
    secrets.entries.clear()
    const views = await store.views()
    expect(views[0]?.hasSecret).toBe(false)
    await expect(store.getSecret('Main')).rejects.toMatchObject({ appError: { code: 'AUTH_MISSING' } })
  })
})
