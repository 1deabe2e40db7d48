import type { IpcMainInvokeEvent } from 'electron'
import type { ZodType } from 'zod'
import type { Result } from '../shared/result'
import { redact } from '../core/redact'
import { toErrorResult } from '../core/app/errors'

export interface GateDeps {
  /** Registers an invoke handler (ipcMain.handle in the app; a fake in tests). */
  register(channel: string, handler: (event: IpcMainInvokeEvent, payload: unknown) => Promise<unknown>): void
  /** Is this sender one of our windows showing our renderer? */
  isTrustedSender(event: IpcMainInvokeEvent): boolean
  log?: (line: string) => void
}

/**
 * One gatekeeper for every IPC entry (house-style habit 1): foreign senders are refused, the payload is parsed
 * with the channel's schema, the handler's outcome is always a Result, and nothing is ever thrown across IPC.
 */
export function createGate(deps: GateDeps) {
  return function handle<S extends ZodType, T>(channel: string, schema: S, fn: (payload: S['_output']) => Promise<Result<T>>): void {
    deps.register(channel, async (event, payload) => {
      try {
        if (!deps.isTrustedSender(event)) {
          deps.log?.(`refused ${channel} from a foreign sender`)
          return { ok: false, error: { code: 'FORBIDDEN', message: 'This request did not come from the app window and was refused.' } } satisfies Result<never>
        }
        const parsed = schema.safeParse(payload)
        if (!parsed.success) {
          const issue = parsed.error.issues[0]
          const where = issue?.path.length ? ` (${issue.path.join('.')})` : ''
          return { ok: false, error: { code: 'VALIDATION', message: `The request was malformed${where}: ${issue?.message ?? 'invalid payload'}.`, field: issue?.path.join('.') } } satisfies Result<never>
        }
        return await fn(parsed.data)
      } catch (e) {
        deps.log?.(redact(`handler ${channel} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`))
        return toErrorResult(e)
      }
    })
  }
}
