/**
 * Batch command strings (notes §4): `method?query`, the query in PHP bracket syntax and RFC 3986 encoding.
 * The server splits it with parse_str, where `+` means space — so `+` must go out as %2B or base64 breaks.
 */

const SUB_DELIMS = /[!'()*]/
const SUB_DELIMS_ALL = /[!'()*]/g
const escapeSubDelim = (c: string): string => `%${c.charCodeAt(0).toString(16).toUpperCase()}`

/** encodeURIComponent plus the sub-delims RFC 3986 reserves (! ' ( ) *). Never emits a bare `+`. */
export function rfc3986(value: string): string {
  const s = encodeURIComponent(value)
  // Most values have none of the five: skip the replace (a batch of 50 chats encodes thousands of values).
  return SUB_DELIMS.test(s) ? s.replace(SUB_DELIMS_ALL, escapeSubDelim) : s
}

function scalar(v: unknown): string | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'boolean') return v ? 'Y' : 'N'
  if (typeof v === 'number' || typeof v === 'bigint') return String(v)
  if (typeof v === 'string') return v
  return null
}

function walk(out: string[], prefix: string, v: unknown): void {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) walk(out, `${prefix}[${i}]`, v[i])
    return
  }
  if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) walk(out, `${prefix}[${k}]`, (v as Record<string, unknown>)[k])
    return
  }
  const s = scalar(v)
  if (s !== null) out.push(`${rfc3986(prefix)}=${rfc3986(s)}`)
}

/** PHP-style query: a[0]=1&a[1]=2&f[EMAIL]=x. Brackets are encoded too (%5B %5D), which parse_str accepts. */
export function phpQuery(params: Record<string, unknown>): string {
  const out: string[] = []
  for (const k of Object.keys(params)) walk(out, k, params[k])
  return out.join('&')
}

export function batchCommand(method: string, params: Record<string, unknown>): string {
  return `${method}?${phpQuery(params)}`
}
