import type { Result } from '../../shared/result'
import { AppFailure } from '../../shared/result'
import { redactAppError } from '../redact'

/** Converts anything thrown into a Result error whose texts are safe to show (redacted, no stack). */
export function toErrorResult(e: unknown): Result<never> {
  if (e instanceof AppFailure) return { ok: false, error: redactAppError(e.appError) }
  return { ok: false, error: { code: 'INTERNAL', message: 'Something went wrong inside the app. The details are in the log.', messageRu: 'Внутренняя ошибка приложения. Подробности — в журнале.' } }
}

/** Runs `fn` and returns its value as a Result; failures become safe error Results. */
export async function attempt<T>(fn: () => Promise<T>, onUnexpected?: (e: unknown) => void): Promise<Result<T>> {
  try {
    return { ok: true, value: await fn() }
  } catch (e) {
    if (!(e instanceof AppFailure)) onUnexpected?.(e)
    return toErrorResult(e)
  }
}
