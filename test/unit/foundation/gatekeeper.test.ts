import type { IpcMainInvokeEvent } from 'electron'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Gate, PayloadReader } from '../../../electron/core/app/gate'
import { createBackendGate, createGate, PayloadError, payloadBytes, valueReader } from '../../../electron/core/app/gate'
import { DEFAULT_MAX_BYTES } from '../../../electron/core/import'
import { exposeGate } from '../../../electron/main/gatekeeper'
import type { ApiPath, BackendApi } from '../../../electron/shared/ipc'
import { API_PATHS, CHANNEL_NAMES, DEFAULT_PAYLOAD_LIMIT, PAYLOAD_SCHEMAS, payloadLimit } from '../../../electron/shared/ipc'
import { AppFailure, ok } from '../../../electron/shared/result'

const TRUSTED = { trusted: true }

/** A reader that records whether the gate asked for the body at all. */
function spyReader(value: unknown): PayloadReader & { reads: number } {
  const r = Object.assign(async (limit: number) => {
    r.reads++
    return valueReader(value)(limit)
  }, { reads: 0 })
  return r
}

function gateWith(schema: z.ZodType, limit = 1024) {
  const logs: string[] = []
  const seen: unknown[] = []
  const gate = createGate({ log: (l) => logs.push(l) })
  gate.handle('x:do', schema, async (p) => {
    seen.push(p)
    return ok('done')
  }, limit)
  return { gate, seen, logs }
}

describe('the transport-neutral gate (core/app/gate.ts)', () => {
  it('refuses an untrusted caller with FORBIDDEN before reading any byte of the payload', async () => {
    const { gate, seen } = gateWith(z.object({ a: z.number() }))
    const read = spyReader({ a: 1 })
    const answer = await gate.call({ trusted: false }, 'x:do', read)
    expect(answer).toMatchObject({ refusal: 'forbidden', result: { ok: false, error: { code: 'FORBIDDEN' } } })
    expect(read.reads).toBe(0)
    expect(seen).toEqual([])
  })

  it('refuses an unknown channel with FORBIDDEN (not NOT_FOUND), without reading the payload', async () => {
    const { gate } = gateWith(z.undefined())
    const read = spyReader(undefined)
    expect(await gate.call(TRUSTED, 'x:nope', read)).toMatchObject({ refusal: 'forbidden', result: { ok: false, error: { code: 'FORBIDDEN' } } })
    expect(await gate.call(TRUSTED, '__proto__', read)).toMatchObject({ refusal: 'forbidden' })
    expect(read.reads).toBe(0)
  })

  it('caps the payload per channel: one over the cap is refused and the handler never runs', async () => {
    const { gate, seen } = gateWith(z.object({ s: z.string() }), 1000)
    const big = await gate.call(TRUSTED, 'x:do', valueReader({ s: 'x'.repeat(1000) }))
    expect(big).toMatchObject({ refusal: 'too-large', result: { ok: false, error: { code: 'VALIDATION', message: expect.stringMatching(/larger than this call accepts/) } } })
    const bytes = await gate.call(TRUSTED, 'x:do', valueReader({ s: 'x', b: new Uint8Array(2000) }))
    expect(bytes).toMatchObject({ refusal: 'too-large' })
    expect(seen).toEqual([])
    expect(await gate.call(TRUSTED, 'x:do', valueReader({ s: 'x'.repeat(900) }))).toEqual({ result: { ok: true, value: 'done' } })
  })

  it('hands the reader the channel cap and answers its errors as refusals', async () => {
    const { gate } = gateWith(z.undefined(), 4321)
    const limits: number[] = []
    await gate.call(TRUSTED, 'x:do', async (limit) => {
      limits.push(limit)
      throw new PayloadError('too-large')
    })
    expect(limits).toEqual([4321])
    expect(await gate.call(TRUSTED, 'x:do', async () => Promise.reject(new PayloadError('malformed')))).toMatchObject({ refusal: 'malformed', result: { ok: false, error: { code: 'VALIDATION' } } })
    expect(await gate.call(TRUSTED, 'x:do', async () => Promise.reject(new Error('socket hang up')))).toMatchObject({ refusal: 'malformed' })
  })

  it('refuses a malformed payload with a VALIDATION Result naming the field', async () => {
    const { gate, seen } = gateWith(z.object({ a: z.number() }))
    expect(await gate.call(TRUSTED, 'x:do', valueReader({ a: 'nope' }))).toEqual({ result: expect.objectContaining({ ok: false, error: expect.objectContaining({ code: 'VALIDATION', field: 'a' }) }) })
    expect(seen).toEqual([])
  })

  it('gives the handler the parsed payload only: unknown keys stripped, defaults filled, transforms applied', async () => {
    const { gate, seen } = gateWith(z.object({ a: z.number(), name: z.string().trim(), tags: z.array(z.string()).default([]) }))
    const raw = { a: 1, name: '  Main  ', sneaky: 'rm -rf', __proto__: { polluted: true } }
    expect(await gate.call(TRUSTED, 'x:do', valueReader(raw))).toEqual({ result: { ok: true, value: 'done' } })
    expect(seen).toEqual([{ a: 1, name: 'Main', tags: [] }])
    expect(Object.keys(seen[0] as object)).toEqual(['a', 'name', 'tags'])
  })

  it('never throws: failures become safe Results without stack or secret, and the log is redacted', async () => {
    const logs: string[] = []
    const gate = createGate({ log: (l) => logs.push(l) })
    gate.handle('x:boom', z.undefined(), async () => {
      throw new Error('kaboom https://p.example/rest/1/leakySecret123/x')
    }, 100)
    gate.handle('x:known', z.undefined(), async () => {
      throw new AppFailure('NETWORK', 'The portal did not answer.')
    }, 100)
    const boom = await gate.call(TRUSTED, 'x:boom', valueReader(undefined))
    expect(boom.result).toMatchObject({ ok: false, error: { code: 'INTERNAL' } })
    expect(JSON.stringify(boom)).not.toMatch(/kaboom|leakySecret123|at /)
    expect(logs.join('\n')).toContain('kaboom')
    expect(logs.join('\n')).not.toContain('leakySecret123')
    expect((await gate.call(TRUSTED, 'x:known', valueReader(undefined))).result).toEqual({ ok: false, error: { code: 'NETWORK', message: 'The portal did not answer.' } })
  })

  it('measures in-memory payloads like the browser wire, and stops counting past the cap (cyclic values too)', () => {
    expect(payloadBytes('abc', 100)).toBe(5)
    expect(payloadBytes(new Uint8Array(300), 10_000)).toBe(410)
    const cyclic: Record<string, unknown> = { a: 'x' }
    cyclic.self = cyclic
    expect(payloadBytes(cyclic, 1000)).toBeGreaterThan(1000)
    expect(payloadBytes(new Array(1_000_000).fill(0), 100)).toBeLessThan(200)
  })
})

// ---- the real channel table ----------------------------------------------------------------------------------

/** One valid payload per AppApi call (the test fails to compile when a channel is added without one). */
const VALID: Record<ApiPath, unknown> = {
  'app.info': undefined,
  'app.chooseDataDir': undefined,
  'settings.get': undefined,
  'settings.set': { theme: 'dark' },
  'profiles.list': undefined,
  'profiles.add': { kind: 'webhook', name: 'Main', webhookUrl: 'https://acme.bitrix24.com/rest/1/abcdef123/' },
  'profiles.update': { profile: 'Main', plan: 'enterprise' },
  'profiles.remove': { profile: 'Main' },
  'profiles.test': { profile: 'Main' },
  'profiles.searchUsers': { profile: 'Main', query: 'ann' },
  'sandbox.status': undefined,
  'sandbox.start': undefined,
  'sandbox.stop': undefined,
  'sandbox.chats': undefined,
  'sheets.import': { name: 'a.csv', bytes: new Uint8Array([65, 10]) },
  'sheets.openDialog': undefined,
  'sheets.reimport': { sheetId: 's1', options: { encoding: 'utf-8' } },
  'sheets.rows': { sheetId: 's1', offset: 0, limit: 10 },
  'sheets.editCell': { sheetId: 's1', rowKey: 'r1', column: 'TITLE', value: 'x' },
  'sheets.liveCheck': { sheetId: 's1', profile: 'Main' },
  'sheets.template': undefined,
  'sheets.close': { sheetId: 's1' },
  'compose.validate': { form: { title: 'x' } },
  'compose.create': { profile: 'Main', form: { title: 'x' } },
  'compose.prepareAvatar': { name: 'a.png', bytes: new Uint8Array([1]) },
  'jobs.list': undefined,
  'jobs.createFromSheet': { sheetId: 's1', profile: 'Main', start: true },
  'jobs.addCompose': { profile: 'Main', form: { title: 'x' } },
  'jobs.start': { jobId: 'j1' },
  'jobs.pause': { jobId: 'j1' },
  'jobs.resume': { jobId: 'j1' },
  'jobs.cancel': { jobId: 'j1' },
  'jobs.retryFailed': { jobId: 'j1' },
  'jobs.remove': { jobId: 'j1' },
  'jobs.snapshot': { jobId: 'j1' },
  'jobs.exportResults': { jobId: 'j1' },
  'shell.openChat': { profile: 'Main', chatId: 5 },
  'sheets.avatarFolders': { sheetId: 's1' },
  'sheets.allowAvatarFolders': { sheetId: 's1', folders: ['/home/ann/avatars'] },
  'sheets.setAvatarFolder': { sheetId: 's1', folder: '/home/ann/avatars' },
  'sheets.editCells': { sheetId: 's1', edits: [{ rowKey: 'r1', column: 'COLOR', value: 'RED' }] },
  'sheets.openSample': undefined,
  'sheets.sendPlan': { sheetId: 's1', profile: 'Main' },
  'jobs.sendUnsent': { jobId: 'j1' },
}

/** A gate over a backend whose every method records what it received. */
function echoGate(): { gate: Gate; calls: { path: string; payload: unknown }[] } {
  const calls: { path: string; payload: unknown }[] = []
  const backend = Object.fromEntries(
    [...new Set(API_PATHS.map((p) => p.split('.')[0]!))].map((ns) => [
      ns,
      new Proxy({}, { get: (_t, fn) => async (payload: unknown) => (calls.push({ path: `${ns}.${String(fn)}`, payload }), ok('echo')) }),
    ]),
  ) as unknown as BackendApi
  return { gate: createBackendGate(backend), calls }
}

/** A value no field of any schema accepts: not a string, number, boolean, object, array or bytes. */
const WRONG = 12345678901234567890n

describe('every channel of the AppApi table', () => {
  it('has exactly one gated handler per AppApi call', () => {
    expect(echoGate().gate.channels().sort()).toEqual(Object.values(CHANNEL_NAMES).sort())
  })

  it.each(API_PATHS)('%s: accepts its valid payload and its handler gets exactly the parsed value', async (path) => {
    const { gate, calls } = echoGate()
    const extra = VALID[path] && typeof VALID[path] === 'object' ? { ...(VALID[path] as object), __sneaky: true } : VALID[path]
    expect((await gate.call(TRUSTED, CHANNEL_NAMES[path], valueReader(extra))).result).toEqual({ ok: true, value: 'echo' })
    expect(calls).toEqual([{ path, payload: PAYLOAD_SCHEMAS[path].parse(VALID[path]) }])
    expect(JSON.stringify(calls[0]?.payload ?? null)).not.toContain('__sneaky')
  })

  it.each(API_PATHS)('%s: refuses a representative bad payload of every kind, and its handler never runs', async (path) => {
    const { gate, calls } = echoGate()
    const channel = CHANNEL_NAMES[path]
    const refused = async (payload: unknown, why: string): Promise<void> => {
      const { result } = await gate.call(TRUSTED, channel, valueReader(payload))
      expect(result, `${path} with ${why}`).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    }
    await refused('a string instead of the payload', 'a string')
    await refused([VALID[path]], 'an array')
    const schema = PAYLOAD_SCHEMAS[path]
    if (VALID[path] === undefined) await refused({ sneaky: true }, 'an object where none is taken')
    if (schema instanceof z.ZodObject) {
      const valid = VALID[path] as Record<string, unknown>
      const shape = schema.shape as Record<string, z.ZodType>
      for (const key of Object.keys(shape)) {
        await refused({ ...valid, [key]: WRONG }, `a wrong ${key}`)
        if (!shape[key]!.safeParse(undefined).success) {
          const { [key]: _dropped, ...without } = valid
          await refused(without, `no ${key}`)
        }
      }
    }
    expect(calls).toEqual([])
  })

  it.each(API_PATHS)('%s: refuses a payload one cap over its limit before parsing it', async (path) => {
    const { gate, calls } = echoGate()
    const limit = payloadLimit(path)
    const answer = await gate.call(TRUSTED, CHANNEL_NAMES[path], valueReader({ ...(VALID[path] as object), pad: 'x'.repeat(limit) }))
    expect(answer.refusal).toBe('too-large')
    expect(calls).toEqual([])
  })

  it('gives big caps only where big payloads are legitimate (a 50 MB sheet fits as base64)', () => {
    const big = API_PATHS.filter((p) => payloadLimit(p) > DEFAULT_PAYLOAD_LIMIT).sort()
    expect(big).toEqual(['compose.create', 'compose.prepareAvatar', 'compose.validate', 'jobs.addCompose', 'sheets.editCell', 'sheets.editCells', 'sheets.import'])
    expect(payloadLimit('sheets.import')).toBeGreaterThan((DEFAULT_MAX_BYTES * 4) / 3 + 1024)
    expect(DEFAULT_PAYLOAD_LIMIT).toBeLessThanOrEqual(64 * 1024)
  })
})

describe('the Electron adapter (main/gatekeeper.ts)', () => {
  type Handler = (event: IpcMainInvokeEvent, payload: unknown) => Promise<unknown>
  function exposed(isTrusted: (e: IpcMainInvokeEvent) => boolean) {
    const handlers = new Map<string, Handler>()
    const { gate, calls } = echoGate()
    exposeGate(gate, { register: (c, h) => handlers.set(c, h), isTrustedSender: isTrusted })
    return { handlers, calls }
  }
  const event = (id: number) => ({ sender: { id } }) as unknown as IpcMainInvokeEvent

  it('registers one ipcMain handler per channel and passes the sender verdict to the gate', async () => {
    const { handlers, calls } = exposed((e) => (e.sender as unknown as { id: number }).id === 1)
    expect([...handlers.keys()].sort()).toEqual(Object.values(CHANNEL_NAMES).sort())
    expect(await handlers.get('profiles:remove')!(event(99), { profile: 'Main' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(calls).toEqual([])
    expect(await handlers.get('profiles:remove')!(event(1), { profile: 'Main', extra: 1 })).toEqual({ ok: true, value: 'echo' })
    expect(calls).toEqual([{ path: 'profiles.remove', payload: { profile: 'Main' } }])
  })

  it('treats a trust check that throws (a destroyed window) as untrusted, and never throws itself', async () => {
    const { handlers, calls } = exposed(() => {
      throw new Error('Object has been destroyed')
    })
    expect(await handlers.get('profiles:list')!(event(1), undefined)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(calls).toEqual([])
  })
})
