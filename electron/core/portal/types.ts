/**
 * The seam between everything that talks to a portal (live dry run, preflight, user search, sync engine)
 * and the portal client that does the talking (HTTPS, auth, pacing, retries-by-class).
 */

/** The `time` block of a successful Bitrix24 response (notes §3). */
export interface RestTime {
  start: number
  finish: number
  duration: number
  processing: number
  date_start: string
  date_finish: string
  operating?: number
  operating_reset_at?: number
}

export interface RestSuccess<T = unknown> {
  result: T
  total?: number
  next?: number
  time?: RestTime
}

/** A batch reply's sections, keyed by the cmd keys the caller gave (notes §4). */
export interface BatchResult {
  result: Record<string, unknown>
  result_error: Record<string, { error: string; error_description: string }>
  result_total: Record<string, number>
  result_next: Record<string, number>
  result_time: Record<string, RestTime>
}

/**
 * Calls REST methods on one portal with one credential. Implementations throw `AppFailure` with codes from
 * shared/result.ts: PORTAL_ERROR (the portal's error/error_description kept verbatim in portalError /
 * portalDescription), AUTH_REJECTED, SCOPE_MISSING, RATE_LIMITED, OPERATION_LIMITED, NETWORK, OUTCOME_UNKNOWN.
 * Read-only callers (live dry run, user search) may treat OUTCOME_UNKNOWN like NETWORK; creators must not.
 */
export interface RestCaller {
  /** The portal's base URL, https://host/ — for chat links. */
  readonly portal: string
  call<T = unknown>(method: string, params?: Record<string, unknown>, opts?: { signal?: AbortSignal }): Promise<RestSuccess<T>>
  /** Up to 50 commands; each value is [method, params]. The batch itself is one request. */
  batch(cmd: Record<string, [string, Record<string, unknown>]>, opts?: { halt?: boolean; signal?: AbortSignal }): Promise<RestSuccess<BatchResult>>
}
