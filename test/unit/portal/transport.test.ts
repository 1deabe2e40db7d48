/**
 * The bounded transport against hostile servers on 127.0.0.1 (issue 13, "Seen" 7): an endless 200 body, a TCP
 * server that never starts TLS, one that never answers, headers then a trickle, an oversized Content-Length, a
 * connect that never completes. Each ends with its own message and the TransportError kind exactly-once rests
 * on: nothing written → "connect" (safe to resend); written → "timeout" / "too-large" / "reset" (outcome unknown).
 * Bounds are small here so each case ends in well under a second.
 */
import { createServer as createHttpsServer } from 'node:https'
import type { Server as HttpsServer } from 'node:https'
import { createServer as createTcpServer } from 'node:net'
import type { Server as TcpServer, Socket } from 'node:net'
import nodeTls from 'node:tls'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createHttpsTransport, TransportError } from '../../../electron/core/portal/transport'
import type { HttpsTransportOptions } from '../../../electron/core/portal/transport'
import { sandboxCertificate } from '../../../electron/sandbox/tls'

let tls: { key: string; cert: string }
const servers: (HttpsServer | TcpServer)[] = []
const sockets = new Set<Socket>()
const timers = new Set<NodeJS.Timeout>()
/** Requests the servers saw (a request that reached one may have been acted on). */
const seen: string[] = []

async function listen(s: HttpsServer | TcpServer): Promise<number> {
  s.on('connection', (c: Socket) => {
    sockets.add(c)
    c.on('close', () => sockets.delete(c))
    c.on('error', () => {})
  })
  servers.push(s)
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  return (s.address() as { port: number }).port
}

const ports: Record<string, number> = {}

beforeAll(async () => {
  tls = await sandboxCertificate()
  const opts = { key: tls.key, cert: tls.cert }
  ports.endless = await listen(createHttpsServer(opts, (req, res) => {
    seen.push(`endless ${req.url}`)
    res.writeHead(200, { 'content-type': 'application/json' })
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk)) { /* until the socket pushes back */ }
    }
    res.on('drain', pump)
    res.on('error', () => {})
    pump()
  }))
  ports.declared = await listen(createHttpsServer(opts, (req, res) => {
    seen.push(`declared ${req.url}`)
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(100 * 1024 * 1024) })
    res.write('{')
  }))
  ports.noTls = await listen(createTcpServer(() => {}))
  ports.silent = await listen(createHttpsServer(opts, (req) => {
    seen.push(`silent ${req.url}`)
  }))
  ports.trickle = await listen(createHttpsServer(opts, (req, res) => {
    seen.push(`trickle ${req.url}`)
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{')
    const t = setInterval(() => res.write(' '), 50)
    timers.add(t)
    res.on('close', () => clearInterval(t))
  }))
  ports.ok = await listen(createHttpsServer(opts, (req, res) => {
    seen.push(`ok ${req.url}`)
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{"result":true}')
  }))
})

afterAll(async () => {
  for (const t of timers) clearInterval(t)
  for (const c of sockets) c.destroy()
  await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r(null)))))
})

const BOUNDS: HttpsTransportOptions = { connectTimeoutMs: 300, tlsTimeoutMs: 300, maxResponseBytes: 1024 * 1024 }

async function failure(p: Promise<unknown>): Promise<TransportError> {
  try {
    await p
  } catch (e) {
    if (e instanceof TransportError) return e
    throw e
  }
  throw new Error('expected a TransportError')
}

function post(port: number, path: string, extra: HttpsTransportOptions = {}, timeoutMs = 300, host = '127.0.0.1') {
  const t = createHttpsTransport({ ca: tls.cert, ...BOUNDS, ...extra })
  const done = t({ method: 'POST', url: `https://${host}:${port}${path}`, headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs })
  return done.finally(() => t.close())
}

describe('bounded HTTPS transport', () => {
  it('answers normally within the bounds', async () => {
    expect(await post(ports.ok!, '/ok')).toMatchObject({ status: 200, body: '{"result":true}' })
  })

  it('an endless 200 body stops at the size cap: "too-large", and no more than the cap is kept', async () => {
    const before = process.memoryUsage().arrayBuffers
    const e = await failure(post(ports.endless!, '/endless'))
    expect(e.kind).toBe('too-large')
    expect(e.message).toBe("The portal's answer is larger than the 1 MB this app reads; it was not read")
    // The client kept at most the cap (plus a chunk) while the server went on pushing.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024)
    expect(seen).toContain('endless /endless')
  })

  it('a Content-Length over the cap is refused before its body is read', async () => {
    const e = await failure(post(ports.declared!, '/declared'))
    expect(e.kind).toBe('too-large')
    expect(e.message).toBe("The portal's answer is 100 MB, more than the 1 MB this app reads; it was not read")
  })

  it('a TCP server that never starts TLS: a TLS-handshake timeout, "connect" (nothing was sent)', async () => {
    const e = await failure(post(ports.noTls!, '/no-tls'))
    expect(e.kind).toBe('connect')
    expect(e.message).toBe(`The TLS handshake with 127.0.0.1:${ports.noTls} did not finish within 0.3 s`)
  })

  it('a connect that never completes: a connect timeout, "connect"', async () => {
    // The host-name lookup never answers, so the socket never connects.
    const e = await failure(post(ports.ok!, '/never', { lookup: () => undefined }, 300, 'portal.test'))
    expect(e.kind).toBe('connect')
    expect(e.message).toBe(`Could not connect to portal.test:${ports.ok} within 0.3 s`)
  })

  it('a server that reads the request and never answers: a first-byte timeout, "timeout" (outcome unknown)', async () => {
    const e = await failure(post(ports.silent!, '/silent'))
    expect(e.kind).toBe('timeout')
    expect(e.message).toBe('The portal did not start answering within 0.3 s after the request was sent')
    expect(seen).toContain('silent /silent')
    // A shorter first-byte timeout of its own, under a longer deadline.
    const t = createHttpsTransport({ ca: tls.cert, ...BOUNDS })
    const short = await failure(t({ method: 'POST', url: `https://127.0.0.1:${ports.silent}/short`, headers: {}, body: '{}', timeoutMs: 5_000, firstByteMs: 200 }))
    t.close()
    expect(short.message).toBe('The portal did not start answering within 0.2 s after the request was sent')
  })

  it('headers at once, then a trickle: the whole-response deadline, "timeout"', async () => {
    const e = await failure(post(ports.trickle!, '/trickle', {}, 400))
    expect(e.kind).toBe('timeout')
    expect(e.message).toBe("The portal's answer did not finish within 0.4 s after the request was sent (it arrived too slowly)")
  })

  it('an abort before anything is written is "aborted"; while waiting for the answer, "reset"', async () => {
    const t = createHttpsTransport({ ca: tls.cert, ...BOUNDS })
    const ac = new AbortController()
    ac.abort()
    expect((await failure(t({ method: 'POST', url: `https://127.0.0.1:${ports.ok}/a`, headers: {}, body: '{}', timeoutMs: 300, signal: ac.signal }))).kind).toBe('aborted')
    const late = new AbortController()
    const p = t({ method: 'POST', url: `https://127.0.0.1:${ports.silent}/late`, headers: {}, body: '{}', timeoutMs: 5_000, signal: late.signal })
    while (!seen.includes('silent /late')) await new Promise((r) => setTimeout(r, 10))
    late.abort()
    expect((await failure(p)).kind).toBe('reset')
    t.close()
  })

  it('a kept-alive socket serves the next request without connect or TLS bounds getting in the way', async () => {
    const t = createHttpsTransport({ ca: tls.cert, ...BOUNDS, maxSockets: 1 })
    for (let i = 0; i < 3; i++) expect((await t({ method: 'GET', url: `https://127.0.0.1:${ports.ok}/k${i}`, headers: {}, timeoutMs: 300 })).status).toBe(200)
    t.close()
  })

  it('concurrent connections share one TLS context (the trusted CAs are not parsed again per connection)', async () => {
    const t = createHttpsTransport({ ca: tls.cert, ...BOUNDS, maxSockets: 6 })
    // Node's TLS sockets build a context of their own through the module's createSecureContext when given none.
    const made = vi.spyOn(nodeTls, 'createSecureContext')
    try {
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => t({ method: 'GET', url: `https://127.0.0.1:${ports.ok}/c${i}`, headers: {}, timeoutMs: 1000 })))
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200])
      expect(made).not.toHaveBeenCalled()
    } finally {
      made.mockRestore()
      t.close()
    }
  })
})
