/** Issue 11 in the renderer: the concurrency setting is explained and saved (the pace text: format.test.ts). */
import './helpers/resizeObserver'
import { afterEach, describe, expect, it } from 'vitest'
import SettingsView from '../../renderer/src/views/SettingsView.vue'
import { bodyText, byTestId, mountView, typeInto } from './helpers/mount'
import type { Mounted } from './helpers/mount'

describe('the concurrency setting', () => {
  let m: Mounted | undefined
  afterEach(() => {
    m?.wrapper.unmount()
    m = undefined
    document.body.innerHTML = ''
  })

  it('shows the default, explains it, saves a new value and refuses one out of range', async () => {
    m = await mountView(SettingsView)
    const input = byTestId('settings-concurrency') as HTMLInputElement
    expect(input.value).toBe('4')
    expect(bodyText()).toContain('The documentation asks not to run parallel series of requests')
    await typeInto(input, '8')
    expect(m.fake.callsTo('settings.set').map((c) => c.arg)).toContainEqual({ maxConcurrency: 8 })
    expect(m.fake.settings.maxConcurrency).toBe(8)
    const before = m.fake.callsTo('settings.set').length
    await typeInto(input, '40')
    expect(m.fake.callsTo('settings.set').slice(before).map((c) => c.arg)).not.toContainEqual({ maxConcurrency: 40 })
  })
})
