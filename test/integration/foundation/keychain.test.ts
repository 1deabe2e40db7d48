import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeProfileCommand } from '../../../electron/cli/commands/profile'
import type { CliIO } from '../../../electron/cli/types'
import { KeytarSecretStore } from '../../../electron/keychain/keytar-store'

// These tests use the REAL OS keychain: on CI a headless Secret Service started by scripts/with-keyring.sh.
const run = promisify(execFile)
const service = `b24-chat-admin-test-${process.pid}`
const SECRET = 'intTestHookSecret5531'

function memIO(stdinText = ''): CliIO & { out: () => string; err: () => string } {
  let out = ''
  let err = ''
  const sink = (f: (s: string) => void) => ({ write: (s: string) => (f(String(s)), true) }) as unknown as NodeJS.WritableStream
  return {
    stdout: sink((s) => (out += s)),
    stderr: sink((s) => (err += s)),
    stdin: Readable.from([stdinText]),
    env: {},
    interrupted: new Promise(() => {}),
    out: () => out,
    err: () => err,
  }
}

describe('OS keychain (keytar over Secret Service)', () => {
  const store = new KeytarSecretStore(service)
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'b24-keychain-'))
  })
  afterAll(async () => {
    await store.delete('Main').catch(() => false)
    await rm(dir, { recursive: true, force: true })
  })

  it('stores, reads, overwrites and deletes a secret', async () => {
    await store.check()
    await store.set('acct', 'first')
    expect(await store.get('acct')).toBe('first')
    await store.set('acct', 'second')
    expect(await store.get('acct')).toBe('second')
    expect(await store.delete('acct')).toBe(true)
    expect(await store.get('acct')).toBeNull()
    expect(await store.delete('acct')).toBe(false)
  })

  it('b24chat profile add/list/remove keep the secret in the keychain and out of files and output', async () => {
    const cmd = makeProfileCommand(() => store)
    const add = memIO(`https://acme.bitrix24.com/rest/9/${SECRET}/\n`)
    expect(await cmd.run(['add', 'Main', '--webhook-stdin', '--plan', 'enterprise', '--data', dir], add)).toBe(0)
    expect(add.out()).toMatch(/Added profile "Main": https:\/\/acme\.bitrix24\.com\/ as user 9, plan enterprise/)
    expect(await store.get('Main')).toContain(SECRET)

    const list = memIO()
    expect(await cmd.run(['list', '--data', dir], list)).toBe(0)
    expect(list.out()).toMatch(/Main\thttps:\/\/acme\.bitrix24\.com\/\twebhook\tuser 9\tenterprise\tsecret in keychain/)

    const files = await readdir(dir, { recursive: true })
    const text = (await Promise.all(files.map((f) => readFile(join(dir, String(f)), 'utf8').catch(() => '')))).join('')
    expect(text).toContain('acme.bitrix24.com')
    expect(text).not.toContain(SECRET)
    expect(add.out() + add.err() + list.out() + list.err()).not.toContain(SECRET)

    const remove = memIO()
    expect(await cmd.run(['remove', 'Main', '--data', dir], remove)).toBe(0)
    expect(await store.get('Main')).toBeNull()
    const after = memIO()
    await cmd.run(['list', '--data', dir], after)
    expect(after.out()).toMatch(/No profiles/)
  })

  it('rejects an http webhook with a clear message and stores nothing', async () => {
    const cmd = makeProfileCommand(() => store)
    const io = memIO('http://acme.bitrix24.com/rest/9/abcdefgh12/')
    expect(await cmd.run(['add', 'Plain', '--webhook-stdin', '--data', dir], io)).toBe(2)
    expect(io.err()).toMatch(/https/)
    expect(await store.get('Plain')).toBeNull()
  })

  async function tryStoreIn(dbusArgs: string[]): Promise<{ code: string; message: string; messageRu?: string }> {
    const script = `
      import { KeytarSecretStore } from './electron/keychain/keytar-store.ts'
      const s = new KeytarSecretStore('${service}-isolated')
      try { await s.set('x', 'y'); console.log('STORED') } catch (e) { console.log(JSON.stringify(e.appError)) }
    `
    const { stdout } = await run('dbus-run-session', [...dbusArgs, '--', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH, HOME: dir, XDG_RUNTIME_DIR: dir, XDG_DATA_HOME: dir },
      timeout: 60_000,
    })
    expect(stdout).not.toContain('STORED')
    return JSON.parse(stdout.trim().split('\n').pop()!) as { code: string; message: string; messageRu?: string }
  }

  it('says clearly that no Secret Service is running when none is, and stores nothing', async () => {
    // A private session bus that knows no services at all: nothing provides org.freedesktop.secrets.
    const config = join(dir, 'bare-session.conf')
    await writeFile(config, `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:tmpdir=${tmpdir()}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`)
    const err = await tryStoreIn([`--config-file=${config}`])
    expect(err.code).toBe('KEYCHAIN_UNAVAILABLE')
    expect(err.message).toMatch(/no Secret Service is running/)
    expect(err.message).toMatch(/Nothing was stored/)
    expect(err.messageRu).toMatch(/Secret Service не запущена.*Ничего не сохранено/)
  })

  it('says clearly when the Secret Service has no unlocked login keyring', async () => {
    // A fresh session bus where the keyring daemon is auto-started but has no login collection and no prompter.
    const err = await tryStoreIn([])
    expect(err.code).toBe('KEYCHAIN_UNAVAILABLE')
    expect(err.message).toMatch(/no unlocked default keyring/)
    expect(err.messageRu).toMatch(/нет разблокированной связки ключей/)
  })
})
