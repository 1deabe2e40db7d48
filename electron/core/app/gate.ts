/**
 * The transport-neutral gate (house-style habit 1) that the Electron main process and the browser shell both put
 * in front of the backend. For every call, in this order: is the caller trusted (the transport says so: sender
 * window + frame URL under Electron; token, Host and Origin in the browser shell)? is the channel one of ours? —
 * only then is the payload read, at most the channel's byte cap; it is parsed with the channel's zod schema and
 * the handler receives the parsed value only. Every outcome is a Result; nothing is thrown across the boundary.
 */
import { Buffer } from 'node:buffer'
import type { ZodType } from 'zod'
import type { BackendApi } from '../../shared/ipc'
import { API_PATHS, CHANNEL_NAMES, PAYLOAD_SCHEMAS, payloadLimit, splitPath } from '../../shared/ipc'
import type { Result } from '../../shared/result'
import { fail } from '../../shared/result'
import { redact } from '../redact'
import { toErrorResult } from './errors'

/** What the transport knows about the caller, decided before any byte of the payload is read. */
export interface GateContext {
  readonly trusted: boolean
}

/** Why a call was refused before its handler ran (a transport maps these to its own statuses). */
export type Refusal = 'forbidden' | 'too-large' | 'malformed'

export interface GateAnswer {
  result: Result<unknown>
  refusal?: Refusal
}

/** The transport's way of reading a call's payload, at most `limit` bytes; throws PayloadError when it cannot. */
export type PayloadReader = (limit: number) => Promise<unknown>

export class PayloadError extends Error {
  constructor(readonly kind: 'too-large' | 'malformed') {
    super(kind === 'too-large' ? 'The request is too large.' : 'The request is malformed.')
    this.name = 'PayloadError'
  }
}

interface Route {
  schema: ZodType
  limit: number
  fn: (payload: unknown) => Promise<Result<unknown>>
}

export interface Gate {
  /** Adds a channel: its schema, its handler (which gets the parsed payload only) and its byte cap. */
  handle<S extends ZodType, T>(channel: string, schema: S, fn: (payload: S['_output']) => Promise<Result<T>>, limit: number): void
  /** The channels that have a handler. */
  channels(): string[]
  /** One call: trust, channel, payload within the cap, schema, handler. Never throws. */
  call(ctx: GateContext, channel: string, read: PayloadReader): Promise<GateAnswer>
}

const forbidden = (): GateAnswer => ({
  refusal: 'forbidden',
  result: fail('FORBIDDEN', 'This request did not come from the app window and was refused.', { messageRu: 'Запрос пришёл не из окна приложения и отклонён.' }),
})

const tooLarge = (limit: number): GateAnswer => ({
  refusal: 'too-large',
  result: fail('VALIDATION', `The request is larger than this call accepts (${formatMiB(limit)}).`, { messageRu: `Запрос больше, чем допускает этот вызов (${formatMiB(limit)}).` }),
})

const malformed = (): GateAnswer => ({
  refusal: 'malformed',
  result: fail('VALIDATION', 'The request was malformed.', { messageRu: 'Запрос искажён.' }),
})

function formatMiB(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / (1024 * 1024))} MiB` : `${Math.round(bytes / 1024)} KiB`
}

export function createGate(opts: { log?: (line: string) => void } = {}): Gate {
  const routes = new Map<string, Route>()
  return {
    handle(channel, schema, fn, limit) {
      routes.set(channel, { schema, limit, fn: fn as Route['fn'] })
    },
    channels: () => [...routes.keys()],
    async call(ctx, channel, read) {
      try {
        if (ctx.trusted !== true) {
          opts.log?.(`refused ${String(channel).slice(0, 100)} from a foreign sender`)
          return forbidden()
        }
        // Unknown channels are refused like foreign callers: nothing says which channels exist.
        const route = routes.get(channel)
        if (!route) return forbidden()
        let payload: unknown
        try {
          payload = await read(route.limit)
        } catch (e) {
          if (e instanceof PayloadError && e.kind === 'too-large') return tooLarge(route.limit)
          return malformed()
        }
        const parsed = route.schema.safeParse(payload)
        if (!parsed.success) {
          const issue = parsed.error.issues[0]
          const where = issue?.path.length ? ` (${issue.path.join('.')})` : ''
          return { result: fail('VALIDATION', `The request was malformed${where}: ${issue?.message ?? 'invalid payload'}.`, { field: issue?.path.join('.') }) }
        }
        return { result: await route.fn(parsed.data) }
      } catch (e) {
        opts.log?.(redact(`handler ${channel} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`))
        return { result: toErrorResult(e) }
      }
    },
  }
}

/** Adds one gated channel per AppApi path, each calling the backend method of the same name. */
export function routeBackend(gate: Gate, backend: BackendApi): void {
  for (const path of API_PATHS) {
    const [ns, fn] = splitPath(path)
    const target = (backend as unknown as Record<string, Record<string, (p: unknown) => Promise<Result<unknown>>>>)[ns]?.[fn]
    if (typeof target !== 'function') throw new Error(`The backend has no ${path}`)
    gate.handle(CHANNEL_NAMES[path], PAYLOAD_SCHEMAS[path], (payload) => target(payload), payloadLimit(path))
  }
}

/** The gate over a backend, with every AppApi channel. */
export function createBackendGate(backend: BackendApi, opts: { log?: (line: string) => void } = {}): Gate {
  const gate = createGate(opts)
  routeBackend(gate, backend)
  return gate
}

/**
 * About how many bytes `value` takes on the browser shell's wire (JSON, bytes as base64), counted until `limit`
 * is passed (the walk stops there, so a huge or cyclic value costs no more than the cap).
 */
export function payloadBytes(value: unknown, limit: number): number {
  let total = 0
  const stack: unknown[] = [value]
  while (stack.length && total <= limit) {
    const v = stack.pop()
    if (typeof v === 'string') total += Buffer.byteLength(v) + 2
    else if (v instanceof Uint8Array) total += Math.ceil(v.byteLength / 3) * 4 + 10
    else if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) total += v.byteLength
    else if (Array.isArray(v)) {
      total += 2
      for (const x of v) {
        stack.push(x)
        if (++total > limit) break
      }
    } else if (v && typeof v === 'object') {
      total += 2
      for (const [k, x] of Object.entries(v)) {
        total += Buffer.byteLength(k) + 4
        stack.push(x)
        if (total > limit) break
      }
    } else total += 8
  }
  return total
}

/** The reader for a payload a transport already holds (Electron IPC): measured against the cap, then passed on. */
export function valueReader(value: unknown): PayloadReader {
  return async (limit) => {
    if (payloadBytes(value, limit) > limit) throw new PayloadError('too-large')
    return value
  }
}
