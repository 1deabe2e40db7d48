/** Transport helpers: body reading, CRestUtil::getRequestData-style parameter parsing, responses. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { parseQuery, registerVariable } from './php'
import type { Params } from './php'

export class BodyTooLarge extends Error {}

export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let failed = false
    req.on('data', (c: Buffer) => {
      if (failed) return
      size += c.length
      if (size > max) {
        failed = true
        reject(new BodyTooLarge())
        return
      }
      chunks.push(c)
    })
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks))
    })
    req.on('error', (e) => {
      if (!failed) reject(e)
    })
  })
}

/** multipart/form-data text fields, registered PHP-style (file parts are read as their content). */
export function parseMultipart(body: Buffer, boundary: string, into: Params): void {
  const text = body.toString('latin1')
  const delim = '--' + boundary
  for (const part of text.split(delim)) {
    if (part === '' || part.startsWith('--')) continue
    const sep = part.indexOf('\r\n\r\n')
    if (sep < 0) continue
    const head = part.slice(0, sep)
    const name = /name="([^"]*)"/i.exec(head)?.[1]
    if (name === undefined) continue
    let value = part.slice(sep + 4)
    if (value.endsWith('\r\n')) value = value.slice(0, -2)
    registerVariable(into, Buffer.from(name, 'latin1').toString('utf8'), Buffer.from(value, 'latin1').toString('utf8'))
  }
}

/**
 * The request's parameters: the query string parsed PHP-style, then the body (JSON, form or multipart) replacing
 * top-level keys (array_replace). Invalid JSON gives no body params and no error.
 */
export function requestParams(query: string, body: Buffer, contentType: string | undefined): Params {
  const params = parseQuery(query)
  if (body.length === 0) return params
  const ct = (contentType ?? '').toLowerCase()
  let fromBody: Params = {}
  if (ct.includes('application/json')) {
    try {
      const v: unknown = JSON.parse(body.toString('utf8'))
      if (v !== null && typeof v === 'object') {
        fromBody = Array.isArray(v) ? Object.fromEntries(v.map((x, i) => [String(i), x])) : (v as Params)
      }
    } catch {
      fromBody = {}
    }
  } else if (ct.includes('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '')
    if (boundary) parseMultipart(body, (boundary[1] ?? boundary[2] ?? '').trim(), fromBody)
  } else {
    parseQuery(body.toString('utf8'), fromBody)
  }
  for (const [k, v] of Object.entries(fromBody)) params[k] = v
  return params
}

export function send(res: ServerResponse, status: number, body: string, contentType = 'application/json; charset=utf-8', headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), ...headers })
  res.end(body)
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value))
}

const STATUS_TEXT: Record<number, string> = { 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out', 500: 'Internal Server Error' }

/** The nginx-style HTML page a proxy in front of the portal returns. */
export function htmlPage(status: number): string {
  const t = `${status} ${STATUS_TEXT[status] ?? 'Error'}`
  return `<html>\r\n<head><title>${t}</title></head>\r\n<body>\r\n<center><h1>${t}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
}
