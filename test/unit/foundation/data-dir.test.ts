import { mkdtemp, readFile, rm, writeFile, mkdir, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Backend } from '../../../electron/core/app/backend'
import type { BackendHost } from '../../../electron/core/app/backend'
import { defaultDataDir, LOCATION_FILE, resolveDataDir } from '../../../electron/core/paths'
import { MemorySecretStore } from '../../helpers/memory-secret-store'

describe('data folder', () => {
  let home: string
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'b24-datadir-'))
  })
  afterEach(() => rm(home, { recursive: true, force: true }))

  it('defaults to the per-user config folder, honours B24CHAT_DATA_DIR, then the folder chosen in Settings', async () => {
    const env = { XDG_CONFIG_HOME: home }
    expect(defaultDataDir(env, 'linux')).toBe(join(home, 'b24-chat-admin'))
    expect(resolveDataDir(env, 'linux')).toBe(join(home, 'b24-chat-admin'))
    await mkdir(join(home, 'b24-chat-admin'), { recursive: true })
    await writeFile(join(home, 'b24-chat-admin', LOCATION_FILE), JSON.stringify({ dataDir: '/srv/chats' }))
    expect(resolveDataDir(env, 'linux')).toBe('/srv/chats')
    expect(resolveDataDir({ ...env, B24CHAT_DATA_DIR: '/x/override' }, 'linux')).toBe('/x/override')
    // A damaged or relative pointer is ignored, never fatal.
    await writeFile(join(home, 'b24-chat-admin', LOCATION_FILE), '{"dataDir":"relative/dir"}')
    expect(resolveDataDir(env, 'linux')).toBe(join(home, 'b24-chat-admin'))
    await writeFile(join(home, 'b24-chat-admin', LOCATION_FILE), 'not json')
    expect(resolveDataDir(env, 'linux')).toBe(join(home, 'b24-chat-admin'))
  })

  function backendWith(pick: string | null, base: string): Backend {
    const host: BackendHost = { version: 't', platform: 'linux', locale: 'en', pickSheetFile: async () => null, openExternal: async () => {}, pickFolder: async () => pick, defaultDataDir: base }
    return new Backend({ dataDir: join(base, 'current'), secrets: new MemorySecretStore(), host })
  }

  it('records a chosen writable folder in the default folder and asks for a restart', async () => {
    const base = join(home, 'default')
    const r = await backendWith(join(home, 'new-data'), base).app.chooseDataDir()
    expect(r).toEqual({ ok: true, value: { dataDir: join(home, 'new-data'), restartRequired: true } })
    expect(JSON.parse(await readFile(join(base, LOCATION_FILE), 'utf8'))).toEqual({ dataDir: join(home, 'new-data') })
    expect(await backendWith(null, base).app.chooseDataDir()).toEqual({ ok: true, value: null })
  })

  it('refuses a folder it cannot write to, and records nothing', async () => {
    if (process.getuid?.() === 0) {
      // root writes everywhere: use a path under a regular file instead, which no one can create.
      await writeFile(join(home, 'a-file'), 'x')
    } else {
      await mkdir(join(home, 'locked'))
      await chmod(join(home, 'locked'), 0o500)
    }
    const target = process.getuid?.() === 0 ? join(home, 'a-file', 'sub') : join(home, 'locked', 'sub')
    const base = join(home, 'default')
    const r = await backendWith(target, base).app.chooseDataDir()
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/cannot write/) })
    await expect(readFile(join(base, LOCATION_FILE), 'utf8')).rejects.toThrow()
  })

  it('says clearly when the host has no folder dialog (browser mode)', async () => {
    const host: BackendHost = { version: 't', platform: 'linux', locale: 'en', pickSheetFile: async () => null, openExternal: async () => {} }
    const r = await new Backend({ dataDir: home, secrets: new MemorySecretStore(), host }).app.chooseDataDir()
    expect(r).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', message: expect.stringMatching(/B24CHAT_DATA_DIR/) } })
  })
})
