/**
 * One benchmark contender in its own process (so no client shares an event loop with the sandbox):
 *   engine | sdk-single | sdk-batch
 * Config comes in BENCH_CONTENDER (JSON): { kind, webhookUrl, rows, entityType, limits }. The b24jssdk uses axios,
 * which trusts the sandbox's CA through NODE_EXTRA_CA_CERTS set by the parent. Prints one JSON line of results.
 */
import { readFile } from 'node:fs/promises'
import { createPortalClient } from '../../electron/core/portal/client'
import { JobStore } from '../../electron/core/sync/store'
import { runJob } from '../../electron/core/sync/runner'
import type { SheetRow } from '../../electron/shared/sheet'
import { benchParams } from './config'

interface Cfg {
  kind: 'engine' | 'sdk-single' | 'sdk-batch'
  webhookUrl: string
  rows: number
  entityType: string
  ca: string
  data: string
  margin: number
  limits: { burst: number; rps: number; operatingLimitSec: number; operatingWindowSec: number; banSec: number }
}
const cfg = JSON.parse(process.env.BENCH_CONTENDER ?? '{}') as Cfg
const out: Record<string, unknown> = { kind: cfg.kind }
const t0 = performance.now()

if (cfg.kind === 'engine') {
  const rows: SheetRow[] = Array.from({ length: cfg.rows }, (_, i) => {
    // The engine tags rows itself (B24CHATADMIN + the row identity): the realistic set-up, and the same payload size.
    const { ENTITY_TYPE: _t, ENTITY_ID: _i, ...p } = benchParams(i, cfg.entityType) as { TITLE: string; USERS: number[]; ENTITY_TYPE: string; ENTITY_ID: string }
    return { key: `b${i}`, line: i + 2, cells: {}, status: 'ready', params: p, emails: [], titlePreview: p.TITLE, titleGenerated: false, colorAuto: true, problems: [] }
  })
  const client = createPortalClient({ kind: 'webhook', url: cfg.webhookUrl }, { ca: await readFile(cfg.ca, 'utf8'), margin: cfg.margin, limits: { ...cfg.limits, banMode: 'ban' } })
  const store = new JobStore(cfg.data)
  const job = await store.createDraft({ rows, profile: 'bench', source: 'bench' })
  const end = await runJob({ store, jobId: job.id, client })
  out.status = end.type
  out.created = end.progress.counts.created
  out.clientLimitHits = client.stats.queryLimitHits + client.stats.operationLimitHits
  client.close()
} else {
  const { B24Hook } = await import('@bitrix24/b24jssdk')
  const t1 = performance.now()
  const b24 = B24Hook.fromWebhookUrl(cfg.webhookUrl, {
    restrictionParams: {
      rateLimit: { burstLimit: cfg.limits.burst, drainRate: cfg.limits.rps, adaptiveEnabled: true },
      operatingLimit: { windowMs: cfg.limits.operatingWindowSec * 1000, limitMs: cfg.limits.operatingLimitSec * 1000, heavyPercent: 80 },
    },
  })
  b24.offClientSideWarning()
  let errors = 0
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
  out.errors = errors
  out.wallSec = (performance.now() - t1) / 1000
}
out.wallSec ??= (performance.now() - t0) / 1000
process.stdout.write(`${JSON.stringify(out)}\n`)
process.exit(0)
