/**
 * The browser shell: the same backend behind the same gate (core/app/gate.ts) as the Electron main process, served
 * to a browser on 127.0.0.1 for machines where the Electron runtime is not available. Only the transport differs.
 * Every API request must carry the per-run token (given to the page in the URL fragment, never logged), and the
 * Host and Origin headers must name this server exactly (no DNS rebinding, no cross-site calls).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, sep } from 'node:path'
import type { Backend } from '../core/app/backend'
import type { Refusal } from '../core/app/gate'
import { createBackendGate, PayloadError } from '../core/app/gate'
import { CHANNEL_NAMES } from '../shared/channels'
import { bridgeScriptText } from './bridge-script'
import { decodeWire as decode } from './wire'

const MIME: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.woff2': 'font/woff2', '.ico': 'image/x-icon' }

export interface WebShell {
  url: string
  /** The URL with the token fragment: what the user opens. Never log it. */
  openUrl: string
  close(): Promise<void>
}

/** The HTTP status of each refusal: 403 for a foreign caller or an unknown call, 413 over the cap, 400 malformed. */
const REFUSAL_STATUS: Record<Refusal, number> = { forbidden: 403, 'too-large': 413, malformed: 400 }

/** The invoke path: POST /api/invoke/<channel>, the payload as the JSON body (bytes as { __u8: base64 }). */
const INVOKE_PREFIX = '/api/invoke/'

/**
 * Reads a JSON body of at most `limit` bytes: a declared Content-Length over the cap is refused before reading,
 * and the bytes are counted as they arrive, so an endless or oversized body stops at the cap.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? Number.NaN)
    if (Number.isFinite(declared) && declared > limit) return reject(new PayloadError('too-large'))
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    const settle = (e: Error | null, v?: unknown): void => {
      if (settled) return
      settled = true
      req.off('data', onData)
      req.off('end', onEnd)
      if (e) {
        req.pause()
        reject(e)
      } else resolve(v)
    }
    const onData = (c: Buffer): void => {
      size += c.length
      if (size > limit) return settle(new PayloadError('too-large'))
      chunks.push(c)
    }
    const onEnd = (): void => {
      const text = Buffer.concat(chunks).toString('utf8').trim()
      if (!text) return settle(null, undefined)
      try {
        const v: unknown = JSON.parse(text)
        settle(null, v === null ? undefined : decode(v))
      } catch {
        settle(new PayloadError('malformed'))
      }
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', () => settle(new PayloadError('malformed')))
    // A client that goes away mid-body leaves nothing to answer; the promise still ends.
    req.on('close', () => settle(new PayloadError('malformed')))
  })
}

/** What a tab without the run's key (a second tab on the app's address) is told: where the app really is. */
const NOT_THIS_TAB = {
  code: 'FORBIDDEN',
  message: 'This browser tab is not connected to the app: only the tab the app opened holds its one-time key. Use that tab, or restart the app to get a new address.',
  messageRu: 'Эта вкладка браузера не подключена к приложению: одноразовый ключ есть только у вкладки, которую открыло приложение. Используйте её или перезапустите приложение, чтобы получить новый адрес.',
} as const

export async function startWebShell(opts: { backend: Backend; rendererDir: string; port?: number; token?: string }): Promise<WebShell> {
  const token = opts.token ?? randomBytes(32).toString('base64url')
  const tokenBuf = Buffer.from(token)
  let origin = ''
  const trusted = (req: IncomingMessage): boolean => {
    if (req.headers.host !== origin.slice('http://'.length)) return false
    if (req.headers.origin !== undefined && req.headers.origin !== origin) return false
    const given = Buffer.from(String(req.headers['x-b24-token'] ?? ''))
    return given.length === tokenBuf.length && timingSafeEqual(given, tokenBuf)
  }

  const gate = createBackendGate(opts.backend)

  const streams = new Set<ServerResponse>()
  const off = opts.backend.onJobEvent((event) => {
    const line = `${JSON.stringify(event)}\n`
    for (const s of streams) s.write(line)
  })

  const bridge = bridgeScriptText(CHANNEL_NAMES as unknown as Record<string, string>)
  const rendererRoot = normalize(opts.rendererDir + sep)
  const json = (res: ServerResponse, status: number, v: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(v))
  }

  const text = (res: ServerResponse, status: number, body: string): void => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`${body}\n`)
  }

  const server = createServer((req, res) => {
    void (async () => {
      let path: string
      try {
        path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname)
      } catch {
        return text(res, 400, 'Bad request: the address is malformed.')
      }
      if (path.startsWith(INVOKE_PREFIX) && req.method === 'POST') {
        // Trust comes from the headers alone, before any byte of the body is read; the gate reads it after.
        const answer = await gate.call({ trusted: trusted(req) }, path.slice(INVOKE_PREFIX.length), (limit) => readJsonBody(req, limit))
        if (answer.refusal) {
          // The body was not (fully) read: close the connection instead of draining it.
          res.setHeader('connection', 'close')
          // A caller without the key is a second tab on this address: tell it where the app is.
          const result = trusted(req) ? answer.result : { ok: false, error: NOT_THIS_TAB }
          return json(res, REFUSAL_STATUS[answer.refusal], result)
        }
        return json(res, 200, answer.result)
      }
      if (path === '/api/events' && req.method === 'GET') {
        if (!trusted(req)) return json(res, 403, { ok: false, error: NOT_THIS_TAB })
        res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
        res.write('\n')
        streams.add(res)
        req.on('close', () => streams.delete(res))
        return
      }
      if (path.startsWith('/api/')) {
        res.setHeader('connection', 'close')
        return json(res, 403, { ok: false, error: { code: 'FORBIDDEN', message: 'Refused.' } })
      }
      if (req.headers.host !== origin.slice('http://'.length)) return text(res, 421, 'Misdirected request.')
      if (path === '/web-bridge.js') return void res.writeHead(200, { 'content-type': MIME['.js']!, 'cache-control': 'no-store' }).end(bridge)
      if (path.includes('\0')) return text(res, 400, 'Bad request: the address is malformed.')
      // Static files only from inside the renderer folder: an encoded ../ (%2f, %5c) must not climb out of it.
      const file = normalize(join(rendererRoot, path === '/' ? 'index.html' : path))
      if (!file.startsWith(rendererRoot)) return text(res, 403, 'Forbidden.')
      try {
        let data = await readFile(file)
        if (file.endsWith(`${sep}index.html`)) {
          // The bridge defines window.api before the app's module script runs.
          data = Buffer.from(data.toString('utf8').replace('<head>', '<head>\n    <script src="./web-bridge.js"></script>'))
        }
        res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'x-content-type-options': 'nosniff' }).end(data)
      } catch {
        text(res, 404, 'Not found.')
      }
    })().catch(() => {
      if (!res.headersSent) text(res, 500, 'The app could not answer this request.')
      else res.end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
  })
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `${origin}/`,
    openUrl: `${origin}/#token=${token}`,
    close: async () => {
      off()
      for (const s of streams) s.end()
      const closed = new Promise<void>((r) => server.close(() => r()))
      // Open connections (a stalled upload, a keep-alive socket) must not keep the shell from stopping.
      server.closeAllConnections()
      await closed
    },
  }
}
