/**
 * The wire: one HTTPS POST/GET, bounded in every phase (issue 13): a connect timeout, a TLS-handshake timeout, a
 * first-byte timeout, a whole-response deadline (a slow trickle counts) and a cap on the response size, each with
 * its own message. Separates "the request never left" (safe to resend) from "it may have reached the server"
 * (outcome unknown), which is what the retry policy, and exactly-once, are built on.
 */
import { request as httpsRequest, Agent } from 'node:https'
import { createSecureContext } from 'node:tls'
import type { LookupFunction, Socket } from 'node:net'

export interface HttpRequest {
  method: 'GET' | 'POST'
  url: string
  headers: Record<string, string>
  body?: string
  /**
   * Whole-response deadline, from the moment the request is written: the answer must have arrived completely by
   * then (a slow trickle counts). Also the bound on writing the request, and the default first-byte timeout.
   */
  timeoutMs: number
  /** First-byte timeout: how long the portal may take to start its answer once the request is written (≤ timeoutMs). */
  firstByteMs?: number
  signal?: AbortSignal
}

export interface HttpResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * Why a request produced no HTTP response.
 * - `connect`: never connected, or the request was never fully written (DNS, refused, connect or TLS-handshake
 *   timeout, certificate) — nothing reached the server, safe to resend.
 * - `timeout`: after the request was written, no answer began in time, or the answer did not finish by the
 *   deadline — outcome unknown.
 * - `reset`: the connection dropped after the request was written — outcome unknown.
 * - `too-large`: the portal answered with more than the size cap; the answer was not read — the portal did act
 *   on the request as far as it goes, but what it said is unknown.
 * - `aborted`: the caller aborted before anything was written.
 */
export type TransportFailureKind = 'connect' | 'timeout' | 'reset' | 'too-large' | 'aborted'

export class TransportError extends Error {
  constructor(readonly kind: TransportFailureKind, message: string) {
    super(message)
    this.name = 'TransportError'
  }
}

export type Transport = (req: HttpRequest) => Promise<HttpResponse>

/** The bounds every request gets unless the transport is created with others. */
export const TRANSPORT_BOUNDS = {
  /** TCP connect (DNS included). */
  connectMs: 10_000,
  /** From TCP connected to the TLS handshake done. */
  tlsMs: 10_000,
  /** Largest response read; a Bitrix24 answer (a batch of 50 user.get) is well under 1 MB. */
  maxResponseBytes: 32 * 1024 * 1024,
} as const

export interface HttpsTransportOptions {
  /** Extra CA certificates (PEM) trusted besides the system's: the sandbox's self-signed CA. */
  ca?: string
  /** Keep-alive agent size; the engine sends one request at a time. */
  maxSockets?: number
  connectTimeoutMs?: number
  tlsTimeoutMs?: number
  maxResponseBytes?: number
  /** Test seam: the host-name lookup (a lookup that never answers is a connect that never completes). */
  lookup?: LookupFunction
}

const seconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`)
const megabytes = (n: number): string => `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MB`

/** A real transport over node:https. Plain http: URLs are refused. */
export function createHttpsTransport(opts: HttpsTransportOptions = {}): Transport & { close(): void } {
  // One TLS context for every connection (the trusted CAs parsed once): a context per connection costs each of the
  // connections a concurrent run opens at its start a few ms of CPU before its first request can leave.
  const agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 4, secureContext: createSecureContext(opts.ca ? { ca: opts.ca } : {}) })
  const connectMs = opts.connectTimeoutMs ?? TRANSPORT_BOUNDS.connectMs
  const tlsMs = opts.tlsTimeoutMs ?? TRANSPORT_BOUNDS.tlsMs
  const maxBytes = opts.maxResponseBytes ?? TRANSPORT_BOUNDS.maxResponseBytes
  const transport = (req: HttpRequest): Promise<HttpResponse> =>
    new Promise<HttpResponse>((resolve, reject) => {
      let url: URL
      try {
        url = new URL(req.url)
      } catch {
        reject(new TransportError('connect', 'Invalid URL'))
        return
      }
      if (url.protocol !== 'https:') {
        reject(new TransportError('connect', 'Only https:// portals are supported'))
        return
      }
      if (req.signal?.aborted) {
        reject(new TransportError('aborted', 'Request aborted before sending'))
        return
      }
      const host = url.host
      let written = false
      let answered = false
      let settled = false
      /** The bound of the phase the request is in (connect, TLS, sending, first byte). */
      let phase: NodeJS.Timeout | undefined
      /** The whole-response deadline, once the request is written. */
      let deadline: NodeJS.Timeout | undefined
      const r = httpsRequest(url, { method: req.method, headers: req.headers, agent, ...(opts.lookup ? { lookup: opts.lookup } : {}) })
      const done = (f: () => void): void => {
        if (settled) return
        settled = true
        clearTimeout(phase)
        clearTimeout(deadline)
        req.signal?.removeEventListener('abort', onAbort)
        f()
      }
      const fail = (kind: TransportFailureKind, message: string): void => {
        done(() => reject(new TransportError(kind, message)))
        r.destroy()
      }
      const bound = (ms: number, kind: TransportFailureKind, message: string): void => {
        clearTimeout(phase)
        phase = setTimeout(() => fail(kind, message), ms)
      }
      // Until it is written, the request must at least leave within the first-byte timeout; connect and TLS get
      // shorter bounds of their own below.
      bound(req.timeoutMs, 'connect', `The request to ${host} could not be sent within ${seconds(req.timeoutMs)}`)
      const onAbort = (): void => fail(written ? 'reset' : 'aborted', 'Request aborted')
      req.signal?.addEventListener('abort', onAbort, { once: true })
      r.on('socket', (socket: Socket) => {
        // A kept-alive socket is connected and secure already; a new one goes through both phases.
        if (!socket.connecting) return
        bound(connectMs, 'connect', `Could not connect to ${host} within ${seconds(connectMs)}`)
        socket.once('connect', () => {
          if (!settled && !written) bound(tlsMs, 'connect', `The TLS handshake with ${host} did not finish within ${seconds(tlsMs)}`)
        })
        socket.once('secureConnect', () => {
          if (!settled && !written) bound(req.timeoutMs, 'connect', `The request to ${host} could not be sent within ${seconds(req.timeoutMs)}`)
        })
      })
      r.on('error', (e: NodeJS.ErrnoException) => {
        // Before the body is flushed nothing was processed; after it, the server may have acted on it.
        const kind: TransportFailureKind = written ? 'reset' : 'connect'
        done(() => reject(new TransportError(kind, `${e.code ?? 'ERROR'}: connection ${written ? 'dropped' : 'failed'}`)))
      })
      r.on('response', (res) => {
        answered = true
        clearTimeout(phase)
        const declared = Number(res.headers['content-length'])
        if (Number.isFinite(declared) && declared > maxBytes) {
          fail('too-large', `The portal's answer is ${megabytes(declared)}, more than the ${megabytes(maxBytes)} this app reads; it was not read`)
          return
        }
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => {
          size += c.length
          if (size > maxBytes) {
            fail('too-large', `The portal's answer is larger than the ${megabytes(maxBytes)} this app reads; it was not read`)
            return
          }
          chunks.push(c)
        })
        res.on('error', () => done(() => reject(new TransportError('reset', 'Connection dropped while reading the response'))))
        res.on('aborted', () => done(() => reject(new TransportError('reset', 'Connection dropped while reading the response'))))
        res.on('end', () => {
          if (!res.complete) {
            done(() => reject(new TransportError('reset', 'Connection dropped while reading the response')))
            return
          }
          const headers: Record<string, string> = {}
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v
          done(() => resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') }))
        })
      })
      r.end(req.body, () => {
        if (settled) return
        written = true
        const firstByte = Math.min(req.firstByteMs ?? req.timeoutMs, req.timeoutMs)
        if (answered) clearTimeout(phase)
        else bound(firstByte, 'timeout', `The portal did not start answering within ${seconds(firstByte)} after the request was sent`)
        deadline = setTimeout(() => fail('timeout', `The portal's answer did not finish within ${seconds(req.timeoutMs)} after the request was sent (it arrived too slowly)`), req.timeoutMs)
      })
    })
  return Object.assign(transport, { close: () => agent.destroy() })
}
