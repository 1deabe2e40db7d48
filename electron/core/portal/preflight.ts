/**
 * Preflight (Client spec §1): `profile` proves the credential works, `scope` says what it may do.
 * The tool needs `im` to create chats and `user` or `user_basic` to resolve e-mails.
 */
import { AppFailure } from '../../shared/result'
import type { PreflightReport } from '../../shared/ipc'
import type { RestCaller } from './types'

interface ProfileResult {
  ID?: string | number
  ADMIN?: boolean
  NAME?: string
  LAST_NAME?: string
}

/** Turns the portal's answer to a preflight call into a message a person can act on. */
export function explainPreflightFailure(e: unknown): AppFailure {
  if (!(e instanceof AppFailure)) return new AppFailure('INTERNAL', 'The connection check failed unexpectedly.')
  const { portalError, portalDescription } = e.appError
  const extra = { portalError, portalDescription }
  switch (portalError) {
    case 'ACCESS_DENIED':
      return new AppFailure('FORBIDDEN', "This portal's plan has no REST API (ACCESS_DENIED). REST needs a commercial plan with a Market subscription, or a trial.", { ...extra, messageRu: 'На тарифе этого портала нет REST API (ACCESS_DENIED). Нужен коммерческий тариф с подпиской Маркета или пробный период.' })
    case 'insufficient_scope':
      return new AppFailure('SCOPE_MISSING', 'The webhook or app lacks a permission the check needs (insufficient_scope). Edit the webhook and grant "im" and "user".', { ...extra, messageRu: 'У вебхука или приложения нет нужного права (insufficient_scope). Откройте вебхук и выдайте права «im» и «user».' })
    case 'NO_AUTH_FOUND':
      return new AppFailure('AUTH_REJECTED', 'The portal does not recognise this credential (NO_AUTH_FOUND): the webhook was deleted, its secret is wrong, or the token is invalid.', { ...extra, messageRu: 'Портал не узнаёт эти учётные данные (NO_AUTH_FOUND): вебхук удалён, ключ неверен или токен недействителен.' })
    case 'expired_token':
    case 'invalid_token':
      return new AppFailure('AUTH_REJECTED', `The credential has expired (${portalError}). For a webhook, check its expiry date in Developer resources; for an app, reconnect the profile.`, { ...extra, messageRu: `Срок действия учётных данных истёк (${portalError}). Для вебхука проверьте дату окончания в «Ресурсах для разработчиков», для приложения переподключите профиль.` })
    case 'INVALID_CREDENTIALS':
      return new AppFailure('AUTH_REJECTED', 'The user behind this credential lacks the rights for this (INVALID_CREDENTIALS).', { ...extra, messageRu: 'У пользователя этих учётных данных нет прав (INVALID_CREDENTIALS).' })
    default:
      return e
  }
}

/**
 * Runs `profile` and `scope`. Throws AppFailure with a clear message when the credential does not work; `signal`
 * (a CLI's Ctrl+C) stops it at once.
 */
export async function preflight(caller: RestCaller, profileName = '', opts: { signal?: AbortSignal } = {}): Promise<PreflightReport> {
  let me: ProfileResult
  let scopes: string[]
  try {
    me = (await caller.call<ProfileResult>('profile', {}, { signal: opts.signal })).result ?? {}
    const s = (await caller.call<unknown>('scope', {}, { signal: opts.signal })).result
    scopes = Array.isArray(s) ? s.map(String) : []
  } catch (e) {
    if (opts.signal?.aborted) throw e
    throw explainPreflightFailure(e)
  }
  const missing: PreflightReport['missing'] = []
  const canCreate = scopes.includes('im')
  const canResolveEmails = scopes.includes('user') || scopes.includes('user_basic')
  if (!canCreate) missing.push({ scope: 'im', why: 'Needed to create chats (im.chat.add). Without it nothing can be created.', whyRu: 'Нужно для создания чатов (im.chat.add). Без него ничего создать нельзя.' })
  if (!canResolveEmails) missing.push({ scope: 'user', why: 'Needed to find members by e-mail ("user" or "user_basic"). Without it, use user ids in the sheet.', whyRu: 'Нужно, чтобы находить участников по e-mail («user» или «user_basic»). Без него указывайте в таблице ID пользователей.' })
  const name = [me.NAME, me.LAST_NAME].filter(Boolean).join(' ').trim()
  return {
    profile: profileName,
    portal: caller.portal,
    user: { id: Number(me.ID ?? 0), name: name || `User ${me.ID ?? '?'}`, admin: me.ADMIN === true },
    scopes,
    missing,
    canCreate,
    canResolveEmails,
  }
}
