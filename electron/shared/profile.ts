import { z } from 'zod'

export const PLANS = ['standard', 'enterprise'] as const
export type Plan = (typeof PLANS)[number]
export const AUTH_KINDS = ['webhook', 'oauth', 'sandbox'] as const
export type AuthKind = (typeof AUTH_KINDS)[number]

/** The built-in sandbox profile's fixed name. It needs no secret: the app starts the sandbox in-process. */
export const SANDBOX_PROFILE = 'Sandbox portal'

/** The non-secret part of a profile: stored in the data folder and safe to show in the renderer. */
export interface Profile {
  name: string
  /** https://portal.example/ (origin + trailing slash). For the sandbox, filled in when it starts. */
  portal: string
  authKind: AuthKind
  plan: Plan
  /** The Bitrix24 user the credential acts as (webhook: from the URL; OAuth/sandbox: from `profile`). */
  userId: number | null
  userName?: string
  /** OAuth only: the app's client id (not a secret on its own). */
  clientId?: string
  /** OAuth only: the token endpoint (default https://oauth.bitrix.info/oauth/token/; the sandbox has its own). */
  tokenUrl?: string
  /** Tag each chat with a tool-specific ENTITY_TYPE/ENTITY_ID so unknown outcomes can be resolved. */
  dedupeTagging: boolean
  createdAt: string
}

/** What the renderer sees of a profile: never the secret, only whether the keychain has it. */
export interface ProfileView extends Profile {
  hasSecret: boolean
  keychainError?: string
  /** The same in Russian. */
  keychainErrorRu?: string
}

/** The secret part, kept only in the OS keychain. */
export type ProfileSecret =
  | { kind: 'webhook'; secret: string }
  | { kind: 'oauth'; clientSecret: string; refreshToken: string; accessToken?: string; accessTokenExpiresAt?: number }

export const profileNameSchema = z
  .string()
  .trim()
  .min(1, 'Give the profile a name.')
  .max(80, 'A profile name is at most 80 characters.')
  .refine((s) => !/[\\/\0]/.test(s), 'A profile name cannot contain / or \\.')

export const planSchema = z.enum(PLANS)

export const addWebhookProfileSchema = z.object({
  kind: z.literal('webhook'),
  name: profileNameSchema,
  webhookUrl: z.string().min(1).max(2048),
  plan: planSchema.default('standard'),
  dedupeTagging: z.boolean().default(true),
})

export const addOAuthProfileSchema = z.object({
  kind: z.literal('oauth'),
  name: profileNameSchema,
  portal: z.string().min(1).max(2048),
  clientId: z.string().trim().min(1).max(256),
  clientSecret: z.string().min(1).max(512),
  refreshToken: z.string().min(1).max(1024),
  tokenUrl: z.string().url().max(2048).optional(),
  plan: planSchema.default('standard'),
  dedupeTagging: z.boolean().default(true),
})

export const addProfileSchema = z.discriminatedUnion('kind', [addWebhookProfileSchema, addOAuthProfileSchema])
export type AddProfileInput = z.input<typeof addProfileSchema>

export type WebhookParse =
  | { ok: true; portal: string; userId: number; secret: string }
  | { ok: false; message: string; messageRu: string }

/**
 * Parses the inbound-webhook URL Bitrix24 shows (https://PORTAL/rest/USER_ID/SECRET/, optionally followed by a
 * method name). Pure: used by the renderer for instant feedback and by main/CLI before anything is stored.
 */
export function parseWebhookUrl(input: string): WebhookParse {
  const text = input.trim()
  const bad = (message: string, messageRu: string): WebhookParse => ({ ok: false, message, messageRu })
  if (!text) return bad('Paste the webhook URL that Bitrix24 shows.', 'Вставьте URL вебхука, который показывает Битрикс24.')
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return bad('This is not a URL. Expected https://your-portal/rest/USER_ID/SECRET/', 'Это не URL. Ожидается https://ваш-портал/rest/ID_ПОЛЬЗОВАТЕЛЯ/КЛЮЧ/')
  }
  if (url.protocol === 'http:') return bad('The webhook must use https://. Bitrix24 rejects plain http (INVALID_REQUEST "Https required").', 'Вебхук должен начинаться с https://. Битрикс24 отклоняет http (INVALID_REQUEST "Https required").')
  if (url.protocol !== 'https:') return bad(`Unsupported scheme "${url.protocol}". The webhook must start with https://`, `Неподдерживаемая схема "${url.protocol}". Вебхук должен начинаться с https://`)
  if (url.username || url.password) return bad('The webhook URL must not contain a user name or password.', 'URL вебхука не должен содержать имя пользователя или пароль.')
  const m = /^\/rest\/(\d+)\/([A-Za-z0-9_]+)(?:\/[A-Za-z0-9_.]*)?\/?$/.exec(url.pathname)
  if (!m) return bad('Expected the path /rest/USER_ID/SECRET/ (copy the whole URL from Developer resources → Inbound webhook).', 'Ожидается путь /rest/ID_ПОЛЬЗОВАТЕЛЯ/КЛЮЧ/ (скопируйте URL целиком: Ресурсы для разработчиков → Входящий вебхук).')
  const userId = Number(m[1])
  if (!Number.isSafeInteger(userId) || userId < 1) return bad('The user id in the webhook URL must be a positive number.', 'ID пользователя в URL вебхука должен быть положительным числом.')
  const secret = m[2] ?? ''
  if (secret.length < 4) return bad('The webhook secret looks too short. Copy the whole URL.', 'Ключ вебхука слишком короткий. Скопируйте URL целиком.')
  return { ok: true, portal: `${url.origin}/`, userId, secret }
}

/** Normalises a portal address typed by a person to https://host[:port]/ or explains what is wrong. */
export function normalisePortalUrl(input: string): { ok: true; portal: string } | { ok: false; message: string; messageRu: string } {
  let text = input.trim()
  if (!text) return { ok: false, message: 'Enter the portal address, e.g. https://company.bitrix24.com', messageRu: 'Введите адрес портала, например https://company.bitrix24.ru' }
  if (!/^[a-z]+:\/\//i.test(text)) text = `https://${text}`
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return { ok: false, message: 'This is not a valid portal address.', messageRu: 'Это некорректный адрес портала.' }
  }
  if (url.protocol !== 'https:') return { ok: false, message: 'The portal address must use https://', messageRu: 'Адрес портала должен начинаться с https://' }
  return { ok: true, portal: `${url.origin}/` }
}
