/** Settings are independent: saving one (as the IPC gate parses it) never resets another. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { SettingsStore } from '../../../electron/core/app/settings-store'
import { PAYLOAD_SCHEMAS } from '../../../electron/shared/ipc'
import { DEFAULT_SETTINGS } from '../../../electron/shared/settings'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

/** What the handler of settings.set receives: the payload after the channel's schema. */
const asGateParses = (patch: unknown) => PAYLOAD_SCHEMAS['settings.set'].parse(patch)

describe('settings.set', () => {
  it('the patch the gate passes on holds only the keys the renderer sent (no defaults filled in)', () => {
    expect(asGateParses({ language: 'en' })).toEqual({ language: 'en' })
    expect(asGateParses({ theme: 'dark' })).toEqual({ theme: 'dark' })
    expect(asGateParses({})).toEqual({})
    expect(() => asGateParses({ theme: 'purple' })).toThrow()
  })

  it('Russian + Dark are both kept, in either order, across a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'b24-settings-'))
    dirs.push(dir)
    const store = new SettingsStore(dir)
    await store.set(asGateParses({ theme: 'dark' }))
    await store.set(asGateParses({ language: 'ru' }))
    expect(await new SettingsStore(dir).get()).toMatchObject({ theme: 'dark', language: 'ru' })
    await store.set(asGateParses({ language: 'en' }))
    await store.set(asGateParses({ pacingMargin: 0.7 }))
    expect(await new SettingsStore(dir).get()).toEqual({ ...DEFAULT_SETTINGS, theme: 'dark', language: 'en', pacingMargin: 0.7 })
  })
})
