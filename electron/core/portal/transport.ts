/**
 * The wire: one HTTPS POST/GET with a timeout. Separates "the request never left" (safe to resend) from
 * "it may have reached the server" (outcome unknown), which is what the retry policy is built on.
 */
import { request as httpsRequest, Agent } from 'node:https'

export interface HttpRequest {
  method: 'GET' | 'POST'
  url: string
  headers: Record<string, string>
  body?: string
  timeoutMs: number
  signal?: AbortSignal
}

export interface HttpResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * Why a request produced no HTTP response.
 * - `connect`: never connected (DNS, refused, TLS) — nothing reached the server, safe to resend.
 * - `timeout`: no full response in time after the request was written — outcome unknown.
 * - `reset`: the connection dropped after the request was written — outcome unknown.
 * - `aborted`: the caller aborted before anything was written.
 */
export type TransportFailureKind = 'connect' | 'timeout' | 'reset' | 'aborted'

export class TransportError extends Error {
  constructor(readonly kind: TransportFailureKind, message: string) {
    super(message)
    this.name = 'TransportError'
  }
}

export type Transport = (req: HttpRequest) => Promise<HttpResponse>

export interface HttpsTransportOptions {
  /** Extra CA certificates (PEM) trusted besides the system's: the sandbox's self-signed CA. */
  ca?: string
  /** Keep-alive agent size; the engine sends one request at a time. */
  maxSockets?: number
}

/** A real transport over node:https. Plain http: URLs are refused. */
export function createHttpsTransport(opts: HttpsTransportOptions = {}): Transport & { close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 4, ...(opts.ca ? { ca: opts.ca } : {}) })
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
      let written = false
      let settled = false
      const done = (f: () => void): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        req.signal?.removeEventListener('abort', onAbort)
        f()
      }
      const r = httpsRequest(url, { method: req.method, headers: req.headers, agent })
      const timer = setTimeout(() => {
        done(() => reject(new TransportError(written ? 'timeout' : 'connect', written ? `No response within ${req.timeoutMs} ms` : `Could not connect within ${req.timeoutMs} ms`)))
        r.destroy()
      }, req.timeoutMs)
      const onAbort = (): void => {
        done(() => reject(new TransportError(written ? 'reset' : 'aborted', 'Request aborted')))
        r.destroy()
      }
      req.signal?.addEventListener('abort', onAbort, { once: true })
      r.on('error', (e: NodeJS.ErrnoException) => {
        // Before the body is flushed nothing was processed; after it, the server may have acted on it.
        const kind: TransportFailureKind = written ? 'reset' : 'connect'
        done(() => reject(new TransportError(kind, `${e.code ?? 'ERROR'}: connection ${written ? 'dropped' : 'failed'}`)))
      })
      r.on('response', (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
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
        written = true
      })
    })
  return Object.assign(transport, { close: () => agent.destroy() })
}
