/**
 * Batch command strings (notes §4): `method?query`, the query in PHP bracket syntax and RFC 3986 encoding.
 * The server splits it with parse_str, where `+` means space — so `+` must go out as %2B or base64 breaks.
 */

/** encodeURIComponent plus the sub-delims RFC 3986 reserves (! ' ( ) *). Never emits a bare `+`. */
export function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

function scalar(v: unknown): string | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'boolean') return v ? 'Y' : 'N'
  if (typeof v === 'number' || typeof v === 'bigint') return String(v)
  if (typeof v === 'string') return v
  return null
}

/** PHP-style query: a[0]=1&a[1]=2&f[EMAIL]=x. Brackets are encoded too (%5B %5D), which parse_str accepts. */
export function phpQuery(params: Record<string, unknown>): string {
  const out: string[] = []
  const walk = (prefix: string, v: unknown): void => {
    if (Array.isArray(v)) {
      if (v.length === 0) return
      v.forEach((item, i) => walk(`${prefix}[${i}]`, item))
      return
    }
    if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) walk(`${prefix}[${k}]`, item)
      return
    }
    const s = scalar(v)
    if (s !== null) out.push(`${rfc3986(prefix)}=${rfc3986(s)}`)
  }
  for (const [k, v] of Object.entries(params)) walk(k, v)
  return out.join('&')
}

export function batchCommand(method: string, params: Record<string, unknown>): string {
  return `${method}?${phpQuery(params)}`
}
