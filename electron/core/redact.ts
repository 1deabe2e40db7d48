/**
 * Redact at the source (house-style habit 9). Every log line and error text passes through `redact()`:
 * webhook secrets in /rest/USER/SECRET/ paths, auth=/access_token=/refresh_token=/client_secret= parameters,
 * JSON fields of the same names, Bearer tokens, and any secret registered at runtime (exact strings).
 */
import type { AppError } from '../shared/result'

const registered = new Set<string>()

/** Remember an exact secret (a webhook secret, a token) so it is masked wherever it appears. */
export function registerSecret(secret: string | undefined | null): void {
  if (secret && secret.length >= 6) registered.add(secret)
}

export function forgetSecret(secret: string | undefined | null): void {
  if (secret) registered.delete(secret)
}

const MASK = '***'
const PARAM_NAMES = 'auth|access_token|refresh_token|client_secret|password|secret|token|code'

const patterns: [RegExp, string][] = [
  // https://portal/rest/12/abcDEF123/method → https://portal/rest/12/***/method
  [/(\/rest\/\d+\/)[^/\s"'?#]+/g, `$1${MASK}`],
  // auth=…&, access_token=… in query strings and form bodies (also URL-encoded keys)
  [new RegExp(`((?:^|[?&\\s"'])(?:${PARAM_NAMES})(?:%5B[^=&]*%5D)?=)[^&\\s"'#]+`, 'gi'), `$1${MASK}`],
  // "access_token":"…" and 'auth': '…' in JSON / object dumps
  [new RegExp(`((?:["']?)(?:${PARAM_NAMES})["']?\\s*[:=]\\s*["'])[^"']+`, 'gi'), `$1${MASK}`],
  // Authorization: Bearer xyz
  [/(bearer\s+)[A-Za-z0-9._~+/-]+=*/gi, `$1${MASK}`],
]

export function redact(text: string): string {
  let out = text
  for (const [re, rep] of patterns) out = out.replace(re, rep)
  for (const s of registered) if (out.includes(s)) out = out.split(s).join(MASK)
  return out
}

/**
 * An error with every text in it redacted — the message, its Russian rendering and the portal's description (a
 * portal may echo what it was sent) — for wherever it goes next: the renderer (which shows all three), a journal,
 * an event.
 */
export function redactAppError(e: AppError): AppError {
  return {
    ...e,
    message: redact(e.message),
    ...(e.messageRu !== undefined ? { messageRu: redact(e.messageRu) } : {}),
    ...(e.portalDescription !== undefined ? { portalDescription: redact(e.portalDescription) } : {}),
  }
}

/** Redacts any value for logging: strings directly, everything else through JSON. */
export function redactValue(value: unknown): string {
  if (typeof value === 'string') return redact(value)
  if (value instanceof Error) return redact(`${value.name}: ${value.message}`)
  try {
    return redact(JSON.stringify(value))
  } catch {
    return redact(String(value))
  }
}

export interface Logger {
  info(msg: string, data?: unknown): void
  warn(msg: string, data?: unknown): void
  error(msg: string, data?: unknown): void
}

/** A logger that redacts everything it is given. `sink` receives finished lines (default: stderr). */
export function createLogger(scope: string, sink: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const line = (level: string, msg: string, data?: unknown): void =>
    sink(redact(`${new Date().toISOString()} ${level} [${scope}] ${msg}${data === undefined ? '' : ` ${redactValue(data)}`}`))
  return {
    info: (m, d) => line('INFO', m, d),
    warn: (m, d) => line('WARN', m, d),
    error: (m, d) => line('ERROR', m, d),
  }
}

/** A logger that drops everything (tests, quiet CLI). */
export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} }
