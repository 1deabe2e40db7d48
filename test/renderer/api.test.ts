import { afterEach, describe, expect, it } from 'vitest'
import { api, setApiForTests, UiError } from '../../renderer/src/api'
import { API_PATHS, splitPath } from '../../electron/shared/ipc'
import type { AppApi } from '../../electron/shared/ipc'
import { FakeApi } from './helpers/fakeApi'

afterEach(() => setApiForTests(null))

describe('the api seam', () => {
  it('returns the value of an ok Result', async () => {
    const fake = new FakeApi()
    setApiForTests(fake.api())
    const info = await api.app.info()
    expect(info.dataDir).toBe('/tmp/b24-data')
  })

  it('passes the single object argument through unchanged', async () => {
    const fake = new FakeApi()
    setApiForTests(fake.api())
    await api.jobs.pause({ jobId: 'nope' }).catch(() => undefined)
    expect(fake.callsTo('jobs.pause')).toEqual([{ path: 'jobs.pause', arg: { jobId: 'nope' } }])
  })

  it('throws a UiError carrying the AppError of a failed Result, both languages intact', async () => {
    const fake = new FakeApi()
    fake.failNext('profiles.test', { code: 'SCOPE_MISSING', message: 'The webhook lacks the im scope.', messageRu: 'У вебхука нет права im.' })
    setApiForTests(fake.api())
    const err = await api.profiles.test({ profile: 'X' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UiError)
    expect((err as UiError).code).toBe('SCOPE_MISSING')
    expect((err as UiError).appError.messageRu).toBe('У вебхука нет права im.')
  })

  it('turns a broken bridge (rejection, garbage) into a safe INTERNAL UiError without the raw error text', async () => {
    const broken = new FakeApi().api()
    broken.settings.get = () => Promise.reject(new Error('at Object.<anonymous> (/secret/path.js:1:1) token=abc'))
    broken.settings.set = () => Promise.resolve(undefined as never)
    setApiForTests(broken)
    const e1 = (await api.settings.get().catch((e: unknown) => e)) as UiError
    expect(e1).toBeInstanceOf(UiError)
    expect(e1.code).toBe('INTERNAL')
    expect(e1.message).not.toContain('secret')
    expect(e1.message).not.toContain('token')
    const e2 = (await api.settings.set({ theme: 'dark' }).catch((e: unknown) => e)) as UiError
    expect(e2.code).toBe('INTERNAL')
  })

  it('covers every call of the contract', () => {
    expect(API_PATHS.length).toBeGreaterThan(30)
    for (const path of API_PATHS) {
      const [ns, fn] = splitPath(path)
      expect(typeof (api as unknown as Record<string, Record<string, unknown>>)[ns]?.[fn], path).toBe('function')
    }
  })

  it('subscribes to job events and returns a working unsubscribe', () => {
    const fake = new FakeApi()
    setApiForTests(fake.api())
    const seen: number[] = []
    const off = api.events.onJobEvent((e) => seen.push(e.seq))
    fake.emit({ type: 'paused', jobId: 'j', seq: 1, at: 0 })
    off()
    fake.emit({ type: 'resumed', jobId: 'j', seq: 2, at: 0 })
    expect(seen).toEqual([1])
  })

  it('without any bridge, calls fail with a UiError instead of a TypeError', async () => {
    setApiForTests(null)
    const saved = (window as unknown as { api?: AppApi }).api
    delete (window as unknown as { api?: AppApi }).api
    const err = await api.sandbox.status().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UiError)
    ;(window as unknown as { api?: AppApi }).api = saved
  })
})
