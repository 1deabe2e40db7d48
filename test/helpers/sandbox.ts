/**
 * Test helper: start a sandbox portal and talk to it over real HTTPS with its self-signed CA trusted (never by
 * turning TLS checks off).
 *
 *   const t = await startTestSandbox({ latencyMs: 0 })
 *   const r = await t.call('im.chat.add', { TITLE: 'x' })      // via the default webhook, JSON body
 *   expect(r.status).toBe(200); expect(r.json.result).toBeTypeOf('number')
 *   await t.close()
 */
import { writeFileSync } from 'node:fs'
import { Agent, request } from 'node:https'
import type { IncomingHttpHeaders } from 'node:http'
import { join } from 'node:path'
import { startSandbox } from '../../electron/sandbox/index'
import type { Sandbox, SandboxOptions } from '../../electron/sandbox/index'
import { tempDir } from './temp'

export interface HttpReply {
  status: number
  headers: IncomingHttpHeaders
  text: string
  /** Parsed JSON body, or undefined when the body is not JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any
}

export interface RequestSpec {
  method?: 'GET' | 'POST'
  /** Path (with query) or absolute https URL. */
  path: string
  headers?: Record<string, string>
  /** An object is sent as JSON; a string as given (set content-type yourself). */
  body?: unknown
  agent?: Agent
  /** Client timeout in ms (rejects with Error('timeout')). Default 30 s. */
  timeoutMs?: number
}

/** An https.Agent that trusts the sandbox's certificate. */
export function sandboxAgent(sb: Pick<Sandbox, 'caPem'>, opts: { keepAlive?: boolean; maxSockets?: number } = {}): Agent {
  return new Agent({ ca: sb.caPem, keepAlive: opts.keepAlive ?? true, maxSockets: opts.maxSockets ?? Infinity })
}

/** Writes the CA to a temp file (for NODE_EXTRA_CA_CERTS in child processes), removed when the test ends; returns its path. */
export function writeCaFile(sb: Pick<Sandbox, 'caPem'>): string {
  const file = join(tempDir('sandbox-ca-'), 'sandbox-ca.pem')
  writeFileSync(file, sb.caPem)
  return file
}

/** One HTTPS request to the sandbox (or any https URL with the given agent). */
export function httpsRequest(sb: Pick<Sandbox, 'origin' | 'caPem'>, spec: RequestSpec): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const url = spec.path.startsWith('https://') ? spec.path : sb.origin + spec.path
    let data: string | undefined
    const headers: Record<string, string> = { ...(spec.headers ?? {}) }
    if (spec.body !== undefined) {
      if (typeof spec.body === 'string') data = spec.body
      else {
        data = JSON.stringify(spec.body)
        headers['content-type'] ??= 'application/json'
      }
      headers['content-length'] = String(Buffer.byteLength(data))
    }
    const req = request(url, { method: spec.method ?? (data === undefined ? 'GET' : 'POST'), headers, ...(spec.agent ? { agent: spec.agent } : { ca: sb.caPem, agent: false }) }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          json = undefined
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
      })
      res.on('error', reject)
    })
    req.setTimeout(spec.timeoutMs ?? 30_000, () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end(data)
  })
}

export interface TestSandbox {
  sb: Sandbox
  agent: Agent
  /** Path of the webhook, e.g. /rest/1/SECRET/ */
  webhookPath: string
  /** Calls a REST method through the default webhook (or `via.webhookUrl`, or OAuth with `via.auth`). */
  call(method: string, params?: Record<string, unknown>, via?: { webhookUrl?: string; auth?: string; agent?: Agent }): Promise<HttpReply>
  /** An inspection call with the admin header. */
  admin(method: 'GET' | 'POST', route: string, body?: unknown): Promise<HttpReply>
  close(): Promise<void>
}

export async function startTestSandbox(opts: SandboxOptions = {}): Promise<TestSandbox> {
  const sb = await startSandbox(opts)
  const agent = sandboxAgent(sb)
  const webhookPath = new URL(sb.webhookUrl).pathname
  return {
    sb,
    agent,
    webhookPath,
    call(method, params = {}, via = {}) {
      if (via.auth !== undefined) return httpsRequest(sb, { path: `/rest/${method}`, body: { ...params, auth: via.auth }, agent: via.agent ?? agent })
      const base = via.webhookUrl ?? sb.webhookUrl
      return httpsRequest(sb, { path: base + method, body: params, agent: via.agent ?? agent })
    },
    admin(method, route, body) {
      return httpsRequest(sb, { method, path: `/_sandbox/${route}`, headers: { 'x-sandbox-admin': sb.adminToken }, body, agent })
    },
    async close() {
      agent.destroy()
      await sb.close()
    },
  }
}

/** A real PNG of the given size, base64 without prefix (pngjs). */
export async function pngBase64(width: number, height: number): Promise<string> {
  const { PNG } = await import('pngjs')
  const png = new PNG({ width, height })
  png.data.fill(200)
  return PNG.sync.write(png).toString('base64')
}

/** Only the signature + IHDR of a PNG claiming `width`×`height` (enough for size sniffing; cheap for 6000 px). */
export function pngHeaderBase64(width: number, height: number): string {
  const ihdr = Buffer.alloc(25)
  ihdr.writeUInt32BE(13, 0)
  ihdr.write('IHDR', 4, 'latin1')
  ihdr.writeUInt32BE(width, 8)
  ihdr.writeUInt32BE(height, 12)
  ihdr[16] = 8
  ihdr[17] = 6
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr, Buffer.alloc(16)]).toString('base64')
}
