/**
 * The browser shell: the same backend and the same gatekeeper as the Electron main process, served to a browser
 * on 127.0.0.1 for machines where the Electron runtime is not available. Only the transport differs from IPC.
 * Every API request must carry the per-run token (given to the page in the URL fragment, never logged), and the
 * Host and Origin headers must name this server exactly (no DNS rebinding, no cross-site calls).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, sep } from 'node:path'
import type { IpcMainInvokeEvent } from 'electron'
import type { Backend } from '../core/app/backend'
import { createGate } from '../main/gatekeeper'
import { registerBackend } from '../main/ipc'
import { CHANNEL_NAMES } from '../shared/channels'
import { bridgeScriptText } from './bridge-script'
import { decodeWire as decode } from './wire'

const MIME: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.woff2': 'font/woff2', '.ico': 'image/x-icon' }
const MAX_BODY = 80 * 1024 * 1024

export interface WebShell {
  url: string
  /** The URL with the token fragment: what the user opens. Never log it. */
  openUrl: string
  close(): Promise<void>
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req) {
    size += (c as Buffer).length
    if (size > MAX_BODY) throw new Error('too large')
    chunks.push(c as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
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

  const handlers = new Map<string, (e: IpcMainInvokeEvent, p: unknown) => Promise<unknown>>()
  const gate = createGate({
    register: (channel, h) => handlers.set(channel, h),
    // The transport check happened per request; the gate's own check is the token + host + origin result.
    isTrustedSender: (e) => (e as unknown as { trusted: boolean }).trusted,
  })
  registerBackend(gate, opts.backend)

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

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const path = decodeURIComponent(url.pathname)
      if (path === '/api/invoke' && req.method === 'POST') {
        const isTrusted = trusted(req)
        let parsed: { channel?: unknown; payload?: unknown }
        try {
          parsed = JSON.parse(await body(req)) as { channel?: unknown; payload?: unknown }
        } catch {
          return json(res, 400, { ok: false, error: { code: 'VALIDATION', message: 'The request was malformed.' } })
        }
        const h = typeof parsed.channel === 'string' ? handlers.get(parsed.channel) : undefined
        if (!h) return json(res, 404, { ok: false, error: { code: 'NOT_FOUND', message: 'Unknown call.' } })
        return json(res, 200, await h({ trusted: isTrusted } as unknown as IpcMainInvokeEvent, decode(parsed.payload ?? undefined)))
      }
      if (path === '/api/events' && req.method === 'GET') {
        if (!trusted(req)) return json(res, 403, { ok: false, error: NOT_THIS_TAB })
        res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
        res.write('\n')
        streams.add(res)
        req.on('close', () => streams.delete(res))
        return
      }
      if (req.headers.host !== origin.slice('http://'.length)) return void res.writeHead(421).end()
      if (path === '/web-bridge.js') return void res.writeHead(200, { 'content-type': MIME['.js']!, 'cache-control': 'no-store' }).end(bridge)
      const file = normalize(join(rendererRoot, path === '/' ? 'index.html' : path))
      if (!file.startsWith(rendererRoot)) return void res.writeHead(403).end()
      try {
        let data = await readFile(file)
        if (file.endsWith(`${sep}index.html`)) {
          // The bridge defines window.api before the app's module script runs.
          data = Buffer.from(data.toString('utf8').replace('<head>', '<head>\n    <script src="./web-bridge.js"></script>'))
        }
        res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'x-content-type-options': 'nosniff' }).end(data)
      } catch {
        res.writeHead(404).end()
      }
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end()
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
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
