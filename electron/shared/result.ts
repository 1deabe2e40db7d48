/**
 * Errors are data (house-style habit 8). Every failure that crosses a boundary (IPC, CLI, job events)
 * is an AppError with a code from this union and a message that is safe to show: no secrets, no stack.
 */
export type ErrorCode =
  | 'VALIDATION'
  | 'AUTH_MISSING'
  | 'AUTH_REJECTED'
  | 'SCOPE_MISSING'
  | 'RATE_LIMITED'
  | 'OPERATION_LIMITED'
  | 'NETWORK'
  | 'OUTCOME_UNKNOWN'
  | 'PORTAL_ERROR'
  | 'CANCELLED'
  | 'KEYCHAIN_UNAVAILABLE'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'INTERNAL'
  /** The data folder cannot be written (full disk, short write, I/O error): nothing was sent twice. */
  | 'STORAGE'
  /** Another process (the app or `b24chat`) is sending this job: its lock names it. */
  | 'LOCKED'

export const ERROR_CODES: readonly ErrorCode[] = [
  'VALIDATION', 'AUTH_MISSING', 'AUTH_REJECTED', 'SCOPE_MISSING', 'RATE_LIMITED', 'OPERATION_LIMITED',
  'NETWORK', 'OUTCOME_UNKNOWN', 'PORTAL_ERROR', 'CANCELLED', 'KEYCHAIN_UNAVAILABLE', 'NOT_FOUND', 'FORBIDDEN', 'INTERNAL',
  'STORAGE', 'LOCKED',
]

/** Text shown to a person, in both languages the app speaks. */
export interface LocalizedText {
  en: string
  ru: string
}

export interface AppError {
  code: ErrorCode
  /** English, safe to show and to log (already redacted). */
  message: string
  /** Russian rendering of the same message, when the producer has one. */
  messageRu?: string
  /** The field (form field or sheet column) the error concerns, when there is one. */
  field?: string
  /** The portal's own error code and description, verbatim, when the portal said something. */
  portalError?: string
  portalDescription?: string
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppError }

export const ok = <T>(value: T): Result<T> => ({ ok: true, value })

export const fail = <T = never>(code: ErrorCode, message: string, extra: Partial<Omit<AppError, 'code' | 'message'>> = {}): Result<T> => ({
  ok: false,
  error: { code, message, ...extra },
})

/** An Error subclass that carries an AppError, so core code can `throw` and boundaries can convert. */
export class AppFailure extends Error {
  readonly appError: AppError
  constructor(code: ErrorCode, message: string, extra: Partial<Omit<AppError, 'code' | 'message'>> = {}) {
    super(message)
    this.name = 'AppFailure'
    this.appError = { code, message, ...extra }
  }
}

/** Ends an exhaustive switch: the compiler proves it unreachable, the runtime reports what slipped through. */
export function missingCase(x: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(x)}`)
}
