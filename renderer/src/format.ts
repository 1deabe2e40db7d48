/**
 * Presentation helpers: durations, rates, clock times and the pacing state in words. Pure functions of their
 * inputs (a translate function, a locale, optionally a time zone) so tests are exact.
 */
import type { JobStateDetail, JobStatus, LockHolder, PacingFlow, PacingState, RowState } from '../../electron/shared/jobs'
import type { AppError } from '../../electron/shared/result'
import type { SendPlanRow } from '../../electron/shared/ipc'
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

/** "Nov 26, 14:03": a date without its year, where space is short (a table cell). */
export function formatShortDateTime(ms: number, locale: Lang, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false, timeZone }).format(new Date(ms))
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

/** Codes whose message already says what to do (the disk is full: free space and press Resume; who holds the job). */
const SELF_EXPLAINED: readonly AppError['code'][] = ['STORAGE', 'LOCKED']

/** An AppError in the user's language, with what to do next when the code suggests it. */
export function errorText(e: AppError, lang: Lang, t: Translate): string {
  // A message the core has only in English is not shown bare in Russian: a sentence in Russian for its code
  // first, the English details after it.
  const base = lang === 'ru' && !e.messageRu ? `${t(`errors.fallback.${e.code}`)} (${e.message})` : lang === 'ru' && e.messageRu ? e.messageRu : e.message
  const portal = e.portalError ? ` (${e.portalError}${e.portalDescription ? `: ${e.portalDescription}` : ''})` : ''
  // FORBIDDEN from the portal (it names its error) is about the portal user's rights; FORBIDDEN from the app itself
  // (a second browser tab, a caller that is not the app window) says in its message what to do.
  const hint = SELF_EXPLAINED.includes(e.code) || (e.code === 'FORBIDDEN' && !e.portalError) ? '' : t(`errors.hint.${e.code}`)
  const said = `${base}${portal}`
  // A message without an end of its own ("connect ECONNREFUSED") gets one before the hint.
  return hint ? `${said}${/[.!?…)]$/.test(said) ? '' : '.'} ${hint}` : said
}

/** The plural form a count takes: English has one and many; Russian one (1, 21), few (2–4, 22–24) and many. */
export function pluralForm(n: number, lang: Lang): 'one' | 'few' | 'many' {
  const abs = Math.abs(Math.trunc(n))
  if (lang === 'en') return abs === 1 ? 'one' : 'many'
  const d = abs % 10
  const dd = abs % 100
  if (d === 1 && dd !== 11) return 'one'
  if (d >= 2 && d <= 4 && (dd < 12 || dd > 14)) return 'few'
  return 'many'
}

/** A counted phrase: `<key>.one|few|many` with `{n}`, or `<key>.none` for 0 when `none` is asked for. */
export function counted(key: string, n: number, t: Translate, lang: Lang, none = false): string {
  return t(none && n === 0 ? `${key}.none` : `${key}.${pluralForm(n, lang)}`, { n: formatNumber(n, lang) })
}

/**
 * What a job in a transient status is waiting for, in words: "Pausing — waiting for the 50 chats in flight",
 * "Portal unreachable — next try in 20 s, attempt 4" (counted down from `now`), "Checking 12 rows on the portal".
 * '' when the status waits for nothing the window can tell.
 */
export function jobDetailText(status: JobStatus, detail: JobStateDetail | undefined, now: number, t: Translate, lang: Lang): string {
  if (!detail) return ''
  switch (detail.kind) {
    case 'in-flight':
      return status === 'pausing' || status === 'cancelling' ? counted(`outbox.state.${status}`, detail.chats, t, lang, true) : ''
    case 'portal-unreachable': {
      const left = detail.nextTryAt === null ? 0 : Math.ceil((detail.nextTryAt - now) / 1000)
      return left > 0 ? t('outbox.state.unreachable', { time: formatEta(left, t), attempt: detail.attempt }) : t('outbox.state.unreachableNow', { attempt: detail.attempt })
    }
    case 'resolving':
      return counted('outbox.state.resolving', detail.rows, t, lang)
    default: {
      const _never: never = detail
      void _never
      return ''
    }
  }
}

/**
 * A row created before, in words: "Already created → chat 12 · 26 Nov 2026, 14:03", or "Created earlier as chat 12
 * with other values: Description" (when it was found on the portal, and not in this data folder's history, it says so).
 */
export function sentText(r: SendPlanRow, t: Translate, lang: Lang, opts: { short?: boolean; timeZone?: string } = {}): string {
  const fields = (r.fields ?? []).map((f) => t(`fields.${f}`)).join(', ')
  const what = r.match === 'already-created' ? t('import.sent.already', { id: r.chatId }) : fields ? t('import.sent.changedFields', { id: r.chatId, fields }) : t('import.sent.changed', { id: r.chatId })
  const when = r.createdAt ? (opts.short ? formatShortDateTime : formatDateTime)(r.createdAt, lang, opts.timeZone) : r.source === 'portal' ? t('import.sent.onPortal') : ''
  return when ? `${what} · ${when}` : what
}

/** "the b24chat command (process 1234 on host, since 12:03:10)": who sends a job this window cannot touch. */
export function lockedText(holder: LockHolder, t: Translate, lang: Lang, timeZone?: string): string {
  return t(`outbox.locked.${holder.program}`, { pid: holder.pid, host: holder.host, since: formatClock(holder.since, lang, timeZone) })
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
