/** The live dry run against the real sandbox portal over HTTPS: the directory users 1..200 (multiples of 50 dismissed). */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { validateCommand } from '../../../electron/cli/commands/validate'
import { WEBHOOK_ARG_WARNING } from '../../../electron/cli/caller'
import { importSheet, liveCheck } from '../../../electron/core/import'
import { startSandbox } from '../../../electron/sandbox/index'
import type { Sandbox } from '../../../electron/sandbox/index'
import { testRestCaller } from '../../helpers/rest-caller'
import { tempDir } from '../../helpers/temp'

let sb: Sandbox

beforeAll(async () => {
  sb = await startSandbox({ latencyMs: 0 })
})
afterAll(async () => {
  await sb.close()
})

const sheet = (text: string) => importSheet(new TextEncoder().encode(text), { fileName: 'live.csv' })

describe('live dry run on the sandbox', () => {
  it('resolves e-mails, flags unknown and dismissed users, marks an existing entity pair', async () => {
    const caller = testRestCaller({ webhookUrl: sb.webhookUrl, caPem: sb.caPem })
    const created = await caller.call<number>('im.chat.add', { TITLE: 'Existing', USERS: [2], ENTITY_TYPE: 'BULKTEST', ENTITY_ID: 'phoenix' })
    expect(created.result).toBeTypeOf('number')
    const s = await sheet('TITLE,USERS,OWNER,ENTITY_TYPE,ENTITY_ID\n' +
      'Phoenix,"user3@sandbox.test, 4",,BULKTEST,phoenix\n' +
      'Atlas,"5, USER6@sandbox.test",user7@sandbox.test,BULKTEST,atlas\n' +
      'Ghosts,"nobody@sandbox.test, 100, 999, user150@sandbox.test",,,\n')
    await liveCheck(s, caller)
    const [phoenix, atlas, ghosts] = s.allRows()
    expect(phoenix!.live?.existingChatId).toBe(created.result)
    expect(phoenix!.problems.map((p) => p.code)).toEqual(['CHAT_EXISTS'])
    expect(phoenix!.params.USERS).toEqual([4, 3])
    expect(atlas!.status).toBe('ready')
    expect(atlas!.params.USERS).toEqual([5, 6, 7])
    expect(atlas!.owner).toBe(7)
    expect(atlas!.live?.names[6]).toBeTruthy()
    expect(ghosts!.problems.map((p) => p.code).sort()).toEqual(['EMAIL_UNKNOWN', 'USER_DISMISSED', 'USER_UNKNOWN'])
    expect(ghosts!.problems.find((p) => p.code === 'USER_DISMISSED')!.message).toMatch(/#100 .*user150@sandbox\.test|user150@sandbox\.test.*#100/)
    expect(s.fileProblems).toEqual([])
    expect(caller.calls.filter((m) => m === 'batch').length).toBeLessThanOrEqual(5)
  })

  it('b24chat validate --webhook --ca runs the same check through the portal client', async () => {
    const dir = tempDir('b24-live-')
    await writeFile(join(dir, 'ca.pem'), sb.caPem)
    await writeFile(join(dir, 'sheet.csv'), 'TITLE,USERS\nTeam,"2, user8@sandbox.test, nobody@sandbox.test, 50"\n')
    let out = ''
    const stdout = new PassThrough()
    stdout.on('data', (d: Buffer) => (out += d.toString()))
    const stderr = new PassThrough()
    let err = ''
    stderr.on('data', (d: Buffer) => (err += d.toString()))
    const code = await validateCommand.run([join(dir, 'sheet.csv'), '--json', '--webhook', sb.webhookUrl, '--ca', join(dir, 'ca.pem'), '--data', dir], { stdout, stderr, stdin: new PassThrough(), env: {}, interrupted: new Promise(() => {}) })
    await new Promise((r) => setImmediate(r))
    // The only thing on stderr: --webhook URL is visible in the process list (--webhook-stdin is not).
    expect(err).toBe(`${WEBHOOK_ARG_WARNING}\n`)
    expect(code).toBe(0)
    const row = JSON.parse(out).rows[0]
    expect(row.params.USERS).toEqual([2, 50, 8])
    expect(row.problems.map((p: { code: string }) => p.code).sort()).toEqual(['EMAIL_UNKNOWN', 'USER_DISMISSED'])
    expect(out).not.toContain(new URL(sb.webhookUrl).pathname.split('/')[3])
  })
})
