import { describe, expect, it } from 'vitest'
import { buildAppApi } from '../../../electron/preload/api'
import { API_PATHS, CHANNEL_NAMES, JOB_EVENT_CHANNEL } from '../../../electron/shared/ipc'

function fakeIpc() {
  const invoked: [string, unknown][] = []
  const listeners = new Map<string, Set<(e: unknown, p: unknown) => void>>()
  return {
    invoked,
    listeners,
    ipc: {
      invoke: async (channel: string, payload: unknown) => {
        invoked.push([channel, payload])
        return { ok: true, value: null }
      },
      on: (channel: string, l: (e: unknown, p: unknown) => void) => {
        if (!listeners.has(channel)) listeners.set(channel, new Set())
        listeners.get(channel)!.add(l)
      },
      removeListener: (channel: string, l: (e: unknown, p: unknown) => void) => listeners.get(channel)?.delete(l),
      pathForFile: () => '/home/admin/chats.csv',
    },
  }
}

describe('preload AppApi', () => {
  it('exposes exactly the AppApi namespaces and functions — no generic invoke or ipcRenderer', () => {
    const api = buildAppApi(fakeIpc().ipc) as unknown as Record<string, Record<string, unknown>>
    const expected = new Set(API_PATHS.map((p) => p.split('.')[0]))
    expected.add('events')
    expected.add('files')
    expect(new Set(Object.keys(api))).toEqual(expected)
    const fns = Object.entries(api).flatMap(([ns, o]) => Object.keys(o).map((f) => `${ns}.${f}`))
    expect(fns.sort()).toEqual([...API_PATHS, 'events.onJobEvent', 'files.pathForFile'].sort())
    for (const [, o] of Object.entries(api)) for (const v of Object.values(o)) expect(typeof v).toBe('function')
    expect(JSON.stringify(Object.keys(api))).not.toMatch(/invoke|ipc|send/i)
    expect(Object.isFrozen(api)).toBe(true)
  })

  it('forwards each call to its own channel with its single argument', async () => {
    const f = fakeIpc()
    const api = buildAppApi(f.ipc)
    await api.profiles.remove({ profile: 'Main' })
    await api.app.info()
    expect(f.invoked).toEqual([[CHANNEL_NAMES['profiles.remove'], { profile: 'Main' }], [CHANNEL_NAMES['app.info'], undefined]])
  })

  it('job event subscriptions return a working unsubscribe', () => {
    const f = fakeIpc()
    const api = buildAppApi(f.ipc)
    const seen: number[] = []
    const off = api.events.onJobEvent((e) => seen.push(e.seq))
    const emit = (seq: number) => f.listeners.get(JOB_EVENT_CHANNEL)?.forEach((l) => l({}, { type: 'paused', jobId: 'j', seq, at: 0 }))
    emit(1)
    off()
    emit(2)
    expect(seen).toEqual([1])
    expect(api.files.pathForFile({} as File)).toBe('/home/admin/chats.csv')
  })
})
