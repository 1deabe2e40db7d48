import type { IpcMainInvokeEvent } from 'electron'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createGate } from '../../../electron/main/gatekeeper'
import { registerBackend } from '../../../electron/main/ipc'
import { API_PATHS, CHANNEL_NAMES } from '../../../electron/shared/ipc'
import type { BackendApi } from '../../../electron/shared/ipc'
import { AppFailure, ok } from '../../../electron/shared/result'

type Handler = (event: IpcMainInvokeEvent, payload: unknown) => Promise<unknown>
const trusted = { sender: { id: 1 } } as unknown as IpcMainInvokeEvent
const foreign = { sender: { id: 99 } } as unknown as IpcMainInvokeEvent

function gate() {
  const handlers = new Map<string, Handler>()
  const logs: string[] = []
  const handle = createGate({
    register: (channel, handler) => handlers.set(channel, handler),
    isTrustedSender: (e) => (e.sender as unknown as { id: number }).id === 1,
    log: (l) => logs.push(l),
  })
  return { handlers, handle, logs }
}

describe('IPC gatekeeper', () => {
  it('refuses a foreign sender with a FORBIDDEN Result and never calls the handler', async () => {
    const { handlers, handle } = gate()
    let called = false
    handle('x:do', z.object({ a: z.number() }), async () => {
      called = true
      return ok(1)
    })
    const r = await handlers.get('x:do')!(foreign, { a: 1 })
    expect(r).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(called).toBe(false)
  })

  it('refuses a malformed payload with a VALIDATION Result naming the field', async () => {
    const { handlers, handle } = gate()
    handle('x:do', z.object({ a: z.number() }), async (p) => ok(p.a * 2))
    expect(await handlers.get('x:do')!(trusted, { a: 'nope' })).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'a' } })
    expect(await handlers.get('x:do')!(trusted, undefined)).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    expect(await handlers.get('x:do')!(trusted, { a: 2 })).toEqual({ ok: true, value: 4 })
  })

  it('never throws across IPC: failures become safe Results without stack or secret', async () => {
    const { handlers, handle, logs } = gate()
    handle('x:boom', z.undefined(), async () => {
      throw new Error('kaboom https://p.example/rest/1/leakySecret123/x')
    })
    handle('x:known', z.undefined(), async () => {
      throw new AppFailure('NETWORK', 'The portal did not answer.')
    })
    const boom = await handlers.get('x:boom')!(trusted, undefined)
    expect(boom).toMatchObject({ ok: false, error: { code: 'INTERNAL' } })
    expect(JSON.stringify(boom)).not.toMatch(/kaboom|leakySecret123|at /)
    expect(logs.join('\n')).not.toContain('leakySecret123')
    expect(await handlers.get('x:known')!(trusted, undefined)).toEqual({ ok: false, error: { code: 'NETWORK', message: 'The portal did not answer.' } })
  })

  it('registers exactly one handler per AppApi call, each with its schema', async () => {
    const { handlers, handle } = gate()
    const backend = Object.fromEntries(
      API_PATHS.map((p) => p.split('.')[0]!).map((ns) => [ns, new Proxy({}, { get: () => async (payload: unknown) => ok({ echoed: payload ?? null }) })]),
    ) as unknown as BackendApi
    registerBackend(handle, backend)
    expect([...handlers.keys()].sort()).toEqual(Object.values(CHANNEL_NAMES).sort())
    // A schema is really applied: profiles.remove needs { profile }.
    expect(await handlers.get('profiles:remove')!(trusted, {})).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    expect(await handlers.get('profiles:remove')!(trusted, { profile: 'Main' })).toEqual({ ok: true, value: { echoed: { profile: 'Main' } } })
    // Payloads for no-argument calls must be empty.
    expect(await handlers.get('profiles:list')!(trusted, { sneaky: true })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
  })
})
