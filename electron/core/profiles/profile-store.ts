import { join } from 'node:path'
import type { AddProfileInput, Plan, Profile, ProfileSecret, ProfileView } from '../../shared/profile'
import { addProfileSchema, normalisePortalUrl, parseWebhookUrl, SANDBOX_PROFILE } from '../../shared/profile'
import { AppFailure } from '../../shared/result'
import { dataDirFailure, ensureDataDir } from '../datadir'
import { readJsonFile, writeFileAtomic } from '../fsutil'
import { forgetSecret, registerSecret } from '../redact'
import type { SecretStore } from './secret-store'

/** Structurally the portal client's PortalCredentials (core/portal/client.ts), kept here to avoid a cycle. */
export type PortalCredentialsLike =
  | { kind: 'webhook'; url: string }
  | { kind: 'oauth'; portal: string; tokenUrl: string; clientId: string; clientSecret: string; refreshToken: string; accessToken?: string; onRotate?: (t: { accessToken: string; refreshToken: string; expiresAt?: number }) => Promise<void> }

interface ProfilesFile {
  version: 1
  profiles: Profile[]
}

/** The default OAuth token endpoint of Bitrix24 cloud portals (notes §5). */
export const BITRIX_OAUTH_TOKEN_URL = 'https://oauth.bitrix.info/oauth/token/'

/**
 * Portal profiles: the non-secret part in `<data>/profiles.json`, the secret part only in the SecretStore
 * (the OS keychain). Keychain first, file second: when the keychain fails nothing is written at all.
 */
export class ProfileStore {
  readonly file: string
  constructor(readonly dataDir: string, readonly secrets: SecretStore, private readonly now: () => number = Date.now) {
    this.file = join(dataDir, 'profiles.json')
  }

  private async read(): Promise<Profile[]> {
    const data = await readJsonFile<ProfilesFile>(this.file, { version: 1, profiles: [] })
    return Array.isArray(data.profiles) ? data.profiles : []
  }

  private write(profiles: Profile[]): Promise<void> {
    const data: ProfilesFile = { version: 1, profiles }
    return writeFileAtomic(this.file, `${JSON.stringify(data, null, 2)}\n`)
  }

  async list(): Promise<Profile[]> {
    return this.read()
  }

  async get(name: string): Promise<Profile> {
    const p = (await this.read()).find((x) => x.name === name)
    if (!p) throw new AppFailure('NOT_FOUND', `There is no profile named "${name}".`, { messageRu: `Профиль «${name}» не найден.` })
    return p
  }

  /** Profiles as the renderer may see them: whether the keychain holds the secret, never the secret. */
  async views(): Promise<ProfileView[]> {
    const profiles = await this.read()
    return Promise.all(
      profiles.map(async (p): Promise<ProfileView> => {
        try {
          return { ...p, hasSecret: (await this.secrets.get(p.name)) != null }
        } catch (e) {
          return e instanceof AppFailure
            ? { ...p, hasSecret: false, keychainError: e.appError.message, keychainErrorRu: e.appError.messageRu ?? 'Не удалось прочитать хранилище паролей ОС.' }
            : { ...p, hasSecret: false, keychainError: 'The OS keychain could not be read.', keychainErrorRu: 'Не удалось прочитать хранилище паролей ОС.' }
        }
      }),
    )
  }

  async add(input: AddProfileInput): Promise<ProfileView> {
    const parsed = addProfileSchema.safeParse(input)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const field = issue?.path.join('.')
      throw new AppFailure('VALIDATION', issue?.message ?? 'The profile is not valid.', {
        field,
        messageRu: field ? `Профиль заполнен неверно: проверьте поле «${field}».` : 'Профиль заполнен неверно.',
      })
    }
    const data = parsed.data
    const name = data.name
    if (name === SANDBOX_PROFILE) throw new AppFailure('VALIDATION', `"${SANDBOX_PROFILE}" is the built-in sandbox; choose another name.`, { field: 'name', messageRu: `«${SANDBOX_PROFILE}» — встроенная песочница; выберите другое имя.` })
    // A data folder that cannot be written is said so before anything reaches the keychain.
    await ensureDataDir(this.dataDir)
    const existing = await this.read()
    if (existing.some((p) => p.name === name))
      throw new AppFailure('VALIDATION', `A profile named "${name}" already exists. Remove it first or choose another name.`, { field: 'name', messageRu: `Профиль «${name}» уже существует. Удалите его или выберите другое имя.` })

    let profile: Profile
    let secret: ProfileSecret
    if (data.kind === 'webhook') {
      const hook = parseWebhookUrl(data.webhookUrl)
      if (!hook.ok) throw new AppFailure('VALIDATION', hook.message, { field: 'webhookUrl', messageRu: hook.messageRu })
      registerSecret(hook.secret)
      profile = { name, portal: hook.portal, authKind: 'webhook', plan: data.plan, userId: hook.userId, dedupeTagging: data.dedupeTagging, createdAt: new Date(this.now()).toISOString() }
      secret = { kind: 'webhook', secret: hook.secret }
    } else {
      const portal = normalisePortalUrl(data.portal)
      if (!portal.ok) throw new AppFailure('VALIDATION', portal.message, { field: 'portal', messageRu: portal.messageRu })
      registerSecret(data.clientSecret)
      registerSecret(data.refreshToken)
      if (data.tokenUrl && !data.tokenUrl.startsWith('https://')) throw new AppFailure('VALIDATION', 'The OAuth token URL must use https://', { messageRu: 'Адрес получения токена OAuth должен начинаться с https://', field: 'tokenUrl' })
      profile = { name, portal: portal.portal, authKind: 'oauth', plan: data.plan, userId: null, clientId: data.clientId, ...(data.tokenUrl ? { tokenUrl: data.tokenUrl } : {}), dedupeTagging: data.dedupeTagging, createdAt: new Date(this.now()).toISOString() }
      secret = { kind: 'oauth', clientSecret: data.clientSecret, refreshToken: data.refreshToken }
    }

    // Keychain first: if it is unavailable this throws KEYCHAIN_UNAVAILABLE and nothing is written.
    try {
      await this.secrets.set(name, JSON.stringify(secret))
    } catch (e) {
      for (const v of secretValues(secret)) forgetSecret(v)
      throw e
    }
    try {
      await this.write([...existing, profile])
    } catch (e) {
      await this.secrets.delete(name).catch(() => false)
      for (const v of secretValues(secret)) forgetSecret(v)
      throw dataDirFailure(e, this.dataDir) ?? new AppFailure('INTERNAL', `The profile could not be saved in ${this.dataDir} (${(e as NodeJS.ErrnoException).code ?? 'write failed'}).`)
    }
    return { ...profile, hasSecret: true }
  }

  async update(name: string, patch: { plan?: Plan; dedupeTagging?: boolean; userId?: number | null; userName?: string }): Promise<ProfileView> {
    const profiles = await this.read()
    const i = profiles.findIndex((p) => p.name === name)
    const current = profiles[i]
    if (!current) throw new AppFailure('NOT_FOUND', `There is no profile named "${name}".`, { messageRu: `Профиль «${name}» не найден.` })
    const next: Profile = { ...current, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) }
    profiles[i] = next
    await this.write(profiles)
    const hasSecret = (await this.secrets.get(name).catch(() => null)) != null
    return { ...next, hasSecret }
  }

  /**
   * Removes the profile and its keychain entry. The keychain entry goes first so no orphaned secret stays behind;
   * its values are then released from redact()'s registry.
   */
  async remove(name: string): Promise<void> {
    const profiles = await this.read()
    if (!profiles.some((p) => p.name === name)) throw new AppFailure('NOT_FOUND', `There is no profile named "${name}".`, { messageRu: `Профиль «${name}» не найден.` })
    const old = await this.storedSecret(name)
    await this.secrets.delete(name)
    await this.write(profiles.filter((p) => p.name !== name))
    for (const s of secretValues(old)) forgetSecret(s)
  }

  /** The keychain entry as stored, or null when there is none or it cannot be read or parsed. */
  private async storedSecret(name: string): Promise<ProfileSecret | null> {
    try {
      const raw = await this.secrets.get(name)
      return raw == null ? null : (JSON.parse(raw) as ProfileSecret)
    } catch {
      return null
    }
  }

  async getSecret(name: string): Promise<ProfileSecret> {
    const raw = await this.secrets.get(name)
    if (raw == null)
      throw new AppFailure('AUTH_MISSING', `The keychain has no credential for profile "${name}". Remove the profile and add it again.`, { messageRu: `В хранилище ключей нет учётных данных профиля «${name}». Удалите профиль и добавьте его заново.` })
    let secret: ProfileSecret
    try {
      secret = JSON.parse(raw) as ProfileSecret
    } catch {
      throw new AppFailure('AUTH_MISSING', `The keychain entry of profile "${name}" is damaged. Remove the profile and add it again.`, { messageRu: `Запись профиля «${name}» в хранилище паролей повреждена. Удалите профиль и добавьте его снова.` })
    }
    if (secret.kind === 'webhook') registerSecret(secret.secret)
    else {
      registerSecret(secret.clientSecret)
      registerSecret(secret.refreshToken)
      registerSecret(secret.accessToken)
    }
    return secret
  }

  /** Saves rotated OAuth tokens back to the keychain; the values it replaces are released from redact(). */
  async setSecret(name: string, secret: ProfileSecret): Promise<void> {
    const old = await this.storedSecret(name)
    await this.secrets.set(name, JSON.stringify(secret))
    const kept = new Set(secretValues(secret))
    for (const s of secretValues(old)) if (!kept.has(s)) forgetSecret(s)
  }

  /**
   * Portal credentials for the client (main process / CLI only). OAuth tokens rotated by the portal are saved
   * back to the keychain through `onRotate` before they are used.
   */
  async credentials(name: string): Promise<PortalCredentialsLike> {
    const p = await this.get(name)
    const s = await this.getSecret(name)
    if (p.authKind === 'webhook' && s.kind === 'webhook') return { kind: 'webhook', url: await this.webhookUrl(name) }
    if (p.authKind === 'oauth' && s.kind === 'oauth' && p.clientId) {
      return {
        kind: 'oauth',
        portal: p.portal,
        tokenUrl: p.tokenUrl ?? BITRIX_OAUTH_TOKEN_URL,
        clientId: p.clientId,
        clientSecret: s.clientSecret,
        refreshToken: s.refreshToken,
        ...(s.accessToken ? { accessToken: s.accessToken } : {}),
        onRotate: async (tokens) => {
          registerSecret(tokens.accessToken)
          registerSecret(tokens.refreshToken)
          await this.setSecret(name, { kind: 'oauth', clientSecret: s.clientSecret, refreshToken: tokens.refreshToken, accessToken: tokens.accessToken, ...(tokens.expiresAt ? { accessTokenExpiresAt: tokens.expiresAt } : {}) })
        },
      }
    }
    throw new AppFailure('AUTH_MISSING', `The keychain entry of profile "${name}" does not match its kind. Remove the profile and add it again.`, { messageRu: `Запись профиля «${name}» в хранилище паролей не соответствует его типу. Удалите профиль и добавьте его снова.` })
  }

  /** The full webhook URL of a webhook profile (main process only; never sent to the renderer or logged). */
  async webhookUrl(name: string): Promise<string> {
    const p = await this.get(name)
    const s = await this.getSecret(name)
    if (p.authKind !== 'webhook' || s.kind !== 'webhook' || p.userId == null) throw new AppFailure('VALIDATION', `Profile "${name}" is not a webhook profile.`, { messageRu: `Профиль «${name}» подключён не через вебхук.` })
    return `${p.portal}rest/${p.userId}/${s.secret}/`
  }
}

/** Every secret string of a keychain entry (what registerSecret was given for it). */
function secretValues(s: ProfileSecret | null): string[] {
  if (!s) return []
  return (s.kind === 'webhook' ? [s.secret] : [s.clientSecret, s.refreshToken, s.accessToken]).filter((v): v is string => typeof v === 'string' && v.length > 0)
}
