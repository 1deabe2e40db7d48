import { request } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Backend } from '../../../electron/core/app/backend'
import { MemorySecretStore } from '../../../electron/core/profiles/secret-store'
import { startWebShell } from '../../../electron/web/server'
import type { WebShell } from '../../../electron/web/server'

const TOKEN = 'testTokenForTheWebShell0123456789abcdefgh'

function http(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

describe('browser shell (npm start without Electron)', () => {
  let dir: string
  let shell: WebShell
  let backend: Backend
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'b24-web-'))
    backend = new Backend({ dataDir: dir, secrets: new MemorySecretStore(), host: { version: 't', platform: 'linux', locale: 'en', pickSheetFile: async () => null, openExternal: async () => {} } })
    shell = await startWebShell({ backend, rendererDir: join(dir, 'renderer-missing'), token: TOKEN })
  })
  afterAll(async () => {
    await shell.close()
    await backend.shutdown()
    await rm(dir, { recursive: true, force: true })
  })

  const invoke = (channel: string, payload: unknown, headers: Record<string, string>) =>
    http(`${shell.url}api/invoke`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ channel, payload }) })

  it('gives the token only in the URL fragment (never sent to a server, never in the page)', () => {
    expect(shell.openUrl).toBe(`${shell.url}#token=${TOKEN}`)
  })

  it('answers calls that carry the token, through the same gatekeeper as IPC', async () => {
    const r = await invoke('profiles:list', null, { 'x-b24-token': TOKEN })
    expect(JSON.parse(r.text)).toMatchObject({ ok: true, value: [{ name: 'Sandbox portal' }] })
    const bad = await invoke('profiles:remove', { nope: 1 }, { 'x-b24-token': TOKEN })
    expect(JSON.parse(bad.text)).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
  })

  it('refuses calls without the right token, from another origin, or under another host name', async () => {
    expect(JSON.parse((await invoke('profiles:list', null, {})).text)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(JSON.parse((await invoke('profiles:list', null, { 'x-b24-token': `${TOKEN}x` })).text)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(JSON.parse((await invoke('profiles:list', null, { 'x-b24-token': TOKEN, origin: 'https://evil.example' })).text)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    const port = new URL(shell.url).port
    expect(JSON.parse((await invoke('profiles:list', null, { 'x-b24-token': TOKEN, host: `rebind.example:${port}` })).text)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect((await http(`${shell.url}api/events`)).status).toBe(403)
  })

  it('serves the bridge script that defines window.api from the channel table', async () => {
    const js = await http(`${shell.url}web-bridge.js`)
    expect(js.status).toBe(200)
    expect(js.text).toContain('"profiles.list":"profiles:list"')
    expect(js.text).not.toContain(TOKEN)
    expect((await http(`${shell.url}../../etc/passwd`)).status).toBeGreaterThanOrEqual(400)
  })
})
