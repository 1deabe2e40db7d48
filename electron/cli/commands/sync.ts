/**
 * `b24chat sync FILE`: creates the chats of a sheet on a portal — throttled to its limits, exactly once,
 * resumable. The same command with the same --data resumes the same job (keyed by the sheet's content and the
 * profile). Rows that validation rejected are reported, never sent. Exit 0 only when every row ends created or
 * skipped.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { importSheet, isReadable, readSheetFile } from '../../core/import'
import { ensureDataDir } from '../../core/datadir'
import { resolveDataDir } from '../../core/paths'
import { createPortalClient } from '../../core/portal/client'
import type { PortalClient, PortalClientOptions } from '../../core/portal/client'
import { preflight } from '../../core/portal/preflight'
import { createLogger, redact, silentLogger } from '../../core/redact'
import { exportResultsCsv } from '../../core/sync/export'
import { CreatedHistory, importCreated, portalKeyFor } from '../../core/sync/history'
import type { LockOptions } from '../../core/sync/lock'
import { planSend } from '../../core/sync/plan'
import { JobRunner } from '../../core/sync/runner'
import type { EngineSettings } from '../../core/sync/runner'
import { JobStore, jobIdFor } from '../../core/sync/store'
import type { DurableFs } from '../../core/fsutil'
import type { JobProgress, JobStateDetail, PacingState } from '../../shared/jobs'
import type { Plan } from '../../shared/profile'
import { PLANS } from '../../shared/profile'
import { CONCURRENCY } from '../../shared/settings'
import { AppFailure } from '../../shared/result'
import { AVATARS_FROM_OPTION, avatarFoldersFrom, parseCommandArgs } from '../args'
import { CONNECTION_OPTIONS, resolveCaller } from '../caller'
import type { CliCommand, CliIO } from '../types'
import { EXIT } from '../types'

const USAGE = `Usage: b24chat sync FILE (--profile NAME | --webhook-stdin | --webhook URL | --sandbox) [--ca FILE] [--data DIR]
                    [--results FILE] [--plan standard|enterprise] [--concurrency N] [--dry-run] [--retry-failed] [--verify]
                    [--avatars-from DIR]…

Creates one chat per row of FILE with im.chat.add, as fast as the portal's limits allow and never twice.
  --profile NAME     a stored profile (b24chat profile add …); secrets come from the OS keychain
  --webhook-stdin    a one-off inbound webhook read from standard input: printf '%s' "$URL" | b24chat sync …
  --webhook URL      the same as an argument (warns: other users can see it in the process list)
  --sandbox          start the built-in sandbox portal in this process and sync to it
  --ca FILE          trust this CA certificate (PEM) too — the sandbox's, or a private portal's
  --data DIR         where jobs and their journals live; the same DIR resumes an interrupted run
  --results FILE     write the results (original columns + status, chat_id, chat_link, error_code, error_message)
  --plan P           standard (50 requests / 2 per s) or enterprise (250 / 5); default: the profile's
  --concurrency N    at most N requests in flight to the portal (1–${CONCURRENCY.max}, default ${CONCURRENCY.default}); the pacer adapts below it
  --dry-run          check the connection and show what would be sent; send nothing
  --retry-failed     send again only the rows that failed at the portal last time
  --verify           check each created chat with im.dialog.get (title, colour, owner)
  --avatars-from DIR also read avatar files from DIR (repeatable); without it, only from the sheet's folder
Rows whose chat exists already (made by an earlier send from any data folder or computer) are skipped, not
created again. One sync per job at a time: a second one is refused and names the first.
Ctrl+C stops at once (rows in flight are checked on the portal when the same command runs again); a second
Ctrl+C exits immediately.
Exit status: 0 every row created or skipped; 3 some rows failed, need checking or were not sent (or stopped);
1 the run could not start or stopped on an error; 2 bad options.`

/** Knobs the fault campaign and the benchmark turn; not on the command line. */
export interface SyncOverrides {
  client?: Partial<PortalClientOptions>
  engine?: EngineSettings
  /** Waits between attempts while the portal is unreachable (ms). */
  backoffMs?: number[]
  /** The data folder's file system (tests inject a full or crashing disk). */
  fs?: DurableFs
  lock?: LockOptions
  /** Use this client instead of resolving one (the caller owns it). */
  clientFactory?: () => Promise<{ client: PortalClient; profileName: string; dedupeTagging: boolean }>
  /** Seconds between status lines when stdout is not a terminal (default 3). */
  lineEverySec?: number
}

const fmtDuration = (sec: number | null): string => {
  if (sec === null || !Number.isFinite(sec)) return '—'
  const s = Math.max(0, Math.round(sec))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`
}

const clock = (ms: number): string => new Date(ms).toTimeString().slice(0, 8)

/** "3 requests in flight (up to 4), budget 61 % used" — empty when nothing is in flight or known. */
export function describeFlow(p: PacingState): string {
  const f = p.flow
  if (!f) return ''
  const parts: string[] = []
  if (f.inFlight > 0) parts.push(`${f.inFlight} request${f.inFlight === 1 ? '' : 's'} in flight (up to ${f.limit})`)
  if (f.budgetUsedPct !== null) parts.push(`budget ${f.budgetUsedPct} % used`)
  return parts.join(', ')
}

export function describePacing(p: PacingState): string {
  switch (p.kind) {
    case 'idle':
    case 'sending':
      return describeFlow(p)
    case 'bucket':
      return `request-rate limit, until ${clock(p.untilMs)}`
    case 'operating':
      return `waiting for the operating budget of ${p.method} until ${clock(p.untilMs)}`
    case 'backoff':
      return `${p.reason} back-off until ${clock(p.untilMs)}`
    case 'resolving':
      return 'checking chats whose answer was lost'
    case 'refreshing-token':
      return 'refreshing the access token'
    default:
      return ''
  }
}

/** The line printed when a job's status changes within a run (waiting for the portal, pausing …). */
export function statusLine(status: string, detail: JobStateDetail | undefined, now: number): string {
  if (detail?.kind === 'portal-unreachable') {
    const why = `${detail.error.message}`
    if (detail.nextTryAt === null) return `Portal unreachable (${why}) — trying again now, attempt ${detail.attempt}`
    return `Portal unreachable (${why}) — next try in ${Math.max(0, Math.round((detail.nextTryAt - now) / 1000))} s, attempt ${detail.attempt}`
  }
  if (detail?.kind === 'in-flight') return `${status === 'cancelling' ? 'Cancelling' : 'Pausing'} — waiting for the ${detail.chats} chat${detail.chats === 1 ? '' : 's'} in flight`
  if (detail?.kind === 'resolving') return `Checking ${detail.rows} row${detail.rows === 1 ? '' : 's'} on the portal whose outcome is unknown`
  if (status === 'running') return 'Portal reachable again — sending'
  return ''
}

export function progressLine(p: JobProgress, width = 24): string {
  const done = p.counts.created + p.counts.failed + p.counts['needs-checking'] + p.counts.skipped
  const frac = p.total ? done / p.total : 1
  const bar = `${'#'.repeat(Math.round(frac * width))}${'-'.repeat(width - Math.round(frac * width))}`
  const extra = [p.counts.failed ? `${p.counts.failed} failed` : '', p.counts['needs-checking'] ? `${p.counts['needs-checking']} to check` : '', p.counts.skipped ? `${p.counts.skipped} skipped` : ''].filter(Boolean).join(', ')
  const pacing = describePacing(p.pacing)
  return `[${bar}] ${done}/${p.total} created ${p.counts.created}${extra ? ` (${extra})` : ''} · ${p.chatsPerSec.toFixed(1)} chats/s · ETA ${fmtDuration(p.etaSec)}${pacing ? ` · ${pacing}` : ''}`
}

export async function runSync(argv: string[], io: CliIO, over: SyncOverrides = {}): Promise<number> {
  const parsed = parseCommandArgs(argv, {
    ...CONNECTION_OPTIONS,
    sandbox: { type: 'boolean' },
    data: { type: 'string' },
    results: { type: 'string' },
    plan: { type: 'string' },
    concurrency: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'retry-failed': { type: 'boolean' },
    verify: { type: 'boolean' },
    ...AVATARS_FROM_OPTION,
  }, USAGE, io)
  if ('exit' in parsed) return parsed.exit
  const v = parsed.values
  const file = parsed.positionals[0]
  if (!file || parsed.positionals.length > 1) {
    io.stderr.write(`Give exactly one sheet file.\n\n${USAGE}\n`)
    return EXIT.USAGE
  }
  const plan = v.plan as string | undefined
  if (plan !== undefined && !(PLANS as readonly string[]).includes(plan)) {
    io.stderr.write(`--plan must be standard or enterprise.\n`)
    return EXIT.USAGE
  }
  const concurrency = v.concurrency === undefined ? undefined : Number(v.concurrency)
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= CONCURRENCY.min && concurrency <= CONCURRENCY.max)) {
    io.stderr.write(`--concurrency must be a whole number from ${CONCURRENCY.min} to ${CONCURRENCY.max}.\n`)
    return EXIT.USAGE
  }
  const sources = [v.profile, v.webhook, v['webhook-stdin'], v.sandbox].filter(Boolean).length
  if (sources !== 1 && !over.clientFactory) {
    io.stderr.write(`Say which portal: exactly one of --profile NAME, --webhook-stdin, --webhook URL or --sandbox.\n\n${USAGE}\n`)
    return EXIT.USAGE
  }
  const from = await avatarFoldersFrom(v)
  if ('error' in from) {
    io.stderr.write(`${from.error}\n\n${USAGE}\n`)
    return EXIT.USAGE
  }
  const out = (s: string): boolean => io.stdout.write(`${s}\n`)
  const path = resolve(file)
  // Bounded: counted as the bytes arrive, regular files only (a device or FIFO is refused), with a deadline.
  const read = await readSheetFile(path, { signal: io.signal })
  if ('problem' in read) {
    io.stderr.write(`${file}: ${read.problem.message}\n`)
    return EXIT.FAILURE
  }
  const sheet = await importSheet(read.bytes, { fileName: basename(path), dir: dirname(path) }, { avatarFolders: from.folders, ...(io.signal ? { signal: io.signal } : {}) })
  if (!isReadable(sheet.fileProblems)) {
    for (const p of sheet.fileProblems) io.stderr.write(`${p.severity.toUpperCase()}: ${p.message}\n`)
    return EXIT.FAILURE
  }

  const cleanups: (() => Promise<void>)[] = []
  const logger = io.env.B24CHAT_DEBUG ? createLogger('sync', (l) => io.stderr.write(`${l}\n`)) : silentLogger
  try {
    let client: PortalClient
    let profileName: string
    let dedupeTagging = true
    let dataDir = v.data ? resolve(String(v.data)) : undefined
    if (over.clientFactory) {
      ;({ client, profileName, dedupeTagging } = await over.clientFactory())
    } else if (v.sandbox) {
      const { startSandbox } = await import('../../sandbox')
      const sb = await startSandbox({ plan: (plan as Plan | undefined) ?? 'standard' })
      cleanups.push(() => sb.close())
      client = createPortalClient({ kind: 'webhook', url: sb.webhookUrl }, { ca: sb.caPem, plan: (plan as Plan | undefined) ?? 'standard', concurrency, logger, ...over.client })
      profileName = `Sandbox portal ${sb.origin}`
      out(`Sandbox portal running at ${sb.origin}`)
      if (!dataDir) {
        dataDir = await mkdtemp(join(tmpdir(), 'b24chat-sandbox-'))
        const d = dataDir
        cleanups.push(() => rm(d, { recursive: true, force: true }))
      }
    } else {
      const r = await resolveCaller({ profile: v.profile as string | undefined, webhook: v.webhook as string | undefined, ...(v['webhook-stdin'] ? { webhookStdin: io.stdin } : {}), warn: (l) => io.stderr.write(`${l}\n`), concurrency, ca: v.ca as string | undefined, data: dataDir, plan: plan as Plan | undefined, env: io.env, logger })
      client = r.client
      profileName = r.profile.name
      dedupeTagging = r.profile.dedupeTagging
    }
    cleanups.unshift(async () => client.close())
    dataDir ??= resolve(resolveDataDir(io.env))
    await ensureDataDir(dataDir)

    const store = new JobStore(dataDir, over.fs ? { fs: over.fs } : {})
    cleanups.unshift(() => store.closeAll())
    const history = new CreatedHistory(dataDir, over.fs)
    await importCreated(history, await store.all())
    const portalKey = portalKeyFor(profileName, client.portal)
    const host = new URL(client.portal).host
    const jobId = jobIdFor(sheet.meta.contentHash, profileName)
    const runner = new JobRunner(jobId, {
      store,
      history,
      program: 'cli',
      logger,
      clientFor: async () => client,
      engine: { verify: Boolean(v.verify), ...over.engine },
      ...(over.backoffMs ? { backoffMs: over.backoffMs } : {}),
      ...(over.lock ? { lock: over.lock } : {}),
    })
    let job
    if (await store.exists(jobId)) {
      job = await store.load(jobId)
      if (!v['retry-failed']) out(`Resuming job ${jobId} (${JSON.stringify(job.counts())}).`)
    } else {
      const rows = sheet.allRows()
      // Rows this data folder created before are not sent again; the engine asks the portal about the rest.
      const plan = await planSend({ rows, portalKey, portalUrl: client.portal, history, dedupeTagging, portal: null })
      job = await store.createDraft({ id: jobId, rows, profile: profileName, source: path, headers: sheet.meta.headers, contentHash: sheet.meta.contentHash, dedupeTagging, portalKey, identities: plan.identities, skip: plan.skip })
      out(`New job ${jobId}: ${sheet.summary.rows} rows (${sheet.summary.error} with errors, not sent${plan.skip.size ? `; ${plan.skip.size} created before, not sent again` : ''}).`)
    }
    for (const r of job.record.rows) {
      if (r.status === 'error') out(`line ${r.line}: not sent — ${r.problem?.code ?? 'VALIDATION'}: ${r.problem?.message ?? ''}`)
    }

    if (v['dry-run']) {
      const report = await preflight(client, profileName, { signal: io.signal })
      out(`Connected to ${report.portal} as ${report.user.name} (id ${report.user.id}); scopes: ${report.scopes.join(', ') || 'none'}.`)
      for (const m of report.missing) out(`Missing scope ${m.scope}: ${m.why}`)
      const plan = await planSend({ rows: sheet.allRows(), portalKey, portalUrl: client.portal, history, dedupeTagging, portal: client })
      const c = job.counts()
      const left = job.record.rows.filter((r) => ['planned', 'sending'].includes(job.row(r.key).state) && !plan.skip.has(r.key)).length
      out(`Dry run: would create ${left} chat${left === 1 ? '' : 's'} on ${host}; ${c.created} already created by this job, ${plan.alreadyCreated + plan.createdWithOtherValues} created before, ${c.failed} failed, ${c.skipped} skipped, ${c['needs-checking']} to check. Nothing was sent.`)
      return report.canCreate ? EXIT.OK : EXIT.FAILURE
    }

    const tty = Boolean(io.stdout.isTTY)
    const every = (over.lineEverySec ?? 3) * 1000
    let lastLine = 0
    let latest: JobProgress | null = null
    let lastStatus = ''
    const width = Math.max(20, Math.min(40, ((io.stdout.columns ?? 100) as number) - 90))
    runner.onEvent((e) => {
      if (e.type === 'rows') {
        for (const r of e.rows) {
          if (r.state === 'created') continue
          const text = `line ${r.line}: ${r.state}${r.chatId ? ` chat ${r.chatId}` : ''}${r.errorCode ? ` — ${r.errorCode}: ${r.errorMessage ?? ''}` : ''}`
          io.stdout.write(tty ? `\r\x1b[K${redact(text)}\n` : `${redact(text)}\n`)
        }
      }
      if (e.type === 'status') {
        const line = statusLine(e.status, e.detail, e.at)
        if (line && line !== lastStatus) {
          lastStatus = line
          io.stdout.write(tty ? `\r\x1b[K${redact(line)}\n` : `${redact(line)}\n`)
        }
      }
      if (e.type === 'progress' || e.type === 'finished' || e.type === 'failed' || e.type === 'cancelled') latest = e.progress
      if (e.type === 'paused') out('Paused.')
      if (!latest) return
      const now = Date.now()
      if (tty) io.stdout.write(`\r\x1b[K${progressLine(latest, width)}`)
      else if (now - lastLine >= every) {
        lastLine = now
        out(progressLine(latest, 20))
      }
    })
    let interrupted = false
    let forced: () => void = () => {}
    const force = new Promise<'forced'>((resolve) => {
      forced = () => resolve('forced')
    })
    void io.interrupted.then(async () => {
      interrupted = true
      const inFlight = runner.inFlightChats
      io.stderr.write(`\nStopping now${inFlight ? `: ${inFlight} chat${inFlight === 1 ? ' was' : 's were'} in flight; they are checked on the portal when you run the same command again` : ''}. Ctrl+C again exits at once.\n`)
      void io.interruptedAgain?.then(() => {
        io.stderr.write('Exiting now. The journal is consistent: chats in flight are checked on the portal on the next run; nothing is sent twice.\n')
        forced()
      })
      await runner.stopNow()
    })
    try {
      if (v['retry-failed'] && (await store.exists(jobId))) {
        const before = (await store.load(jobId)).failedAtPortal()
        await runner.retryFailed()
        out(`Retrying ${before} failed row${before === 1 ? '' : 's'} of job ${jobId}.`)
      } else await runner.start()
    } catch (e) {
      if (e instanceof AppFailure && e.appError.code === 'LOCKED') {
        io.stderr.write(`b24chat sync: ${redact(e.message)}\n`)
        return EXIT.FAILURE
      }
      if (!(e instanceof AppFailure && e.appError.code === 'VALIDATION' && v['retry-failed'])) throw e
      out(e.message)
    }
    const end = await Promise.race([runner.done(), force])
    if (end === 'forced') return EXIT.INTERRUPTED
    if (tty) io.stdout.write('\n')
    const final = await store.load(jobId)
    out(progressLine(end?.progress ?? final.summary().progress, 20))

    if (v.results) {
      const target = resolve(String(v.results))
      await writeFile(target, exportResultsCsv(final), { mode: 0o600 })
      out(`Results written to ${target}`)
    }
    const c = final.counts()
    if (end?.type === 'failed') {
      io.stderr.write(`Sync stopped: ${redact(end.error.message)}${end.error.portalError ? ` (${end.error.portalError}: ${redact(end.error.portalDescription ?? '')})` : ''}\nRun the same command again to resume.\n`)
      return EXIT.FAILURE
    }
    out(`Done: ${c.created} created, ${c.skipped} skipped, ${c.failed} failed, ${c['needs-checking']} need checking${c.planned + c.sending ? `, ${c.planned + c.sending} not sent yet` : ''}.`)
    if (interrupted || !end || end.type === 'cancelled') {
      if (!end) out('Paused: run the same command again to resume.')
      return EXIT.INCOMPLETE
    }
    return c.failed + c['needs-checking'] + c.planned + c.sending === 0 ? EXIT.OK : EXIT.INCOMPLETE
  } catch (e) {
    const msg = e instanceof AppFailure ? e.message : e instanceof Error ? e.message : String(e)
    io.stderr.write(`b24chat sync: ${redact(msg)}\n`)
    return EXIT.FAILURE
  } finally {
    for (const c of cleanups) await c().catch(() => {})
  }
}

export const syncCommand: CliCommand = {
  name: 'sync',
  summary: 'Create the chats of a sheet on a portal: throttled, exactly once, resumable',
  usage: USAGE,
  run: (argv, io) => runSync(argv, io),
}
