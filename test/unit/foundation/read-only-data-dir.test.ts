import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../../electron/cli/main'
import type { CliIO } from '../../../electron/cli/types'
import { Backend } from '../../../electron/core/app/backend'
import { dataDirFailure, ensureDataDir } from '../../../electron/core/datadir'
import { MemorySecretStore } from '../../helpers/memory-secret-store'

// Issue 13 "Seen" 9: a data folder that cannot be written says so, in the app and in the CLI, instead of
// `ENOENT … mkdir` or "unexpected error".
function memIO(stdinText = ''): CliIO & { out: () => string; err: () => string } {
  let out = ''
  let err = ''
  const sink = (f: (s: string) => void) => ({ write: (s: string) => (f(String(s)), true) }) as unknown as NodeJS.WritableStream
  return { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), stdin: Readable.from([stdinText]), env: {}, interrupted: new Promise(() => {}), out: () => out, err: () => err }
}

const READ_ONLY = /The data folder .* is read-only or cannot be created \((ENOTDIR|EACCES|EPERM|EROFS|ENOENT)\)/

describe('a data folder that cannot be written', () => {
  let base: string
  /** Folders no one may write here: under a regular file (any OS), plus a permission-locked one where that works. */
  const folders: string[] = []
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'b24-readonly-'))
    await writeFile(join(base, 'a-file'), 'x')
    folders.push(join(base, 'a-file', 'data'))
    if (process.platform === 'linux' && process.getuid?.() === 0) folders.push(`/sys/b24chat-test-${process.pid}/data`) // sysfs refuses mkdir, even to root
    else if (process.platform !== 'win32') {
      await mkdir(join(base, 'locked'))
      await chmod(join(base, 'locked'), 0o500)
      folders.push(join(base, 'locked', 'data'))
    }
  })
  afterAll(async () => {
    await chmod(join(base, 'locked'), 0o700).catch(() => undefined)
    await rm(base, { recursive: true, force: true })
  })

  it('ensureDataDir says read-only (and creates a writable one level by level)', async () => {
    for (const dir of folders) await expect(ensureDataDir(dir), dir).rejects.toMatchObject({ appError: { code: 'VALIDATION', message: expect.stringMatching(READ_ONLY), messageRu: expect.stringMatching(/только для чтения/) } })
    await ensureDataDir(join(base, 'fresh', 'a', 'b'))
    await writeFile(join(base, 'fresh', 'a', 'b', 'x'), 'ok')
  })

  it('the app says read-only when a call has to write there, not "unexpected error"', async () => {
    for (const dir of folders) {
      const secrets = new MemorySecretStore()
      const backend = new Backend({ dataDir: dir, secrets, host: { version: 't', platform: 'linux', locale: 'en', pickSheetFile: async () => null, openExternal: async () => {} } })
      const set = await backend.settings.set({ theme: 'dark' })
      expect(set, dir).toMatchObject({ ok: false, error: { code: 'VALIDATION', message: expect.stringMatching(READ_ONLY) } })
      const add = await backend.profiles.add({ kind: 'webhook', name: 'Main', webhookUrl: 'https://acme.bitrix24.com/rest/1/abcdef123/' })
      expect(add, dir).toMatchObject({ ok: false, error: { code: 'VALIDATION', message: expect.stringMatching(READ_ONLY) } })
      // Nothing reached the keychain for a profile that could not be saved.
      expect(secrets.entries.size).toBe(0)
      await backend.shutdown()
    }
  })

  it('the CLI says read-only for sync and profile add, before anything is sent or stored', async () => {
    const sheet = join(base, 'one.csv')
    await writeFile(sheet, 'TITLE\nOne\n')
    for (const dir of folders) {
      const sync = memIO('https://127.0.0.1:9/rest/1/abcdef123/')
      expect(await runCli(['sync', sheet, '--webhook-stdin', '--data', dir], sync)).toBe(1)
      expect(sync.err()).toMatch(READ_ONLY)
      expect(sync.err()).not.toMatch(/unexpected|ENOENT:|mkdir '/)
      const add = memIO('https://acme.bitrix24.com/rest/1/abcdef123/')
      expect(await runCli(['profile', 'add', 'Main', '--webhook-stdin', '--data', dir], add)).not.toBe(0)
      expect(add.err()).toMatch(READ_ONLY)
    }
  })

  it('does not blame the data folder for errors elsewhere', () => {
    const missingSheet = Object.assign(new Error('ENOENT'), { code: 'ENOENT', syscall: 'open', path: '/elsewhere/sheet.csv' })
    expect(dataDirFailure(missingSheet, '/data')).toBeNull()
    const readMissing = Object.assign(new Error('ENOENT'), { code: 'ENOENT', syscall: 'open', path: '/data/profiles.json' })
    expect(dataDirFailure(readMissing, '/data')).toBeNull()
    const mkdirAbove = Object.assign(new Error('EACCES'), { code: 'EACCES', syscall: 'mkdir', path: '/srv' })
    expect(dataDirFailure(mkdirAbove, '/srv/b24/data')?.appError.message).toMatch(READ_ONLY)
    expect(dataDirFailure(new Error('plain'), '/data')).toBeNull()
  })
})
