/**
 * One benchmark contender in its own process (so no client shares an event loop with the sandbox):
 *   engine | pool | fb24 | sdk-single | sdk-batch
 * Config comes in BENCH_CONTENDER (JSON, `ContenderConfig`). The b24jssdk uses axios, which trusts the sandbox's CA
 * through NODE_EXTRA_CA_CERTS set by the parent. Prints one JSON line of results; `wallSec` is the contender's own
 * run: the call that does the work, timed whole (no process start-up, no test data built). For the engine that is
 * `runJob`, its lock, journal and history included; for the others, from their first request to their last answer.
 */
import { readFile } from 'node:fs/promises'
import { createPortalClient, OutcomeUnknown } from '../../electron/core/portal/client'
import { callsLeft } from '../../electron/core/portal/pacer'
import type { OnWire } from '../../electron/core/portal/pacer'
import { JobStore } from '../../electron/core/sync/store'
import { runJob } from '../../electron/core/sync/runner'
import type { SheetRow } from '../../electron/shared/sheet'
import { benchClientOptions, benchParams } from './config'
import type { ContenderConfig } from './config'
import { fb24Call, ServerRequestHandler } from './fb24'

const cfg = JSON.parse(process.env.BENCH_CONTENDER ?? '{}') as ContenderConfig
const out: Record<string, unknown> = { kind: cfg.kind }

function portalClient() {
  return createPortalClient({ kind: 'webhook', url: cfg.webhookUrl }, benchClientOptions(cfg, ca))
}
const ca = await readFile(cfg.ca, 'utf8')

if (cfg.kind === 'engine') {
  const rows: SheetRow[] = Array.from({ length: cfg.rows }, (_, i) => {
    // The engine tags rows itself (B24CHATADMIN + the row identity): the realistic set-up, and the same payload size.
    const { ENTITY_TYPE: _t, ENTITY_ID: _i, ...p } = benchParams(i, cfg.entityType) as { TITLE: string; USERS: number[]; ENTITY_TYPE: string; ENTITY_ID: string }
    return { key: `b${i}`, line: i + 2, cells: {}, status: 'ready', params: p, emails: [], titlePreview: p.TITLE, titleGenerated: false, colorAuto: true, problems: [] }
  })
  const client = portalClient()
  const store = new JobStore(cfg.data)
  const job = await store.createDraft({ rows, profile: 'bench', source: 'bench' })
  const t0 = performance.now()
  const end = await runJob({ store, jobId: job.id, client, engine: { settleMs: cfg.settleMs } })
  out.wallSec = (performance.now() - t0) / 1000
  out.status = end.type
  out.created = end.progress.counts.created
  out.clientLimitHits = client.stats.queryLimitHits + client.stats.operationLimitHits
  client.close()
} else if (cfg.kind === 'pool') {
  // The client-level harness: what the pacer alone achieves with the engine's contract (keep inFlightLimit()
  // batches in flight, asking again as each finishes). No journal and no resolution of unknown outcomes: not the
  // engine, a measure of the pacer.
  const client = portalClient()
  const pending = Array.from({ length: cfg.rows }, (_, i) => i)
  /** The batches on the wire: sizing counts what they have still to run, as the engine does (`callsLeft`). */
  const running = new Map<Promise<void>, OnWire>()
  let unknown = 0
  const t0 = performance.now()
  await new Promise<void>((done) => {
    const launch = (): void => {
      while (pending.length && running.size < client.pacer.inFlightLimit()) {
        // The pacer's batch size (spread over the allowance), ≤ what the budget allows now.
        const left = callsLeft(pending.length, running.values(), performance.now(), client.pacer.latencySecPerCall('im.chat.add'))
        const size = Math.max(1, Math.min(pending.length, client.pacer.batchCalls(left), client.pacer.affordable('im.chat.add')))
        const rows = pending.splice(0, size)
        const cmd = Object.fromEntries(rows.map((i) => [`r${i}`, ['im.chat.add', benchParams(i, cfg.entityType)] as [string, Record<string, unknown>]]))
        const p: Promise<void> = client
          .batch(cmd, { expectedServerSec: rows.length * client.pacer.latencySecPerCall('im.chat.add') })
          .then((r) => {
            // Calls the portal refused before running (a 429 inside the batch) go back in the queue.
            for (const [k, e] of Object.entries(r.result.result_error)) if (e.error === 'OPERATION_TIME_LIMIT' || e.error === 'QUERY_LIMIT_EXCEEDED') pending.push(Number(k.slice(1)))
          })
          .catch((e: unknown) => {
            if (e instanceof OutcomeUnknown) unknown += rows.length
            else pending.push(...rows)
          })
          .finally(() => {
            running.delete(p)
            if (!pending.length && !running.size) done()
            else launch()
          })
        running.set(p, { calls: rows.length, sentAt: performance.now() })
      }
    }
    launch()
  })
  out.wallSec = (performance.now() - t0) / 1000
  out.status = unknown ? `${unknown} rows with an unknown outcome (not resolved: harness)` : 'finished'
  client.close()
} else if (cfg.kind === 'fb24') {
  const srh = new ServerRequestHandler({ webhook: cfg.webhookUrl, ca, scale: cfg.scale })
  const items = Array.from({ length: cfg.rows }, (_, i) => benchParams(i, cfg.entityType))
  const t0 = performance.now()
  try {
    await fb24Call(srh, 'im.chat.add', items)
    out.status = 'finished'
  } catch (e) {
    out.status = `stopped: ${(e as Error).message.slice(0, 80)}`
  }
  out.wallSec = (performance.now() - t0) / 1000
  out.retried = srh.counts.retried
  srh.close()
} else {
  const { B24Hook } = await import('@bitrix24/b24jssdk')
  const b24 = B24Hook.fromWebhookUrl(cfg.webhookUrl, {
    restrictionParams: {
      rateLimit: { burstLimit: cfg.limits.burst, drainRate: cfg.limits.rps, adaptiveEnabled: true },
      operatingLimit: { windowMs: cfg.limits.operatingWindowSec * 1000, limitMs: cfg.limits.operatingLimitSec * 1000, heavyPercent: 80 },
    },
  })
  b24.offClientSideWarning()
  let errors = 0
  const t0 = performance.now()
  if (cfg.kind === 'sdk-single') {
    for (let i = 0; i < cfg.rows; i++) {
      try {
        await b24.callMethod('im.chat.add', benchParams(i, cfg.entityType))
      } catch {
        errors++
      }
    }
  } else {
    const calls = Array.from({ length: cfg.rows }, (_, i) => ['im.chat.add', benchParams(i, cfg.entityType)])
    try {
      await b24.callBatchByChunk(calls, false)
    } catch {
      errors++
    }
  }
  out.wallSec = (performance.now() - t0) / 1000
  out.errors = errors
}

process.stdout.write(`${JSON.stringify(out)}\n`)
process.exit(0)
