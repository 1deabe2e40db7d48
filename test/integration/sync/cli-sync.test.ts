/** `b24chat sync` against the sandbox over HTTPS: exit codes, results file, resume by sheet content, dry run. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSandbox } from '../../../electron/sandbox'
import type { Sandbox } from '../../../electron/sandbox'
import { runSync } from '../../../electron/cli/commands/sync'
import type { CliIO } from '../../../electron/cli/types'

let sb: Sandbox
let dir: string

function io(): { io: CliIO; out: () => string } {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let text = ''
  stdout.on('data', (d: Buffer) => (text += d.toString()))
  stderr.on('data', (d: Buffer) => (text += d.toString()))
  return { io: { stdout, stderr, stdin: new PassThrough(), env: {}, interrupted: new Promise(() => {}) }, out: () => text }
}

beforeAll(async () => {
  sb = await startSandbox({ latencyMs: 2, seed: 3, burst: 50, rps: 20 })
  dir = await mkdtemp(join(tmpdir(), 'b24-cli-sync-'))
  await writeFile(join(dir, 'ca.pem'), sb.caPem)
})
afterAll(async () => {
  await sb.close()
  await rm(dir, { recursive: true, force: true })
})

describe('b24chat sync', () => {
  it('creates the chats, writes the results, exits 0; the same command again resumes and creates nothing', async () => {
    const sheet = join(dir, 'ok.csv')
    await writeFile(sheet, 'TITLE,USERS,Note\nAlpha,"2, 3",=cmd\nBeta,4,\n')
    const args = [sheet, '--webhook', sb.webhookUrl, '--ca', join(dir, 'ca.pem'), '--data', join(dir, 'data'), '--results', join(dir, 'out.csv')]
    const a = io()
    expect(await runSync(args, a.io), a.out()).toBe(0)
    // Two rows may go as two batches of one, in flight at once: the chats are made in either order.
    expect(sb.chats().map((c) => c.title).sort()).toEqual(['Alpha', 'Beta'])
    const alpha = sb.chats().find((c) => c.title === 'Alpha')?.id
    const csv = await readFile(join(dir, 'out.csv'), 'utf8')
    expect(csv).toContain(`Alpha,"2, 3",'=cmd,created,${alpha},${sb.origin}/online/?IM_DIALOG=chat${alpha},,`)
    const b = io()
    expect(await runSync(args, b.io)).toBe(0)
    expect(b.out()).toMatch(/Resuming job/)
    expect(sb.chats()).toHaveLength(2)
    expect(a.out()).not.toContain(sb.webhookUrl.split('/')[5] as string)
  })

  it('exits 3 when a row fails at the portal or in validation, and reports it', async () => {
    const sheet = join(dir, 'bad.csv')
    await writeFile(sheet, `TITLE,COLOR\nGood,RED\nBad colour,Fuchsia\n${'x'.repeat(300)},RED\n`)
    const r = io()
    const code = await runSync([sheet, '--webhook', sb.webhookUrl, '--ca', join(dir, 'ca.pem'), '--data', join(dir, 'data')], r.io)
    expect(code, r.out()).toBe(3)
    expect(r.out()).toMatch(/not sent — COLOR_INVALID/)
    expect(r.out()).toMatch(/Done: 1 created/)
  })

  it('--dry-run checks the connection and sends nothing', async () => {
    const before = sb.chats().length
    const sheet = join(dir, 'dry.csv')
    await writeFile(sheet, 'TITLE\nOne\nTwo\n')
    const r = io()
    expect(await runSync([sheet, '--webhook', sb.webhookUrl, '--ca', join(dir, 'ca.pem'), '--data', join(dir, 'data'), '--dry-run'], r.io)).toBe(0)
    expect(r.out()).toMatch(/would create 2 chats/)
    expect(sb.chats()).toHaveLength(before)
  })

  it('refuses a call without a portal, and plain http', async () => {
    const r = io()
    expect(await runSync([join(dir, 'dry.csv')], r.io)).toBe(2)
    const h = io()
    expect(await runSync([join(dir, 'dry.csv'), '--webhook', 'http://127.0.0.1/rest/1/abcdefgh/', '--data', join(dir, 'data')], h.io)).toBe(1)
    expect(h.out()).toMatch(/https/)
  })
})
