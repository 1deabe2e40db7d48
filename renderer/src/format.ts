/**
 * Presentation helpers: durations, rates, clock times and the pacing state in words. Pure functions of their
 * inputs (a translate function, a locale, optionally a time zone) so tests are exact.
 */
import type { PacingFlow, PacingState, RowState } from '../../electron/shared/jobs'
import type { AppError } from '../../electron/shared/result'
import type { Problem } from '../../electron/shared/sheet'
import type { Lang } from './i18n'

export type Translate = (key: string, params?: Record<string, unknown>) => string

/** "45 s", "3 min 05 s", "1 h 02 min"; `null` (unknown) → "calculating…". */
export function formatEta(sec: number | null, t: Translate): string {
  if (sec === null || !Number.isFinite(sec) || sec < 0) return t('format.etaUnknown')
  const s = Math.round(sec)
  if (s < 60) return t('format.seconds', { s })
  const pad = (n: number): string => String(n).padStart(2, '0')
  if (s < 3600) return t('format.minutesSeconds', { m: Math.floor(s / 60), s: pad(s % 60) })
  return t('format.hoursMinutes', { h: Math.floor(s / 3600), m: pad(Math.floor((s % 3600) / 60)) })
}

export function formatNumber(n: number, locale: Lang, fractionDigits = 0): string {
  return new Intl.NumberFormat(locale, { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits }).format(n)
}

/** "4.2 chats/s"; below 1 per second one decimal is kept, "—" before anything is known. */
export function formatRate(perSec: number, t: Translate, locale: Lang): string {
  if (!Number.isFinite(perSec) || perSec <= 0) return t('format.rateNone')
  return t('format.rate', { n: formatNumber(perSec, locale, perSec >= 100 ? 0 : 1) })
}

/** "12:03:10", 24-hour clock. */
export function formatClock(ms: number, locale: Lang, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZone }).format(new Date(ms))
}

export function formatDateTime(ms: number, locale: Lang, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(new Date(ms))
}

/** The concurrency and the budget behind the pace: "3 requests in flight (up to 4), operating budget 61 % used". */
export function flowText(f: PacingFlow | undefined, t: Translate): string {
  if (!f) return ''
  const parts: string[] = []
  if (f.inFlight > 0) parts.push(t(f.inFlight === 1 ? 'pacingFlow.inFlightOne' : 'pacingFlow.inFlight', { n: f.inFlight, limit: f.limit }))
  if (f.budgetUsedPct !== null) parts.push(t('pacingFlow.budget', { pct: f.budgetUsedPct }))
  return parts.join(', ')
}

/**
 * What holds the engine back, in words: "waiting for the operating budget until 12:03:10", followed by what is in
 * flight and the budget in use when the pacer says ("… · 3 requests in flight (up to 4), operating budget 61 % used").
 */
export function pacingText(p: PacingState, t: Translate, locale: Lang, timeZone?: string): string {
  const base = pacingKindText(p, t, locale, timeZone)
  const flow = flowText(p.flow, t)
  return flow ? `${base} · ${flow}` : base
}

function pacingKindText(p: PacingState, t: Translate, locale: Lang, timeZone?: string): string {
  const until = (ms: number): string => formatClock(ms, locale, timeZone)
  switch (p.kind) {
    case 'idle':
      return t('pacing.idle')
    case 'sending':
      return t('pacing.sending')
    case 'bucket':
      return t('pacing.bucket', { until: until(p.untilMs) })
    case 'operating':
      return t('pacing.operating', { until: until(p.untilMs), method: p.method, used: Math.round(p.usedSec), limit: Math.round(p.limitSec) })
    case 'backoff':
      return t(`pacing.backoff.${p.reason}`, { until: until(p.untilMs) })
    case 'resolving':
      return t('pacing.resolving')
    case 'refreshing-token':
      return t('pacing.refreshingToken')
    default: {
      const _never: never = p
      void _never
      return ''
    }
  }
}

/** An AppError in the user's language, with what to do next when the code suggests it. */
export function errorText(e: AppError, lang: Lang, t: Translate): string {
  // A message the core has only in English is not shown bare in Russian: a sentence in Russian for its code
  // first, the English details after it.
  const base = lang === 'ru' && !e.messageRu ? `${t(`errors.fallback.${e.code}`)} (${e.message})` : lang === 'ru' && e.messageRu ? e.messageRu : e.message
  const portal = e.portalError ? ` (${e.portalError}${e.portalDescription ? `: ${e.portalDescription}` : ''})` : ''
  const hint = t(`errors.hint.${e.code}`)
  return hint ? `${base}${portal} ${hint}` : `${base}${portal}`
}

export function problemText(p: Pick<Problem, 'message' | 'messageRu'>, lang: Lang): string {
  return lang === 'ru' && p.messageRu ? p.messageRu : p.message
}

export function localized(o: { en: string; ru: string } | { message: string; messageRu?: string }, lang: Lang): string {
  if ('en' in o) return lang === 'ru' ? o.ru : o.en
  return lang === 'ru' && o.messageRu ? o.messageRu : o.message
}

/** Tag colours for row and job states (ready green, warning orange, error red). */
export type TagType = 'default' | 'success' | 'warning' | 'error' | 'info'
export function rowStateTag(s: RowState): TagType {
  switch (s) {
    case 'created':
      return 'success'
    case 'failed':
      return 'error'
    case 'needs-checking':
      return 'warning'
    case 'sending':
      return 'info'
    case 'planned':
    case 'skipped':
      return 'default'
    default: {
      const _never: never = s
      void _never
      return 'default'
    }
  }
}

/** Initials for a chat-card circle: "Sales team" → "ST". */
export function initials(title: string): string {
  const words = title.trim().split(/\s+/).filter(Boolean)
  const letters = words.slice(0, 2).map((w) => Array.from(w)[0] ?? '')
  return letters.join('').toUpperCase() || '#'
}
