/** Turns errors, problems and blockers into text in the current language. */
import { useI18n } from 'vue-i18n'
import { computed } from 'vue'
import type { AppError } from '../../../electron/shared/result'
import type { Problem } from '../../../electron/shared/sheet'
import { toAppError } from '../api'
import { errorText, problemText } from '../format'
import type { Translate } from '../format'
import type { Lang } from '../i18n'
import type { Blocker } from '../stores/profiles'
import { SANDBOX_PROFILE } from '../../../electron/shared/profile'

export function useText() {
  const { t, locale } = useI18n()
  const lang = computed<Lang>(() => (locale.value === 'ru' ? 'ru' : 'en'))
  const tr: Translate = (key, params) => t(key, params ?? {})
  return {
    t: tr,
    lang,
    /** Any caught value → safe text in the current language, with what to do next. */
    err: (e: unknown): string => errorText(isAppError(e) ? e : toAppError(e), lang.value, tr),
    problem: (p: Pick<Problem, 'message' | 'messageRu'>): string => problemText(p, lang.value),
    /** A profile's name as shown: the built-in sandbox's name (an identifier) in the UI language. */
    profileName: (name: string): string => (name === SANDBOX_PROFILE ? tr('connections.sandbox.title') : name),
    blocker: (b: Blocker): string => {
      const params: Record<string, unknown> = { ...(b.params ?? {}) }
      if (isAppError(params.error)) params.reason = errorText(params.error, lang.value, tr)
      delete params.error
      return tr(b.key, params)
    },
  }
}

/**
 * An AppError as data (what the backend sends). A thrown `UiError` is not one, though it has a code and a message:
 * the AppError it carries (with its Russian text and the portal's own words) is taken by `toAppError`.
 */
export function isAppError(x: unknown): x is AppError {
  return typeof x === 'object' && x !== null && !(x instanceof Error) && 'code' in x && 'message' in x && typeof (x as AppError).message === 'string'
}
