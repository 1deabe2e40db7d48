/**
 * Client-level concurrency against the real sandbox over HTTPS (issue 11): several `client.batch` calls at once,
 * the engine's way (keep `inFlightLimit()` in flight, ask again as each finishes), through one pacer per portal on a
 * sandbox with W workers and a small budget that binds. Checked on the sandbox's own books: no 503, no 429, the
 * budget never over its limit, every chat once, and more than one request in flight at once.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createPortalClient } from '../../../electron/core/portal/client'
import type { PortalClient } from '../../../electron/core/portal/client'
import { PacerRegistry } from '../../../electron/core/portal/pacer'
import { systemClock } from '../../../electron/core/clock'
import { startSandbox } from '../../../electron/sandbox/index'
import type { Sandbox, SandboxOptions } from '../../../electron/sandbox/index'

let sb: Sandbox | undefined
const clients: PortalClient[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  await sb?.close()
  sb = undefined
})

/** Sends `rows` chats in batches of `size`, keeping `client.pacer.inFlightLimit()` batches in flight. */
async function pool(client: PortalClient, rows: number, size: number, tag: string): Promise<void> {
  const pending = Array.from({ length: rows }, (_, i) => i)
  const running = new Set<Promise<void>>()
  await new Promise<void>((done, fail) => {
    const launch = (): void => {
      while (pending.length && running.size < client.pacer.inFlightLimit()) {
        const chunk = pending.splice(0, size)
        const cmd = Object.fromEntries(chunk.map((i) => [`r${i}`, ['im.chat.add', { TITLE: `${tag} ${i}`, ENTITY_TYPE: 'BENCH', ENTITY_ID: `${tag}:${i}` }] as [string, Record<string, unknown>]]))
        const p: Promise<void> = client.batch(cmd).then(
          (r) => {
            if (Object.keys(r.result.result_error).length) fail(new Error(JSON.stringify(r.result.result_error)))
            running.delete(p)
            if (!pending.length && !running.size) done()
            else launch()
          },
          (e: unknown) => fail(e),
        )
        running.add(p)
      }
    }
    launch()
  })
}

/** A real portal's proportions, smaller: a batch costs ~3.5 % of the budget (50 heavy chats of 480 s: ~3 %). */
const LIMITS = { latencyMs: 20, burst: 50, rps: 20, operatingLimitSec: 3, operatingWindowSec: 5, banSec: 5, operatingMinCountedSec: 0.005, requestCapSec: 5, users: 10, seed: 5 }

describe('concurrent batches through one pacer per portal, on the sandbox', () => {
  it.each(['docs', 'batch-half'] as const)('%s billing, 4 workers: several in flight, never a limit hit, never over the budget, every chat once', async (batchBilling) => {
    const o: SandboxOptions = { ...LIMITS, workers: 4, batchBilling, banMode: true }
    sb = await startSandbox(o)
    const limits = { burst: o.burst, rps: o.rps, operatingLimitSec: o.operatingLimitSec, operatingWindowSec: o.operatingWindowSec, banSec: o.banSec, banMode: 'ban' as const }
    const pacers = new PacerRegistry(systemClock)
    const a = createPortalClient({ kind: 'webhook', url: sb.webhookUrl }, { ca: sb.caPem, limits, concurrency: 4, pacers, priorServerSec: { 'im.chat.add': 0.02 } })
    const second = sb.addWebhook({ userId: 1 })
    const b = createPortalClient({ kind: 'webhook', url: second.url }, { ca: sb.caPem, limits, concurrency: 4, pacers, priorServerSec: { 'im.chat.add': 0.02 } })
    clients.push(a, b)
    // 180 + 60 chats of ~21 ms in batches of 5: 3.8 s and 1.3 s of server time against 3 s per 5 s per credential —
    // under docs billing the budget binds for the first.
    await Promise.all([pool(a, 180, 5, 'a'), pool(b, 60, 5, 'b')])
    const st = sb.stats()
    expect(st.status503).toBe(0)
    expect(st.status429).toBe(0)
    expect(st.capacity.rejected).toBe(0)
    for (const op of st.operating) expect(op.peakSec).toBeLessThanOrEqual(o.operatingLimitSec as number)
    expect(Math.max(...st.operating.map((x) => x.peakSec))).toBeGreaterThan(0.5 * (o.operatingLimitSec as number))
    expect(st.maxInFlight).toBeGreaterThan(1)
    expect(st.maxInFlight).toBeLessThanOrEqual(4)
    const ids = sb.chats().map((c) => c.entityId)
    expect(ids).toHaveLength(240)
    expect(new Set(ids).size).toBe(240)
  })
})
