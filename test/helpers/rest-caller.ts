/**
 * A minimal RestCaller for tests: node:https with the sandbox's CA, POST JSON to `${webhookUrl}${method}`.
 * No pacing and no retries (the real client lives in electron/core/portal); enough for read-only checks.
 */
import { request } from 'node:https'
import type { BatchResult, RestCaller, RestSuccess } from '../../electron/core/portal/types'
import { AppFailure } from '../../electron/shared/result'

/** PHP bracket query (a[b][]=c) in RFC 3986 encoding, as batch commands need. */
export function phpQuery(params: Record<string, unknown>): string {
  const parts: string[] = []
  const enc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  const walk = (key: string, v: unknown): void => {
    if (v === undefined || v === null) return
    if (Array.isArray(v)) v.forEach((x, i) => walk(`${key}[${i}]`, x))
    else if (typeof v === 'object') for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(`${key}[${k}]`, x)
    else parts.push(`${enc(key).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${enc(String(v))}`)
  }
  for (const [k, v] of Object.entries(params)) walk(k, v)
  return parts.join('&')
}

export function testRestCaller(opts: { webhookUrl: string; caPem: string }): RestCaller & { calls: string[] } {
  const base = opts.webhookUrl.endsWith('/') ? opts.webhookUrl : `${opts.webhookUrl}/`
  const calls: string[] = []
  const post = (method: string, body: unknown, signal?: AbortSignal): Promise<RestSuccess<unknown>> =>
    new Promise((resolve, reject) => {
      calls.push(method)
      const data = Buffer.from(JSON.stringify(body))
      const req = request(`${base}${method}`, { method: 'POST', ca: opts.caPem, headers: { 'content-type': 'application/json', 'content-length': data.length }, signal }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let json: Record<string, unknown>
          try {
            json = JSON.parse(text) as Record<string, unknown>
          } catch {
            return reject(new AppFailure('PORTAL_ERROR', `HTTP ${res.statusCode}: not JSON`))
          }
          if (typeof json.error === 'string') {
            return reject(new AppFailure('PORTAL_ERROR', `${json.error}: ${String(json.error_description ?? '')}`, { portalError: json.error, portalDescription: String(json.error_description ?? '') }))
          }
          resolve(json as unknown as RestSuccess<unknown>)
        })
      })
      req.on('error', (e) => reject(new AppFailure('NETWORK', e.message)))
      req.end(data)
    })
  return {
    portal: new URL(base).origin + '/',
    calls,
    call: <T>(method: string, params: Record<string, unknown> = {}, o?: { signal?: AbortSignal }) => post(method, params, o?.signal) as Promise<RestSuccess<T>>,
    batch: (cmd, o) => {
      const body = { halt: o?.halt ? 1 : 0, cmd: Object.fromEntries(Object.entries(cmd).map(([k, [m, p]]) => [k, `${m}?${phpQuery(p)}`])) }
      return post('batch', body, o?.signal) as Promise<RestSuccess<BatchResult>>
    },
  }
}
