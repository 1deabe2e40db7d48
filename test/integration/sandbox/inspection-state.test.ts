import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sandboxCommand } from '../../../electron/cli/commands/sandbox'
import type { CliIO } from '../../../electron/cli/types'
import { startSandbox } from '../../../electron/sandbox/index'
import { httpsRequest, startTestSandbox } from '../../helpers/sandbox'
import type { TestSandbox } from '../../helpers/sandbox'
import { tempDir } from '../../helpers/temp'

describe('inspection API', () => {
  let t: TestSandbox
  beforeAll(async () => {
    t = await startTestSandbox({ latencyMs: 0, burst: 100_000 })
  })
  afterAll(() => t.close())

  it('requires the X-Sandbox-Admin header', async () => {
    for (const headers of [{}, { 'x-sandbox-admin': 'wrong' }] as Record<string, string>[]) {
      const r = await httpsRequest(t.sb, { path: '/_sandbox/chats', headers, agent: t.agent })
      expect(r.status).toBe(401)
    }
  })

  it('lists chats in the documented shape and reports stats', async () => {
    await t.call('im.chat.add', { TITLE: 'Insp', TYPE: 'OPEN', USERS: [2], DESCRIPTION: 'd', ENTITY_TYPE: 'E', ENTITY_ID: '9' })
    const chats = await t.admin('GET', 'chats')
    expect(chats.json).toEqual([{ id: 1, title: 'Insp', type: 'OPEN', color: 'RED', description: 'd', users: [1, 2], ownerId: 1, entityType: 'E', entityId: '9', avatar: null, messages: ['d'] }])
    expect(chats.json).toEqual(t.sb.chats())
    const stats = await t.admin('GET', 'stats')
    expect(stats.json).toMatchObject({ requests: { 'im.chat.add': 1 }, calls: { 'im.chat.add': 1 }, status503: 0, status429: 0, chats: 1, bucket: { burst: 100_000, rps: 2 } })
    expect(stats.json.bucket.level).toBeGreaterThan(0)
  })

  it('changes faults and switches, expires tokens, and resets', async () => {
    expect((await t.admin('POST', 'faults', { qle: 1 })).json).toEqual({ qle: 1 })
    expect((await t.call('profile')).status).toBe(503)
    expect((await t.admin('POST', 'faults', {})).json).toEqual({})
    expect((await t.admin('POST', 'faults', { nope: 1 })).status).toBe(200) // unknown keys ignored
    expect((await t.admin('POST', 'faults', { qle: 3 })).status).toBe(400)
    expect((await t.admin('POST', 'config', { colorsEnabled: false })).json.colorsEnabled).toBe(false)
    await t.call('im.chat.add', {})
    expect(t.sb.chats().at(-1)?.color).toBe('MARENGO')
    expect((await t.admin('POST', 'config', { colorsEnabled: 'maybe' })).status).toBe(400)
    await t.admin('POST', 'config', { colorsEnabled: true })
    await t.admin('POST', 'expire-tokens')
    expect((await t.call('profile', {}, { auth: t.sb.oauth.accessToken })).json.error).toBe('expired_token')
    expect((await t.admin('POST', 'reset')).json).toEqual({ ok: true })
    expect(t.sb.chats()).toEqual([])
    expect(t.sb.stats().totalRequests).toBe(0)
    await t.call('im.chat.add', {})
    expect(t.sb.chats()[0]).toMatchObject({ id: 1, title: 'Red Chat #1' })
  })
})

describe('stateFile', () => {
  it('keeps chats, counters, the webhook secret, admin token, OAuth app and certificate across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-state-'))
    const file = join(dir, 'sandbox.json')
    try {
      const a = await startSandbox({ latencyMs: 0, stateFile: file })
      const ta = { sb: a }
      await httpsRequest(ta.sb, { path: `${a.webhookUrl}im.chat.add`, body: { TITLE: 'Kept', USERS: [2], ENTITY_TYPE: 'S', ENTITY_ID: '1' } })
      await httpsRequest(ta.sb, { path: `${a.webhookUrl}im.chat.add`, body: {} })
      const before = { webhookUrl: a.webhookUrl, adminToken: a.adminToken, caPem: a.caPem, oauth: a.oauth, chats: a.chats() }
      // Changes are on disk before the response, even without a clean close.
      expect(readFileSync(`${file}.log`, 'utf8')).toContain('"Kept"')
      await a.close()
      expect(readFileSync(file, 'utf8')).not.toContain('"Kept"\n')

      const b = await startSandbox({ latencyMs: 0, stateFile: file, port: 0 })
      try {
        expect(new URL(b.webhookUrl).pathname).toBe(new URL(before.webhookUrl).pathname)
        expect(b.adminToken).toBe(before.adminToken)
        expect(b.caPem).toBe(before.caPem)
        expect(b.oauth.clientId).toBe(before.oauth.clientId)
        expect(b.oauth.refreshToken).toBe(before.oauth.refreshToken)
        expect(b.chats()).toEqual(before.chats)
        const r = await httpsRequest(b, { path: `${b.webhookUrl}im.chat.add`, body: {} })
        expect(r.json.result).toBe(3)
        expect(b.chats()[2]?.title).toBe('Mint Chat #1') // RED and GREEN were used before the restart
        expect((await httpsRequest(b, { path: `${b.webhookUrl}im.chat.get`, body: { ENTITY_TYPE: 'S', ENTITY_ID: '1' } })).json.result).toEqual({ ID: 1 })
      } finally {
        await b.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('replays the log of a sandbox that was never closed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-state-'))
    const file = join(dir, 'sandbox.json')
    try {
      const a = await startSandbox({ latencyMs: 0, stateFile: file })
      await httpsRequest(a, { path: `${a.webhookUrl}im.chat.add`, body: { TITLE: 'Crash-safe' } })
      const b = await startSandbox({ latencyMs: 0, stateFile: file })
      try {
        expect(b.chats().map((c) => c.title)).toEqual(['Crash-safe'])
      } finally {
        await b.close()
        await a.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('b24chat sandbox', () => {
  function fakeIo(): { io: CliIO; out: () => string; err: () => string; interrupt: () => void } {
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    let o = ''
    let e = ''
    stdout.on('data', (c: Buffer) => (o += c.toString()))
    stderr.on('data', (c: Buffer) => (e += c.toString()))
    let interrupt: () => void = () => {}
    const interrupted = new Promise<NodeJS.Signals>((r) => (interrupt = () => r('SIGINT')))
    return { io: { stdout, stderr, stdin: new PassThrough(), env: {}, interrupted }, out: () => o, err: () => e, interrupt }
  }

  it('prints the webhook, CA file, admin token and OAuth app, serves until interrupted, then closes', async () => {
    const f = fakeIo()
    const exit = sandboxCommand.run(['--port', '0', '--latency-ms', '0', '--seed', '4', '--faults', 'qle=0'], f.io)
    for (let i = 0; i < 500 && !f.out().includes('oauth-refresh-token:'); i++) await new Promise((r) => setTimeout(r, 10))
    const lines = f.out().trim().split('\n')
    expect(lines.map((l) => l.split(':')[0])).toEqual(['webhook', 'ca', 'admin', 'oauth-token-url', 'oauth-client-id', 'oauth-client-secret', 'oauth-access-token', 'oauth-refresh-token'])
    const value = (k: string): string => (lines.find((l) => l.startsWith(`${k}: `)) ?? '').slice(k.length + 2)
    const webhook = value('webhook')
    expect(webhook).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/rest\/1\/[a-z0-9]{16}\/$/)
    const caPem = readFileSync(value('ca'), 'utf8')
    const origin = new URL(webhook).origin
    const r = await httpsRequest({ origin, caPem }, { path: `${webhook}profile`, body: {} })
    expect(r.json.result.ID).toBe('1')
    const stats = await httpsRequest({ origin, caPem }, { path: '/_sandbox/stats', headers: { 'x-sandbox-admin': value('admin') } })
    expect(stats.json.requests.profile).toBe(1)
    expect(value('oauth-token-url')).toBe(`${origin}/oauth/token/`)
    f.interrupt()
    expect(await exit).toBe(0)
    await expect(httpsRequest({ origin, caPem }, { path: `${webhook}profile`, body: {} })).rejects.toThrow()
    // The temporary CA goes with the sandbox: nothing of it is left in the temp folder.
    expect(existsSync(value('ca'))).toBe(false)
    expect(existsSync(dirname(value('ca')))).toBe(false)
  })

  it('--ca-file FILE: the CA is written there and kept after the sandbox stops', async () => {
    const file = join(tempDir('sandbox-cafile-'), 'my-ca.pem')
    const f = fakeIo()
    const exit = sandboxCommand.run(['--port', '0', '--latency-ms', '0', '--ca-file', file], f.io)
    for (let i = 0; i < 500 && !f.out().includes('oauth-refresh-token:'); i++) await new Promise((r) => setTimeout(r, 10))
    expect(f.out()).toContain(`ca: ${file}\n`)
    const caPem = readFileSync(file, 'utf8')
    expect(caPem).toContain('BEGIN CERTIFICATE')
    f.interrupt()
    expect(await exit).toBe(0)
    expect(readFileSync(file, 'utf8')).toBe(caPem)
  })

  it('--workers and --queue set the server capacity; a bad value is refused', async () => {
    const f = fakeIo()
    const exit = sandboxCommand.run(['--port', '0', '--latency-ms', '0', '--workers', '3', '--queue', '5'], f.io)
    for (let i = 0; i < 500 && !f.out().includes('oauth-refresh-token:'); i++) await new Promise((r) => setTimeout(r, 10))
    const value = (k: string): string => (f.out().split('\n').find((l) => l.startsWith(`${k}: `)) ?? '').slice(k.length + 2)
    const origin = new URL(value('webhook')).origin
    const stats = await httpsRequest({ origin, caPem: readFileSync(value('ca'), 'utf8') }, { path: '/_sandbox/stats', headers: { 'x-sandbox-admin': value('admin') } })
    expect(stats.json.capacity).toMatchObject({ workers: 3, queueLimit: 5 })
    f.interrupt()
    expect(await exit).toBe(0)
    const bad = fakeIo()
    expect(await sandboxCommand.run(['--workers', 'two'], bad.io)).toBe(2)
    expect(bad.err()).toMatch(/--workers/)
  })

  it('refuses bad options with exit code 2 and the usage', async () => {
    for (const argv of [['--plan', 'gold'], ['--faults', 'boom=1'], ['--port', 'x'], ['--nope']]) {
      const f = fakeIo()
      expect(await sandboxCommand.run(argv, f.io)).toBe(2)
      expect(f.err()).toContain('Usage:')
    }
  })
})
