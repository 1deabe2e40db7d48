import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { httpsRequest, sandboxAgent, startTestSandbox, writeCaFile } from '../../helpers/sandbox'
import type { TestSandbox } from '../../helpers/sandbox'

/** The exact body of bitrix-tools/b24-rest-docs#193 (literal on purpose: not the sandbox's own constant). */
const QLE_BODY = '{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}'

const CLIENT = fileURLToPath(new URL('./clients/jssdk-client.mjs', import.meta.url))
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

let t: TestSandbox | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

function runNode(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000)
    p.on('error', reject)
    p.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

const TIME_KEYS = ['start', 'finish', 'duration', 'processing', 'date_start', 'date_finish', 'operating']

describe('conformance with the official @bitrix24/b24jssdk 2.2.0 (unmodified, B24Hook.fromWebhookUrl)', () => {
  it('creates a chat, runs a 50-command batch, finds a chat by entity pair and a user by e-mail', async () => {
    t = await startTestSandbox({ latencyMs: 0 })
    const ca = writeCaFile(t.sb)
    const r = await runNode(CLIENT, { NODE_EXTRA_CA_CERTS: ca, SANDBOX_WEBHOOK: t.sb.webhookUrl })
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}')
    expect(out.error).toBeUndefined()
    expect(out.chatId).toBe(1)
    for (const k of TIME_KEYS) expect(out.chatTime).toHaveProperty(k)
    expect(out.batchOk).toBe(true)
    expect(Object.keys(out.batchData)).toHaveLength(50)
    expect(out.batchData.c7).toBe(9)
    expect(out.found).toEqual({ ID: 9 })
    expect(out.user).toHaveLength(1)
    expect(out.user[0]).toMatchObject({ ID: '7', EMAIL: 'user7@sandbox.test', ACTIVE: true })

    const chats = t.sb.chats()
    expect(chats).toHaveLength(51)
    expect(chats[0]).toMatchObject({ title: 'SDK chat', color: 'PINK', users: [1, 2, 3], messages: ['Hello + welcome'], entityType: 'SDKTEST', entityId: 'row-1' })
    // The SDK encodes the batch rows so that "+" survives PHP's parse_str.
    expect(chats[1]).toMatchObject({ title: 'Batch 0 a+b', users: [1, 2], entityId: 'batch-0' })
    expect(t.sb.stats().requests).toMatchObject({ 'im.chat.add': 1, batch: 1, 'im.chat.get': 1, 'user.get': 1 })
  })
})

describe('the curl examples of im.chat.add.txt', () => {
  const body = { USERS: [103, 547], TYPE: 'CHAT', TITLE: 'Deal Chat', DESCRIPTION: 'Discussing the deal here', COLOR: 'PINK', MESSAGE: 'Welcome to the deal chat', ENTITY_TYPE: 'CRM', ENTITY_ID: 'DEAL|1663' }
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' }

  it('webhook form gets {"result": <int>, "time": {...}}', async () => {
    t = await startTestSandbox({ latencyMs: 0 })
    const r = await httpsRequest(t.sb, { method: 'POST', path: `${t.sb.webhookUrl}im.chat.add`, headers, body: JSON.stringify(body) })
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(Object.keys(r.json)).toEqual(['result', 'time'])
    expect(Number.isInteger(r.json.result)).toBe(true)
    for (const k of TIME_KEYS) expect(r.json.time).toHaveProperty(k)
    expect(t.sb.chats()[0]).toMatchObject({ title: 'Deal Chat', color: 'PINK', users: [1, 103], description: 'Discussing the deal here', messages: ['Discussing the deal here', 'Welcome to the deal chat'], entityType: 'CRM', entityId: 'DEAL|1663' })
  })

  it('auth form (OAuth token in the body) gets {"result": <int>, "time": {...}}', async () => {
    t = await startTestSandbox({ latencyMs: 0 })
    const r = await httpsRequest(t.sb, { method: 'POST', path: '/rest/im.chat.add', headers, body: JSON.stringify({ ...body, auth: t.sb.oauth.accessToken }) })
    expect(r.status).toBe(200)
    expect(Object.keys(r.json)).toEqual(['result', 'time'])
    expect(Number.isInteger(r.json.result)).toBe(true)
    expect(r.json.time.duration).toBeGreaterThanOrEqual(0)
  })
})

describe('80 concurrent unthrottled requests to a fresh sandbox', () => {
  it('about 50 succeed and every other one gets the exact 503 body, with no side effects', async () => {
    t = await startTestSandbox({ latencyMs: 0 })
    const agent = sandboxAgent(t.sb, { keepAlive: false })
    const replies = await Promise.all(
      Array.from({ length: 80 }, (_, i) => httpsRequest(t!.sb, { path: `${t!.sb.webhookUrl}im.chat.add`, body: { TITLE: `c${i}` }, agent })),
    )
    agent.destroy()
    const ok = replies.filter((r) => r.status === 200)
    const limited = replies.filter((r) => r.status === 503)
    expect(ok.length + limited.length).toBe(80)
    expect(ok.length).toBeGreaterThanOrEqual(50)
    expect(ok.length).toBeLessThanOrEqual(55)
    for (const r of limited) expect(r.text).toBe(QLE_BODY)
    expect(t.sb.chats()).toHaveLength(ok.length)
    expect(t.sb.stats().status503).toBe(limited.length)
  })
})
