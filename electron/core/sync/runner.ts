/**
 * The job runner: one state machine per job (machine.ts holds the table), owning start, pause, resume, cancel,
 * retry-failed and "send the unsent rows again". It holds the job's lock for as long as a run lasts (paused
 * included), opens the job's journal as its only writer, creates a SyncEngine per attempt and decides what each
 * ending means:
 *
 *  - every row final → `finished`; a stop → `paused` or `cancelled`;
 *  - the portal unreachable (refused, DNS, TLS, lost answers, limits that do not lift): `waiting-for-portal` with
 *    backoff and the attempt number; each attempt re-resolves the client (a sandbox on a new port, a fixed
 *    profile) and probes the portal (`server.time`); then rows whose outcome is unknown are resolved
 *    (`resolving`) and the run goes on. Never terminal;
 *  - a real verdict (revoked webhook, missing scope, no REST on the plan, a full disk) → `failed` with the reason;
 *    resumable once fixed.
 *
 * Events carry the job's own `seq`, continued from the journal across runs, engines and restarts; every run ends
 * with exactly one terminal event. Pause and cancel are acknowledged at once with a status event naming the chats
 * in flight, and take effect when those return. `stopNow` (quit, Ctrl+C) ends at once: rows in flight stay
 * `sending` in the journal (resolved by the next run), the job is recorded paused, the lock released.
 */
import type { JobAction, JobEvent, JobProgress, JobSnapshot, JobStateDetail, JobStatus, JobSummary, TerminalJobEvent } from '../../shared/jobs'
import { LIVE_JOB_STATUSES } from '../../shared/jobs'
import { AppFailure, missingCase } from '../../shared/result'
import type { AppError, ErrorCode } from '../../shared/result'
import { systemClock } from '../clock'
import type { Clock } from '../clock'
import { redactAppError, silentLogger } from '../redact'
import type { Logger } from '../redact'
import type { PortalClient } from '../portal/client'
import { errorOf, isInterrupt, SyncEngine } from './engine'
import type { SyncEngineOptions } from './engine'
import type { CreatedHistory } from './history'
import type { JournalEntry } from './journal'
import { JobLock } from './lock'
import type { LockOptions, LockProgram } from './lock'
import { actionsFor, transition } from './machine'
import { EventHub } from './progress'
import type { JobStore, StoredJob } from './store'

export type EngineSettings = Partial<Pick<SyncEngineOptions, 'verify' | 'sizing' | 'settleMs' | 'maxSends' | 'compactEvery'>>

export interface JobRunnerDeps {
  store: JobStore
  /** The portal client for this job, resolved afresh for every attempt (new sandbox port, fixed profile). */
  clientFor: (job: StoredJob) => Promise<PortalClient>
  history?: CreatedHistory
  /** Who holds the lock: the app or the CLI. */
  program: LockProgram
  clock?: Clock
  logger?: Logger
  /** Engine settings, read at the start of every attempt (verification can change between runs). */
  engine?: EngineSettings | (() => Promise<EngineSettings>)
  /** Waits between attempts while the portal is unreachable, ms (the last repeats). */
  backoffMs?: readonly number[]
  progressIntervalMs?: number
  lock?: LockOptions
}

export const DEFAULT_BACKOFF_MS: readonly number[] = [2_000, 5_000, 10_000, 20_000, 30_000, 60_000]

/** True for the errors that stop a job (failed) rather than make it wait for the portal. */
export function isVerdict(code: ErrorCode): boolean {
  switch (code) {
    case 'NETWORK':
    case 'OUTCOME_UNKNOWN':
    case 'RATE_LIMITED':
    case 'OPERATION_LIMITED':
      return false
    case 'VALIDATION':
    case 'AUTH_MISSING':
    case 'AUTH_REJECTED':
    case 'SCOPE_MISSING':
    case 'FORBIDDEN':
    case 'PORTAL_ERROR':
    case 'CANCELLED':
    case 'KEYCHAIN_UNAVAILABLE':
    case 'NOT_FOUND':
    case 'INTERNAL':
    case 'STORAGE':
    case 'LOCKED':
      return true
    default:
      return missingCase(code)
  }
}

type Want = 'run' | 'pause' | 'cancel'

/** A job found live on disk (running, pausing …) that nobody runs was interrupted: it rests paused. */
export function restingStatus(status: JobStatus): JobStatus {
  return LIVE_JOB_STATUSES.includes(status) ? 'paused' : status
}

const EMPTY_PROGRESS: JobProgress = { counts: { planned: 0, sending: 0, created: 0, failed: 0, 'needs-checking': 0, skipped: 0 }, total: 0, chatsPerSec: 0, etaSec: null, pacing: { kind: 'idle' } }

export class JobRunner {
  readonly id: string
  private readonly store: JobStore
  private readonly clock: Clock
  private readonly log: Logger
  private readonly backoffMs: readonly number[]
  private hub: EventHub | null = null
  private readonly listeners = new Set<(e: JobEvent) => void>()
  private lock: JobLock | null = null
  /** The job opened as writer while the lock is held. */
  private job: StoredJob | null = null
  private engine: SyncEngine | null = null
  private run: Promise<TerminalJobEvent | null> | null = null
  /** The status while this runner has run the job (null: never here; the journal says). */
  private status: JobStatus | null = null
  private detail: JobStateDetail | undefined
  private error: AppError | undefined
  private want: Want = 'run'
  private abandoned = false
  private lastError: AppError | null = null
  /** Cut short by pause, cancel, quit and "try now": the wait before the next attempt. */
  private sleeping: AbortController | null = null
  /** Cut short by pause, cancel and quit: the probe of an attempt. */
  private probing: AbortController | null = null
  private wakePaused: (() => void) | null = null
  private persisting: Promise<void> = Promise.resolve()

  constructor(id: string, private readonly deps: JobRunnerDeps) {
    this.id = id
    this.store = deps.store
    this.clock = deps.clock ?? systemClock
    this.log = deps.logger ?? silentLogger
    this.backoffMs = deps.backoffMs?.length ? deps.backoffMs : DEFAULT_BACKOFF_MS
  }

  // ---- observing ----------------------------------------------------------------------------------------

  onEvent(l: (e: JobEvent) => void): () => void {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }

  /** True while a run holds the job (running, pausing, paused, waiting, resolving, cancelling). */
  get live(): boolean {
    return this.run !== null
  }

  /** Chats in creating batches on the wire now. */
  get inFlightChats(): number {
    return this.engine?.inFlightChats ?? 0
  }

  private view(): Promise<StoredJob> {
    return this.job ? Promise.resolve(this.job) : this.store.load(this.id)
  }

  private progressNow(): JobProgress {
    return this.engine?.progress() ?? this.job?.summary().progress ?? EMPTY_PROGRESS
  }

  async summary(): Promise<JobSummary> {
    const job = await this.view()
    const base = job.summary()
    const out: JobSummary = { ...base }
    delete out.detail
    delete out.error
    if (this.run && this.status) {
      out.status = this.status
      if (this.detail) out.detail = this.detail
      if (this.error) out.error = this.error
      if (this.engine) out.progress = this.engine.progress()
    } else {
      const holder = await JobLock.holder(this.store.dir(this.id), this.deps.lock)
      if (holder) {
        // Another process sends it: show what it recorded; nothing can be done here until it stops.
        out.lockedBy = { program: holder.program, pid: holder.pid, host: holder.host, since: holder.since }
        if (base.detail) out.detail = base.detail
        out.actions = []
        return out
      }
      out.status = restingStatus(base.status)
      if (out.status === base.status && base.detail) out.detail = base.detail
      if (base.error) out.error = base.error
    }
    out.actions = actionsFor(out.status, base.progress.counts, job.failedAtPortal())
    return out
  }

  async snapshot(): Promise<JobSnapshot> {
    const job = await this.view()
    return { ...(await this.summary()), seq: this.hub?.lastSeq ?? job.state.seq ?? 0, log: job.log() }
  }

  /** The current run's end (null when it ended without one: stopped now, to resume later). */
  done(): Promise<TerminalJobEvent | null> {
    return this.run ?? Promise.resolve(null)
  }

  // ---- commands -----------------------------------------------------------------------------------------

  private refuse(action: JobAction, status: JobStatus): never {
    throw new AppFailure('VALIDATION', `A ${status.replace(/-/g, ' ')} job cannot ${action.replace(/-/g, ' ')}.`, { messageRu: `Для задания в состоянии «${status}» это действие недоступно.` })
  }

  private async statusNow(): Promise<JobStatus> {
    if (this.run && this.status) return this.status
    return restingStatus((await this.store.load(this.id)).state.status)
  }

  /** Interrupts the waits of the run: the backoff sleep always, the probe unless it is only "try now". */
  private interrupt(tryNow = false): void {
    this.sleeping?.abort()
    if (!tryNow) this.probing?.abort()
  }

  /** Starts a run (draft, queued, a failed or cancelled job's unsent rows), or resumes a paused one. */
  async start(): Promise<JobSummary> {
    const status = await this.statusNow()
    switch (status) {
      case 'paused':
        return this.resume()
      case 'running':
      case 'pausing':
      case 'resolving':
      case 'waiting-for-portal':
      case 'cancelling':
        return this.summary()
      case 'draft':
      case 'queued':
      case 'failed':
      case 'cancelled':
      case 'finished':
        await this.begin()
        return this.summary()
      default:
        return missingCase(status)
    }
  }

  /** A cancelled (or failed) job: send the rows it never sent. */
  async sendUnsent(): Promise<JobSummary> {
    const status = await this.statusNow()
    if (status !== 'cancelled' && status !== 'failed') this.refuse('send-unsent', status)
    const c = (await this.view()).counts()
    if (c.planned + c.sending === 0) throw new AppFailure('VALIDATION', 'Every row of this job was sent already; there is nothing left to send.', { messageRu: 'Все строки этого задания уже отправлены; отправлять нечего.' })
    await this.begin()
    return this.summary()
  }

  /** Acknowledged at once (`pausing`, with the chats in flight); paused when those have returned. */
  pause(): Promise<JobSummary> {
    const s = this.status
    if (!this.run || !s || !['running', 'resolving', 'waiting-for-portal'].includes(s) || this.want !== 'run') return this.summary()
    this.want = 'pause'
    this.setStatus('pausing', { kind: 'in-flight', chats: this.engine?.inFlightChats ?? 0 })
    this.engine?.stop('drain')
    this.interrupt()
    return this.summary()
  }

  /** Resumes a paused job (or an interrupted one, or a failed one after the cause was fixed); "try now" while waiting. */
  async resume(): Promise<JobSummary> {
    const status = await this.statusNow()
    if (status === 'waiting-for-portal') {
      this.interrupt(true)
      return this.summary()
    }
    if (this.run && this.status === 'paused') {
      this.want = 'run'
      this.wakePaused?.()
      return this.summary()
    }
    if ((status === 'paused' || status === 'failed') && !this.run) await this.begin()
    return this.summary()
  }

  /** Acknowledged at once (`cancelling`, with the chats in flight); cancelled when those have returned. */
  async cancel(): Promise<JobSummary> {
    const status = await this.statusNow()
    if (!this.run) {
      if (status !== 'paused') return this.summary()
      // Interrupted earlier (a quit, a crash): take the job to record the cancel.
      await this.acquire()
      this.want = 'cancel'
      this.status = 'paused'
      this.run = this.track(this.loop())
      return this.summary()
    }
    if (this.want === 'cancel') return this.summary()
    this.want = 'cancel'
    if (this.status !== 'paused') this.setStatus('cancelling', { kind: 'in-flight', chats: this.engine?.inFlightChats ?? 0 })
    this.engine?.stop('drain')
    this.interrupt()
    this.wakePaused?.()
    return this.summary()
  }

  /**
   * Puts the rows that failed at the portal back to planned and sends them (a paused run resumes). Rows that
   * need checking or that validation rejected are never re-planned. VALIDATION when there is nothing to retry;
   * the runner is left exactly as it was.
   */
  async retryFailed(): Promise<JobSummary> {
    const status = await this.statusNow()
    if (!['finished', 'failed', 'cancelled', 'paused'].includes(status)) this.refuse('retry-failed', status)
    if ((await this.view()).failedAtPortal() === 0) {
      throw new AppFailure('VALIDATION', 'There are no failed rows to retry (rows rejected by validation need fixing in the sheet).', { messageRu: 'Нет строк с ошибками отправки для повтора (строки с ошибками проверки нужно исправить в листе).' })
    }
    await this.acquire()
    const job = this.job as StoredJob
    await job.journal.append(job.retryEntries(this.clock.now()))
    if (this.run) return this.resume()
    await this.begin()
    return this.summary()
  }

  /** Quit or Ctrl+C: stop at once, record the job paused, release the lock. Rows in flight stay `sending`. */
  async stopNow(): Promise<void> {
    const run = this.run
    if (!run) return
    this.abandoned = true
    this.engine?.stop('abandon')
    this.interrupt()
    this.wakePaused?.()
    await run.catch(() => null)
  }

  // ---- the run ------------------------------------------------------------------------------------------

  private async acquire(): Promise<void> {
    if (this.lock) return
    const lock = await JobLock.acquire(this.store.dir(this.id), this.deps.program, this.deps.lock)
    try {
      this.job = await this.store.openWriter(this.id)
      this.lock = lock
    } catch (e) {
      await lock.release().catch(() => undefined)
      throw e
    }
  }

  private async release(): Promise<void> {
    this.job = null
    await this.store.closeWriter(this.id).catch(() => undefined)
    const lock = this.lock
    this.lock = null
    await lock?.release().catch(() => undefined)
  }

  private track(p: Promise<TerminalJobEvent | null>): Promise<TerminalJobEvent | null> {
    p.catch((e: unknown) => this.log.error('job runner failed', e instanceof Error ? e.message : String(e)))
    return p
  }

  /** Takes the lock and starts a run in the background (LOCKED and disk errors reach the caller). */
  private begin(): Promise<void> {
    // Two clicks on Start: the second waits for the first instead of finding the lock taken by itself.
    if (!this.starting) {
      this.starting = this.beginOnce().finally(() => {
        this.starting = null
      })
    }
    return this.starting
  }

  private starting: Promise<void> | null = null

  private async beginOnce(): Promise<void> {
    // A run that just sent its terminal event is still releasing the job: wait for it, then start anew.
    if (this.run && this.status && ['finished', 'failed', 'cancelled'].includes(this.status)) await this.run.catch(() => null)
    if (this.run) return
    await this.acquire()
    this.want = 'run'
    this.abandoned = false
    this.run = this.track(this.loop())
  }

  private hubFor(job: StoredJob): EventHub {
    if (!this.hub) {
      this.hub = new EventHub(this.id, this.clock, () => this.progressNow(), this.deps.progressIntervalMs ?? 100, job.state.seq ?? 0)
      this.hub.on((e) => {
        for (const l of this.listeners) {
          try {
            l(e)
          } catch {
            // a listener's failure must not stop the job
          }
        }
      })
    }
    return this.hub
  }

  /** Moves to `to` (checked against the table), emits an event now, records it in the journal in order. */
  private setStatus(to: JobStatus, given?: JobStateDetail, event: 'status' | 'paused' | 'resumed' = 'status'): void {
    // What leaves here goes to the journal, the events and the summaries: its error text is redacted once, here.
    const detail = given?.kind === 'portal-unreachable' ? { ...given, error: redactAppError(given.error) } : given
    const from = this.status ?? 'draft'
    if (from !== to) transition(from, to)
    this.status = to
    this.detail = detail
    const hub = this.hub
    const job = this.job
    if (!hub || !job) return
    const at = this.clock.now()
    this.persist(job, { k: 'job', status: to, at, seq: hub.nextSeq(), detail: detail ?? null })
    const actions = this.actionsIn(job, to)
    if (event === 'paused') hub.emit({ type: 'paused', jobId: this.id, at, actions })
    else if (event === 'resumed') hub.emit({ type: 'resumed', jobId: this.id, at, actions })
    else hub.emit({ type: 'status', jobId: this.id, at, status: to, ...(detail ? { detail } : {}), actions })
  }

  /** The commands `status` allows for this job now (carried by every event that changes the status). */
  private actionsIn(job: StoredJob, status: JobStatus): JobAction[] {
    return actionsFor(status, job.counts(), job.failedAtPortal())
  }

  /** Status entries are written in order behind each other; a failure is logged (the rows' entries are the truth). */
  private persist(job: StoredJob, entry: JournalEntry): void {
    this.persisting = this.persisting
      .then(() => job.journal.append([entry]))
      .catch((e: unknown) => this.log.warn('could not record the job status', e instanceof Error ? e.message : String(e)))
  }

  /** What is asked now (a method, so a check after an await is not narrowed by one before it). */
  private wanted(): Want {
    return this.want
  }

  private async settings(): Promise<EngineSettings> {
    const e = this.deps.engine
    return typeof e === 'function' ? e() : (e ?? {})
  }

  private async loop(): Promise<TerminalJobEvent | null> {
    const job = this.job as StoredJob
    const hub = this.hubFor(job)
    hub.rearm()
    this.error = undefined
    this.lastError = null
    let attempt = 0
    try {
      if (this.want !== 'cancel') {
        this.status = transition(this.status ?? restingStatus(job.state.status), 'running')
        this.detail = undefined
        const seq = hub.nextSeq()
        hub.emit({ type: 'started', jobId: this.id, at: this.clock.now(), total: job.record.rows.length, actions: this.actionsIn(job, 'running') })
        await job.journal.append([{ k: 'job', status: 'running', at: this.clock.now(), seq, error: null, detail: null }])
      }
      for (;;) {
        if (this.abandoned) return this.want === 'cancel' ? await this.finish(job, hub, 'cancelled') : await this.rest()
        if (this.want === 'cancel') return await this.finish(job, hub, 'cancelled')
        if (this.want === 'pause' && (await this.paused()) !== 'run') continue
        try {
          const client = await this.deps.clientFor(job)
          if (job.state.portal !== client.portal) {
            // Where the chats are (links in the results): recorded before anything is sent there.
            await this.persisting
            await job.journal.append([{ k: 'job', status: this.status ?? 'running', at: this.clock.now(), portal: client.portal, seq: hub.lastSeq, detail: this.detail ?? null }])
          }
          if (attempt > 0) {
            this.setStatus('waiting-for-portal', { kind: 'portal-unreachable', attempt, nextTryAt: null, error: this.lastError ?? { code: 'NETWORK', message: 'The portal could not be reached.' } })
            this.probing = new AbortController()
            await client.call('server.time', {}, { signal: this.probing.signal })
            this.probing = null
            // Paused or cancelled while the probe was answered: that comes first.
            if (this.wanted() !== 'run' || this.abandoned) continue
            this.setStatus('running')
          }
          attempt = 0
          this.engine = new SyncEngine({
            job,
            client,
            clock: this.clock,
            logger: this.log,
            hub,
            ...(this.deps.history ? { history: this.deps.history } : {}),
            onResolving: (n) => {
              if (this.want !== 'run') return
              if (n > 0 && this.status === 'running') this.setStatus('resolving', { kind: 'resolving', rows: n })
              else if (n === 0 && this.status === 'resolving') this.setStatus('running')
            },
            ...(await this.settings()),
          })
          if (this.abandoned) this.engine.stop('abandon')
          else if (this.want !== 'run') this.engine.stop('drain')
          const outcome = await this.engine.run()
          this.engine = null
          if (outcome === 'done' && !this.abandoned) return await this.finish(job, hub, this.wanted() === 'cancel' ? 'cancelled' : 'finished')
        } catch (e) {
          this.engine = null
          if (this.abandoned || (isInterrupt(e) && this.want !== 'run')) continue
          const error = errorOf(e)
          if (!(e instanceof AppFailure)) this.log.error('sync stopped', e instanceof Error ? e.message : String(e))
          if (isVerdict(error.code)) return await this.finish(job, hub, 'failed', error)
          if (this.want !== 'run') continue
          attempt++
          await this.waitForPortal(attempt, error)
        }
      }
    } catch (e) {
      // The journal could not record a status (a full disk): the job fails with that reason.
      return await this.finish(job, hub, 'failed', errorOf(e))
    } finally {
      this.engine = null
    }
  }

  /** Waits before the next attempt (cut short by pause, cancel, quit or "try now"). */
  private async waitForPortal(attempt: number, error: AppError): Promise<void> {
    this.lastError = error
    const ms = this.backoffMs[Math.min(attempt - 1, this.backoffMs.length - 1)] ?? 60_000
    this.setStatus('waiting-for-portal', { kind: 'portal-unreachable', attempt, nextTryAt: this.clock.now() + ms, error })
    this.log.warn(`portal unreachable (${error.code}: ${error.message}); attempt ${attempt}, next try in ${Math.round(ms / 1000)} s`)
    this.sleeping = new AbortController()
    try {
      await this.clock.sleep(ms, this.sleeping.signal)
    } catch {
      // cut short
    } finally {
      this.sleeping = null
    }
  }

  /** Paused until resumed, cancelled or stopped now. Returns what was asked. */
  private async paused(): Promise<Want> {
    this.setStatus('paused', undefined, 'paused')
    await this.persisting
    this.hub?.flush()
    while (this.want === 'pause' && !this.abandoned) {
      await new Promise<void>((resolve) => {
        this.wakePaused = resolve
      })
      this.wakePaused = null
    }
    if (this.want === 'run' && !this.abandoned) this.setStatus('running', undefined, 'resumed')
    return this.abandoned ? 'pause' : this.want
  }

  /** Ends the run without a terminal event: recorded paused, lock released (quit, Ctrl+C). */
  private async rest(): Promise<null> {
    if (this.status !== 'paused') this.setStatus('paused', undefined, 'paused')
    this.hub?.silence()
    await this.persisting
    await this.release()
    this.run = null
    return null
  }

  private async finish(job: StoredJob, hub: EventHub, type: 'finished' | 'failed' | 'cancelled', given?: AppError): Promise<TerminalJobEvent> {
    // The reason goes to the journal, the terminal event and the summaries: redacted once, here.
    const error = given && redactAppError(given)
    this.status = transition(this.status ?? 'running', type)
    this.detail = undefined
    this.error = error
    const at = this.clock.now()
    try {
      await this.persisting
      await job.journal.append([{ k: 'job', status: type, at, seq: hub.nextSeq(), detail: null, error: error ?? null }])
      await job.journal.compact()
    } catch (e) {
      this.log.error('could not record the end of the run', e instanceof Error ? e.message : String(e))
    }
    const progress = job.summary().progress
    const actions = this.actionsIn(job, type)
    const ev = type === 'failed'
      ? hub.terminal({ type, jobId: this.id, at, error: error ?? { code: 'INTERNAL', message: 'The sync stopped.' }, progress, actions })
      : hub.terminal({ type, jobId: this.id, at, progress, actions })
    await this.release()
    this.run = null
    return ev
  }
}

/** Runs one job to its terminal event with a runner of its own (tests, the benchmark, one-off callers). */
export async function runJob(opts: Omit<JobRunnerDeps, 'clientFor' | 'program'> & { jobId: string; client: PortalClient; program?: LockProgram; onEvent?: (e: JobEvent) => void }): Promise<TerminalJobEvent> {
  const { jobId, client, onEvent, program, ...deps } = opts
  const runner = new JobRunner(jobId, { ...deps, program: program ?? 'cli', clientFor: async () => client })
  if (onEvent) runner.onEvent(onEvent)
  await runner.start()
  const end = await runner.done()
  if (!end) throw new AppFailure('INTERNAL', 'The run ended without a terminal event.')
  return end
}
