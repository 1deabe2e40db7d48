/** One-off webhooks on the command line: --webhook-stdin keeps the secret out of the process list; --webhook URL warns. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../../electron/cli/main'
import type { CliIO } from '../../../electron/cli/types'
import { WEBHOOK_ARG_WARNING } from '../../../electron/cli/caller'
import { startSandbox } from '../../../electron/sandbox'
import type { Sandbox } from '../../../electron/sandbox'

let sb: Sandbox
let dir: string

function io(stdinText: string | null = null): { io: CliIO; out: () => string; err: () => string } {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (d: Buffer) => (out += d.toString()))
  stderr.on('data', (d: Buffer) => (err += d.toString()))
  const stdin = stdinText === null ? new PassThrough() : Readable.from([stdinText])
  return { io: { stdout, stderr, stdin, env: {}, interrupted: new Promise(() => {}) }, out: () => out, err: () => err }
}

beforeAll(async () => {
  sb = await startSandbox({ latencyMs: 1, seed: 5 })
  dir = await mkdtemp(join(tmpdir(), 'b24-cli-stdin-'))
  await writeFile(join(dir, 'ca.pem'), sb.caPem)
  await writeFile(join(dir, 'one.csv'), 'TITLE,USERS\nFrom stdin,2\n')
})
afterAll(async () => {
  await sb.close()
  await rm(dir, { recursive: true, force: true })
})

const secretOf = (url: string): string => url.split('/')[5] as string

describe('--webhook-stdin', () => {
  it('sync reads the webhook from standard input, creates the chats, prints no warning and no secret', async () => {
    const r = io(`${sb.webhookUrl}\n`)
    const code = await runCli(['sync', join(dir, 'one.csv'), '--webhook-stdin', '--ca', join(dir, 'ca.pem'), '--data', join(dir, 'data')], r.io)
    expect(code, r.out() + r.err()).toBe(0)
    expect(sb.chats().map((c) => c.title)).toContain('From stdin')
    expect(r.err()).not.toContain('process list')
    expect(r.out() + r.err()).not.toContain(secretOf(sb.webhookUrl))
  })

  it('validate checks against the portal with a webhook from standard input', async () => {
    const r = io(sb.webhookUrl)
    expect(await runCli(['validate', join(dir, 'one.csv'), '--webhook-stdin', '--ca', join(dir, 'ca.pem'), '--json', '--data', join(dir, 'data')], r.io), r.err()).toBe(0)
    expect(r.err()).toBe('')
    expect(r.out()).not.toContain(secretOf(sb.webhookUrl))
  })

  it('--webhook URL still works but warns that the secret shows in the process list', async () => {
    const r = io()
    expect(await runCli(['sync', join(dir, 'one.csv'), '--webhook', sb.webhookUrl, '--ca', join(dir, 'ca.pem'), '--data', join(dir, 'data'), '--dry-run'], r.io), r.err()).toBe(0)
    expect(r.err()).toContain(WEBHOOK_ARG_WARNING)
    expect(WEBHOOK_ARG_WARNING).toMatch(/process list[\s\S]*--webhook-stdin/)
    const v = io()
    expect(await runCli(['validate', join(dir, 'one.csv'), '--webhook', sb.webhookUrl, '--ca', join(dir, 'ca.pem'), '--data', join(dir, 'data')], v.io)).toBe(0)
    expect(v.err()).toContain(WEBHOOK_ARG_WARNING)
  })

  it('refuses an empty standard input, a bad URL and two sources at once, with clear messages', async () => {
    const empty = io('')
    expect(await runCli(['sync', join(dir, 'one.csv'), '--webhook-stdin', '--data', join(dir, 'data')], empty.io)).toBe(1)
    expect(empty.err()).toMatch(/--webhook-stdin: standard input was empty/)
    const http = io('http://127.0.0.1/rest/1/abcdefgh/')
    expect(await runCli(['sync', join(dir, 'one.csv'), '--webhook-stdin', '--data', join(dir, 'data')], http.io)).toBe(1)
    expect(http.err()).toMatch(/--webhook-stdin: .*https/)
    const both = io(sb.webhookUrl)
    expect(await runCli(['sync', join(dir, 'one.csv'), '--webhook-stdin', '--profile', 'Main', '--data', join(dir, 'data')], both.io)).toBe(2)
    const bothValidate = io(sb.webhookUrl)
    expect(await runCli(['validate', join(dir, 'one.csv'), '--webhook-stdin', '--webhook', sb.webhookUrl], bothValidate.io)).toBe(2)
    expect(bothValidate.err()).toMatch(/not several/)
  })
})
