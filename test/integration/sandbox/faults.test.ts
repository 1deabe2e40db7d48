import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../../electron/core/clock'
import type { SandboxOptions } from '../../../electron/sandbox/index'
import { startTestSandbox } from '../../helpers/sandbox'
import type { TestSandbox } from '../../helpers/sandbox'

/** The exact body of bitrix-tools/b24-rest-docs#193 (literal on purpose: not the sandbox's own constant). */
const QLE_BODY = '{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}'

let t: TestSandbox | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})
const start = async (o: SandboxOptions): Promise<TestSandbox> => (t = await startTestSandbox({ latencyMs: 0, burst: 100_000, ...o }))

async function until(pred: () => boolean, tries = 500): Promise<void> {
  for (let i = 0; i < tries && !pred(); i++) await new Promise((r) => setTimeout(r, 2))
  if (!pred()) throw new Error('condition never met')
}

describe('faults', () => {
  it('qle: a spurious 503 with the exact body and no side effects', async () => {
    const s = await start({ faults: { qle: 1 } })
    const r = await s.call('im.chat.add', { TITLE: 'x' })
    expect([r.status, r.text]).toEqual([503, QLE_BODY])
    expect(s.sb.chats()).toEqual([])
    expect(s.sb.stats().faults.qle).toBe(1)
  })

  it('http500: JSON 500; some of the failed calls committed their work, some did not (seeded)', async () => {
    const s = await start({ faults: { http500: 1 }, seed: 5 })
    for (let i = 0; i < 20; i++) {
      const r = await s.call('im.chat.add', { TITLE: `t${i}` })
      expect([r.status, r.json]).toEqual([500, { error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' }])
    }
    const n = s.sb.chats().length
    expect(n).toBeGreaterThan(0)
    expect(n).toBeLessThan(20)
  })

  it('html: an HTML error page with status 502 or 504', async () => {
    const s = await start({ faults: { html: 1 } })
    const statuses = new Set<number>()
    for (let i = 0; i < 12; i++) {
      const r = await s.call('profile')
      expect(r.headers['content-type']).toMatch(/^text\/html/)
      expect(r.text).toMatch(/^<html>/)
      expect(r.json).toBeUndefined()
      statuses.add(r.status)
    }
    expect([...statuses].sort()).toEqual([502, 504])
  })

  it('reset-after-commit: the chat exists but the connection is destroyed before the response', async () => {
    const s = await start({ faults: { 'reset-after-commit': 1 } })
    await expect(s.call('im.chat.add', { TITLE: 'ghost', ENTITY_TYPE: 'K', ENTITY_ID: '1' })).rejects.toThrow(/socket hang up|ECONNRESET/)
    expect(s.sb.chats().map((c) => c.title)).toEqual(['ghost'])
    s.sb.setFaults({})
    expect((await s.call('im.chat.get', { ENTITY_TYPE: 'K', ENTITY_ID: '1' })).json.result).toEqual({ ID: 1 })
  })

  it('timeout: the work is done, the response never comes, and close() still ends the socket', async () => {
    const s = await start({ faults: { timeout: 1 } })
    let settled = false
    const pending = s.call('im.chat.add', { TITLE: 'slow' }).finally(() => (settled = true))
    await until(() => s.sb.chats().length === 1 && s.sb.stats().faults.timeout === 1)
    await new Promise((r) => setTimeout(r, 20))
    expect(settled).toBe(false)
    await s.close()
    t = undefined
    await expect(pending).rejects.toThrow(/socket hang up|ECONNRESET/)
  })

  it('close() ends requests still sleeping on a clock that never advances', async () => {
    const s = await start({ latencyMs: 300, clock: new ManualClock(1_700_000_000_000) })
    const pending = s.call('im.chat.add', {})
    await until(() => s.sb.stats().inFlight === 1)
    await s.close()
    t = undefined
    await expect(pending).rejects.toThrow()
  })

  it('is reproducible for a seed and changeable at runtime', async () => {
    const seq = async (seed: number): Promise<number[]> => {
      const s = await startTestSandbox({ latencyMs: 0, burst: 100_000, seed, faults: { qle: 0.3, http500: 0.2 } })
      const out: number[] = []
      for (let i = 0; i < 30; i++) out.push((await s.call('profile')).status)
      s.sb.setFaults({})
      for (let i = 0; i < 5; i++) out.push((await s.call('profile')).status)
      await s.close()
      return out
    }
    const a = await seq(11)
    expect(await seq(11)).toEqual(a)
    expect(await seq(12)).not.toEqual(a)
    expect(a.slice(0, 30).some((x) => x === 503)).toBe(true)
    expect(a.slice(0, 30).some((x) => x === 500)).toBe(true)
    expect(a.slice(30)).toEqual([200, 200, 200, 200, 200])
  })
})
