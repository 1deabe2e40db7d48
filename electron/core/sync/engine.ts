/**
 * The sync engine: takes a stored job and creates its chats as fast as the portal allows, exactly once.
 *
 * Loop (one request at a time, as the docs advise):
 *   1. rows left in `sending` (a crash, or an answer that never came) are resolved first with im.chat.get on
 *      their entity pair — after the server can no longer be working on them (`settleMs` after the send);
 *      found → created, not found → planned again; rows with no pair → needs-checking, never resent;
 *   2. created rows that still need their owner get im.chat.setOwner (the owner was added to USERS at creation);
 *   3. with verification on, created rows are checked with im.dialog.get;
 *   4. the next planned rows get their e-mails resolved (user.get, ACTIVE) and, for rows with their own entity
 *      pair, a check that the chat does not exist yet; then a batch of im.chat.add is sized (server time, body
 *      size, operating budget), journaled as `sending` (fsync), sent, and the answers journaled (fsync).
 * Pause and cancel take effect between batches (a wait for the budget is interrupted; a request in flight is not).
 */
import { COLORS } from '../../shared/chat'
import type { ChatParams } from '../../shared/chat'
import { FINAL_ROW_STATES } from '../../shared/jobs'
import type { JobEvent, JobProgress, JobRowLog, JobSnapshot, JobStatus, PacingState, RowState, TerminalJobEvent } from '../../shared/jobs'
import { AppFailure } from '../../shared/result'
import type { AppError } from '../../shared/result'
import { systemClock } from '../clock'
import type { Clock } from '../clock'
import { silentLogger } from '../redact'
import type { Logger } from '../redact'
import { OutcomeUnknown } from '../portal/client'
import type { PortalClient } from '../portal/client'
import { batchCommand } from '../portal/encode'
import type { BatchResult } from '../portal/types'
import { batchSize, DEFAULT_SIZING } from './batching'
import type { BatchSizing } from './batching'
import { entityKeyFor } from './keys'
import type { EntityKey } from './keys'
import type { JournalEntry, RowRecord } from './journal'
import { EventHub, RateMeter } from './progress'
import type { JobRow, StoredJob } from './store'

export interface SyncEngineOptions {
  job: StoredJob
  client: PortalClient
  clock?: Clock
  logger?: Logger
  /** Check each created chat with im.dialog.get (title, colour, owner). Costs budget. */
  verify?: boolean
  sizing?: Partial<BatchSizing>
  /**
   * How long after a send the server may still be working on it (ms). A row whose answer was lost is resolved
   * only after this; default 65 s (the cloud kills requests after 60 s).
   */
  settleMs?: number
  /** Progress coalescing interval (default 100 ms: ~10 events per second). */
  progressIntervalMs?: number
  /** Give up on a row after this many sends whose outcome was lost and the chat proved absent (default 20). */
  maxSends?: number
  /** Compact the journal after this many entries (default 2000). */
  compactEvery?: number
}

const RETRYABLE_SUB_ERRORS = new Set(['OPERATION_TIME_LIMIT', 'QUERY_LIMIT_EXCEEDED', 'ERROR_BATCH_LENGTH_EXCEEDED', 'expired_token', 'invalid_token'])

class Interrupted extends AppFailure {
  constructor() {
    super('CANCELLED', 'Interrupted by pause or cancel')
  }
}

function errorOf(e: unknown): AppError {
  if (e instanceof AppFailure) return e.appError
  return { code: 'INTERNAL', message: 'The sync stopped on an unexpected error.' }
}

const isInterrupt = (e: unknown): boolean => e instanceof Interrupted || (e instanceof AppFailure && e.appError.code === 'CANCELLED')

export class SyncEngine {
  readonly job: StoredJob
  private readonly client: PortalClient
  private readonly clock: Clock
  private readonly log: Logger
  private readonly verifyOn: boolean
  private readonly sizing: BatchSizing
  private readonly settleMs: number
  private readonly maxSends: number
  private readonly compactEvery: number
  private readonly hub: EventHub
  private readonly rate: RateMeter
  private readonly rows: Map<string, JobRow>
  private readonly keys = new Map<string, EntityKey | null>()
  private readonly emails = new Map<string, number | null>()
  private readonly prechecked = new Set<string>()
  private readonly ownerTries = new Map<string, number>()
  private creatorId: number | null
  private running: Promise<TerminalJobEvent> | null = null
  private pauseRequested = false
  private cancelRequested = false
  private wake: (() => void) | null = null
  private waitAbort = new AbortController()
  private pacing: PacingState = { kind: 'idle' }
  private unsubPacing: (() => void) | null = null

  constructor(opts: SyncEngineOptions) {
    this.job = opts.job
    this.client = opts.client
    this.clock = opts.clock ?? systemClock
    this.log = opts.logger ?? silentLogger
    this.verifyOn = opts.verify ?? false
    this.sizing = { ...DEFAULT_SIZING, ...opts.sizing }
    this.settleMs = opts.settleMs ?? 65_000
    this.maxSends = opts.maxSends ?? 20
    this.compactEvery = opts.compactEvery ?? 2000
    this.creatorId = opts.client.userId
    this.rows = new Map(this.job.record.rows.map((r) => [r.key, r]))
    for (const r of this.job.record.rows) {
      for (const [e, id] of Object.entries(r.resolved ?? {})) if (id !== null && id !== undefined) this.emails.set(e.toLowerCase(), id)
    }
    this.hub = new EventHub(this.job.id, this.clock, () => this.progress(), opts.progressIntervalMs ?? 100)
    this.rate = new RateMeter(this.clock)
  }

  // ---- public API ---------------------------------------------------------------------------------------

  onEvent(l: (e: JobEvent) => void): () => void {
    return this.hub.on(l)
  }

  get status(): JobStatus {
    return this.job.state.status
  }

  /** Runs the job to its terminal event. Calling it while running returns the same promise. */
  start(): Promise<TerminalJobEvent> {
    if (!this.running) {
      this.pauseRequested = false
      this.cancelRequested = false
      this.waitAbort = new AbortController()
      this.running = this.run().finally(() => {
        this.running = null
      })
    }
    return this.running
  }

  /** Pauses between batches (a wait for the budget is cut short; a request in flight completes). */
  pause(): void {
    if (!this.running || this.cancelRequested) return
    this.pauseRequested = true
    this.interruptWait()
  }

  resume(): void {
    this.pauseRequested = false
    this.wake?.()
  }

  /** Stops between batches. Rows not sent stay planned; the job can be started again later. */
  cancel(): void {
    this.cancelRequested = true
    this.interruptWait()
    this.wake?.()
  }

  snapshot(): JobSnapshot {
    return { ...this.job.summary(), progress: this.progress(), seq: this.hub.lastSeq, log: this.job.log() }
  }

  // ---- progress -----------------------------------------------------------------------------------------

  private progress(): JobProgress {
    const counts = this.job.counts()
    const total = this.job.record.rows.length
    const left = counts.planned + counts.sending
    let etaSec: number | null = null
    if (left === 0) etaSec = 0
    else if (this.running) {
      const per = Math.max(1, batchSize(new Array(Math.min(left, 50)).fill(0), this.client.pacer.serverSecPerCall('im.chat.add'), 50, this.sizing))
      etaSec = Math.ceil(this.client.pacer.etaSec('im.chat.add', left, Math.ceil(left / per)))
    }
    return { counts, total, chatsPerSec: this.rate.rate(), etaSec, pacing: this.pacing }
  }

  private setPacing(p: PacingState): void {
    this.pacing = p
    this.hub.tick()
  }

  // ---- helpers ------------------------------------------------------------------------------------------

  private interruptWait(): void {
    this.waitAbort.abort(new Interrupted())
    this.waitAbort = new AbortController()
  }

  private get signal(): AbortSignal {
    return this.waitAbort.signal
  }

  private keyOf(row: JobRow): EntityKey | null {
    if (!this.keys.has(row.key)) this.keys.set(row.key, entityKeyFor(this.job.id, row.key, row.params, this.job.record.dedupeTagging))
    return this.keys.get(row.key) ?? null
  }

  private rowsIn(state: RowState): JobRow[] {
    return this.job.record.rows.filter((r) => this.job.row(r.key).state === state)
  }

  private ownerIdOf(row: JobRow): number | null | undefined {
    if (row.owner === undefined || row.owner === '') return undefined
    if (typeof row.owner === 'number') return row.owner
    const s = String(row.owner).trim()
    if (/^\d+$/.test(s)) return Number(s)
    return this.emails.get(s.toLowerCase()) ?? null
  }

  private needsOwner(row: JobRow): boolean {
    const o = this.ownerIdOf(row)
    return o !== undefined && o !== null && o !== this.creatorId
  }

  private async write(entries: JournalEntry[]): Promise<void> {
    if (entries.length === 0) return
    await this.job.journal.append(entries)
    const now = this.clock.now()
    for (const e of entries) {
      if (e.k !== 'row') continue
      if ((FINAL_ROW_STATES as readonly string[]).includes(e.state)) {
        const row = this.rows.get(e.key)
        const l: JobRowLog = { rowKey: e.key, line: row?.line ?? 0, state: e.state, at: now }
        if (e.chatId !== undefined) l.chatId = e.chatId
        if (e.errorCode) l.errorCode = e.errorCode
        if (e.errorMessage) l.errorMessage = e.errorMessage
        this.hub.row(l)
        this.log.info(`row ${l.line}: ${l.state}${l.chatId ? ` chat ${l.chatId}` : ''}${l.errorCode ? ` ${l.errorCode}: ${l.errorMessage ?? ''}` : ''}`)
      }
    }
    this.hub.tick()
    if (this.job.journal.pendingEntries >= this.compactEvery) await this.job.journal.compact()
  }

  private rowEntry(key: string, rec: Omit<RowRecord, 'at'>): JournalEntry {
    return { k: 'row', key, ...rec, at: this.clock.now() }
  }

  /** A created row's entry: owner pending when the owner still has to be set. */
  private createdEntry(row: JobRow, chatId: number, prev: RowRecord): JournalEntry {
    const rec: Omit<RowRecord, 'at'> = { state: 'created', chatId, sends: prev.sends ?? 0 }
    if (this.needsOwner(row)) rec.owner = 'pending'
    return this.rowEntry(row.key, rec)
  }

  // ---- the run ------------------------------------------------------------------------------------------

  private async run(): Promise<TerminalJobEvent> {
    this.hub.rearm()
    this.rate.start()
    this.unsubPacing = this.client.pacer.onState((p) => this.setPacing(p))
    const total = this.job.record.rows.length
    try {
      await this.job.journal.append([{ k: 'job', status: 'running', at: this.clock.now(), portal: this.client.portal, error: null }])
      this.hub.emit({ type: 'started', jobId: this.job.id, at: this.clock.now(), total })
      await this.loop()
      this.setPacing({ kind: 'idle' })
      const status: JobStatus = this.cancelRequested ? 'cancelled' : 'finished'
      await this.job.journal.append([{ k: 'job', status, at: this.clock.now() }])
      await this.job.journal.compact()
      return this.hub.terminal({ type: status, jobId: this.job.id, at: this.clock.now(), progress: this.progress() })
    } catch (e) {
      this.setPacing({ kind: 'idle' })
      const error = errorOf(e)
      if (!(e instanceof AppFailure)) this.log.error('sync stopped', e instanceof Error ? e.message : String(e))
      try {
        await this.job.journal.append([{ k: 'job', status: 'failed', at: this.clock.now(), error }])
        await this.job.journal.compact()
      } catch (we) {
        this.log.error('could not record the failure', we instanceof Error ? we.message : String(we))
      }
      return this.hub.terminal({ type: 'failed', jobId: this.job.id, at: this.clock.now(), error, progress: this.progress() })
    } finally {
      this.unsubPacing?.()
      this.unsubPacing = null
    }
  }

  /** Honours pause and cancel. Returns false when the run must stop. */
  private async checkpoint(): Promise<boolean> {
    if (this.cancelRequested) return false
    if (!this.pauseRequested) return true
    await this.job.journal.append([{ k: 'job', status: 'paused', at: this.clock.now() }])
    this.setPacing({ kind: 'idle' })
    this.hub.emit({ type: 'paused', jobId: this.job.id, at: this.clock.now() })
    this.hub.flush()
    while (this.pauseRequested && !this.cancelRequested) {
      await new Promise<void>((resolve) => {
        this.wake = resolve
      })
      this.wake = null
    }
    if (this.cancelRequested) return false
    await this.job.journal.append([{ k: 'job', status: 'running', at: this.clock.now() }])
    this.hub.emit({ type: 'resumed', jobId: this.job.id, at: this.clock.now() })
    return true
  }

  private async loop(): Promise<void> {
    for (let guard = 0; guard < 10_000_000; guard++) {
      if (!(await this.checkpoint())) return
      try {
        const sending = this.rowsIn('sending')
        if (sending.length) {
          await this.resolve(sending.slice(0, this.sizing.maxBatch))
          continue
        }
        const owners = this.job.record.rows.filter((r) => {
          const s = this.job.row(r.key)
          return s.state === 'created' && s.owner === 'pending'
        })
        if (owners.length) {
          await this.setOwners(owners.slice(0, this.sizing.maxBatch))
          continue
        }
        if (this.verifyOn) {
          const unverified = this.job.record.rows.filter((r) => {
            const s = this.job.row(r.key)
            return s.state === 'created' && !s.verified && s.owner !== 'pending'
          })
          if (unverified.length) {
            await this.verify(unverified.slice(0, this.sizing.maxBatch))
            continue
          }
        }
        const planned = this.rowsIn('planned')
        if (!planned.length) return
        const window = planned.slice(0, this.sizing.maxBatch * 2)
        if (await this.prepare(window)) continue
        await this.sendNext(window)
      } catch (e) {
        if (isInterrupt(e) && (this.pauseRequested || this.cancelRequested)) continue
        throw e
      }
    }
  }

  // ---- phase 1: resolve unknown outcomes ----------------------------------------------------------------

  private async resolve(rows: JobRow[]): Promise<void> {
    const entries: JournalEntry[] = []
    const keyed: [JobRow, EntityKey][] = []
    for (const row of rows) {
      const k = this.keyOf(row)
      const s = this.job.row(row.key)
      if (!k) {
        entries.push(this.rowEntry(row.key, {
          state: 'needs-checking',
          sends: s.sends ?? 1,
          errorCode: 'OUTCOME_UNKNOWN',
          errorMessage: 'The portal never confirmed this chat and the row has no entity pair to look it up (tagging is off), so it was not sent again. Check the portal before retrying it.',
        }))
      } else keyed.push([row, k])
    }
    await this.write(entries)
    if (!keyed.length) return
    // Wait until the server cannot still be working on any of these sends.
    const settleAt = Math.max(0, ...keyed.map(([row]) => {
      const s = this.job.row(row.key)
      return s.settled ? 0 : (s.sentAt ?? 0) + this.settleMs
    }))
    this.setPacing({ kind: 'resolving' })
    const wait = settleAt - this.clock.now()
    if (wait > 0) await this.clock.sleep(wait, this.signal)
    const cmd: Record<string, [string, Record<string, unknown>]> = {}
    keyed.forEach(([, k], i) => {
      cmd[`g${i}`] = ['im.chat.get', { ENTITY_TYPE: k.entityType, ENTITY_ID: k.entityId }]
    })
    const res = (await this.client.batch(cmd, { signal: this.signal })).result
    const out: JournalEntry[] = []
    keyed.forEach(([row], i) => {
      const s = this.job.row(row.key)
      const key = `g${i}`
      if (key in res.result_error) {
        const err = res.result_error[key]
        out.push(this.rowEntry(row.key, { state: 'needs-checking', sends: s.sends, errorCode: err?.error ?? 'OUTCOME_UNKNOWN', errorMessage: `Could not look the chat up after a lost answer: ${err?.error_description ?? ''}`.trim() }))
        return
      }
      if (!(key in res.result)) return // not answered: stays sending, resolved again next round
      const id = chatIdOf(res.result[key])
      if (id !== null) out.push(this.createdEntry(row, id, s))
      else if ((s.sends ?? 0) >= this.maxSends) {
        out.push(this.rowEntry(row.key, { state: 'failed', sends: s.sends, errorCode: 'NETWORK', errorMessage: `The portal lost the answer ${s.sends} times; the chat was not created. Retry the failed rows later.` }))
      } else out.push(this.rowEntry(row.key, { state: 'planned', sends: s.sends }))
    })
    const created = out.filter((e) => e.k === 'row' && e.state === 'created').length
    this.rate.add(created)
    await this.write(out)
    this.setPacing({ kind: 'idle' })
  }

  // ---- phase 2: owners ----------------------------------------------------------------------------------

  private async ensureCreator(): Promise<void> {
    if (this.creatorId !== null) return
    const me = await this.client.call<{ ID?: string | number }>('profile', {}, { signal: this.signal })
    const id = Number(me.result?.ID)
    this.creatorId = Number.isFinite(id) && id > 0 ? id : -1
  }

  private async setOwners(rows: JobRow[]): Promise<void> {
    await this.ensureCreator()
    const done: JournalEntry[] = []
    const todo: [JobRow, number, number][] = []
    for (const row of rows) {
      const s = this.job.row(row.key)
      const target = this.ownerIdOf(row)
      if (target === undefined || target === this.creatorId) done.push(this.rowEntry(row.key, { ...stripAt(s), owner: 'done' }))
      else if (target === null) done.push(this.rowEntry(row.key, { ...stripAt(s), state: 'needs-checking', owner: undefined, errorCode: 'OWNER_NOT_FOUND', errorMessage: `The chat was created, but no active user has the owner's e-mail ${String(row.owner)}.` }))
      else todo.push([row, s.chatId as number, target])
    }
    await this.write(done)
    if (!todo.length) return
    const cmd: Record<string, [string, Record<string, unknown>]> = {}
    todo.forEach(([, chatId, target], i) => {
      cmd[`o${i}`] = ['im.chat.setOwner', { CHAT_ID: chatId, USER_ID: target }]
    })
    let res: BatchResult
    try {
      res = (await this.client.batch(cmd, { signal: this.signal })).result
    } catch (e) {
      if (!(e instanceof OutcomeUnknown)) throw e
      // The owner may or may not have changed: look at the chats.
      await this.checkOwners(todo, todo.map(() => `the answer was lost (${e.message})`), todo.map(() => true))
      return
    }
    const out: JournalEntry[] = []
    const recheck: [JobRow, number, number][] = []
    const reasons: string[] = []
    const lost: boolean[] = []
    todo.forEach(([row, chatId, target], i) => {
      const s = this.job.row(row.key)
      const k = `o${i}`
      if (k in res.result && res.result[k]) out.push(this.rowEntry(row.key, { ...stripAt(s), owner: 'done' }))
      else if (k in res.result_error && RETRYABLE_SUB_ERRORS.has(res.result_error[k]?.error ?? '')) {
        // stays pending
      } else {
        const err = res.result_error[k]
        recheck.push([row, chatId, target])
        reasons.push(err ? `${err.error}: ${err.error_description}` : 'the portal did not answer')
        lost.push(!err)
      }
    })
    await this.write(out)
    if (recheck.length) await this.checkOwners(recheck, reasons, lost)
  }

  /** After a setOwner that failed or whose answer was lost: the chat's owner decides. */
  private async checkOwners(items: [JobRow, number, number][], reasons: string[], lost: boolean[]): Promise<void> {
    const cmd: Record<string, [string, Record<string, unknown>]> = {}
    items.forEach(([, chatId], i) => {
      cmd[`d${i}`] = ['im.dialog.get', { DIALOG_ID: `chat${chatId}` }]
    })
    const res = (await this.client.batch(cmd, { signal: this.signal })).result
    const out: JournalEntry[] = []
    items.forEach(([row, , target], i) => {
      const s = this.job.row(row.key)
      const d = res.result[`d${i}`] as { owner?: number | string } | undefined
      const tries = (this.ownerTries.get(row.key) ?? 0) + 1
      this.ownerTries.set(row.key, tries)
      if (d && Number(d.owner) === target) out.push(this.rowEntry(row.key, { ...stripAt(s), owner: 'done' }))
      else if (d && lost[i] && tries < 3) {
        // the change was lost on the way: owner still pending, set again next round
      } else {
        out.push(this.rowEntry(row.key, { ...stripAt(s), state: 'needs-checking', owner: undefined, errorCode: 'OWNER_NOT_SET', errorMessage: `The chat was created, but its owner could not be set: ${reasons[i] ?? ''}`.trim() }))
      }
    })
    await this.write(out)
  }

  // ---- phase 3: verification ----------------------------------------------------------------------------

  private async verify(rows: JobRow[]): Promise<void> {
    const cmd: Record<string, [string, Record<string, unknown>]> = {}
    rows.forEach((row, i) => {
      cmd[`v${i}`] = ['im.dialog.get', { DIALOG_ID: `chat${this.job.row(row.key).chatId}` }]
    })
    const res = (await this.client.batch(cmd, { signal: this.signal })).result
    const out: JournalEntry[] = []
    rows.forEach((row, i) => {
      const s = this.job.row(row.key)
      const k = `v${i}`
      const d = res.result[k] as { name?: string; color?: string; owner?: number | string } | undefined
      if (!d) {
        const err = res.result_error[k]
        out.push(this.rowEntry(row.key, { ...stripAt(s), state: 'needs-checking', errorCode: err?.error ?? 'VERIFY_FAILED', errorMessage: `The chat was created but could not be verified: ${err?.error_description ?? 'no answer'}` }))
        return
      }
      const problems: string[] = []
      const p = row.params
      if (p.TITLE && d.name !== p.TITLE.trim()) problems.push(`title is "${d.name ?? ''}", expected "${p.TITLE}"`)
      if (p.COLOR && String(d.color ?? '').toLowerCase() !== COLORS[p.COLOR].hex.toLowerCase()) problems.push(`colour is ${d.color ?? '?'}, expected ${p.COLOR} (${COLORS[p.COLOR].hex})`)
      const owner = this.ownerIdOf(row)
      if (owner && Number(d.owner) !== owner) problems.push(`owner is ${d.owner ?? '?'}, expected ${owner}`)
      if (problems.length) out.push(this.rowEntry(row.key, { ...stripAt(s), state: 'needs-checking', errorCode: 'VERIFY_MISMATCH', errorMessage: `Created, but ${problems.join('; ')}` }))
      else out.push(this.rowEntry(row.key, { ...stripAt(s), verified: true }))
    })
    await this.write(out)
  }

  // ---- phase 4: prepare and send ------------------------------------------------------------------------

  /** E-mail resolution and the existence check of rows with their own pair. Returns true if rows changed state. */
  private async prepare(rows: JobRow[]): Promise<boolean> {
    const wanted = new Set<string>()
    for (const row of rows) {
      for (const e of row.emails) if (!this.emails.has(e.toLowerCase())) wanted.add(e.toLowerCase())
      if (typeof row.owner === 'string' && row.owner.includes('@') && !this.emails.has(row.owner.trim().toLowerCase())) wanted.add(row.owner.trim().toLowerCase())
    }
    const failedEmail = new Map<string, string>()
    const list = [...wanted]
    for (let i = 0; i < list.length; i += this.sizing.maxBatch) {
      const chunk = list.slice(i, i + this.sizing.maxBatch)
      const cmd: Record<string, [string, Record<string, unknown>]> = {}
      chunk.forEach((e, j) => {
        cmd[`u${j}`] = ['user.get', { FILTER: { EMAIL: e, ACTIVE: true } }]
      })
      const res = (await this.client.batch(cmd, { signal: this.signal })).result
      chunk.forEach((e, j) => {
        const k = `u${j}`
        if (k in res.result_error) {
          const err = res.result_error[k]
          failedEmail.set(e, `${err?.error ?? 'ERROR'}: ${err?.error_description ?? ''}`)
          return
        }
        const users = Array.isArray(res.result[k]) ? (res.result[k] as { ID?: string | number; EMAIL?: string }[]) : []
        const hit = users.find((u) => String(u.EMAIL ?? '').toLowerCase() === e) ?? users[0]
        this.emails.set(e, hit?.ID !== undefined ? Number(hit.ID) : null)
      })
    }
    const entries: JournalEntry[] = []
    for (const row of rows) {
      const bad = row.emails.map((e) => e.toLowerCase()).filter((e) => failedEmail.has(e) || this.emails.get(e) === null)
      if (bad.length) {
        const reason = failedEmail.get(bad[0] as string)
        entries.push(this.rowEntry(row.key, {
          state: 'failed',
          errorCode: reason ? 'USER_LOOKUP_FAILED' : 'USER_NOT_FOUND',
          errorMessage: reason ? `Could not look up ${bad.join(', ')}: ${reason}` : `No active user with the e-mail ${bad.join(', ')}: the portal would silently leave them out, so the chat was not created.`,
        }))
      }
    }
    await this.write(entries)
    // Rows with their own entity pair: a chat with that pair may already exist (made by hand, or by an earlier
    // job). Those rows are skipped, not duplicated.
    const check = rows.filter((r) => this.job.row(r.key).state === 'planned' && !this.prechecked.has(r.key) && !(this.job.row(r.key).sends ?? 0) && this.keyOf(r)?.own)
    if (check.length) {
      const cmd: Record<string, [string, Record<string, unknown>]> = {}
      check.forEach((r, i) => {
        const k = this.keyOf(r) as EntityKey
        cmd[`p${i}`] = ['im.chat.get', { ENTITY_TYPE: k.entityType, ENTITY_ID: k.entityId }]
      })
      const res = (await this.client.batch(cmd, { signal: this.signal })).result
      const out: JournalEntry[] = []
      check.forEach((r, i) => {
        this.prechecked.add(r.key)
        const id = chatIdOf(res.result[`p${i}`])
        if (id !== null) {
          const k = this.keyOf(r) as EntityKey
          out.push(this.rowEntry(r.key, { state: 'skipped', chatId: id, errorCode: 'ALREADY_EXISTS', errorMessage: `A chat with ENTITY_TYPE ${k.entityType} and ENTITY_ID ${k.entityId} already exists (chat ${id}); not created again.` }))
        }
      })
      await this.write(out)
      if (out.length) return true
    }
    return entries.length > 0
  }

  private paramsFor(row: JobRow): Record<string, unknown> {
    const p: ChatParams = { ...row.params }
    const users = new Set<number>(p.USERS ?? [])
    for (const e of row.emails) {
      const id = this.emails.get(e.toLowerCase())
      if (typeof id === 'number') users.add(id)
    }
    // The owner must be a member for im.chat.setOwner: add them at creation.
    const owner = this.ownerIdOf(row)
    if (typeof owner === 'number' && owner !== this.creatorId) users.add(owner)
    if (users.size) p.USERS = [...users]
    else delete p.USERS
    const k = this.keyOf(row)
    if (k) {
      p.ENTITY_TYPE = k.entityType
      p.ENTITY_ID = k.entityId
    }
    return p as Record<string, unknown>
  }

  private async sendNext(window: JobRow[]): Promise<void> {
    const rows = window.filter((r) => this.job.row(r.key).state === 'planned')
    if (!rows.length) return
    if (rows.some((r) => this.needsOwner(r))) await this.ensureCreator()
    const params = rows.map((r) => this.paramsFor(r))
    const bytes = params.map((p) => batchCommand('im.chat.add', p).length)
    const pacer = this.client.pacer
    const want = batchSize(bytes, pacer.serverSecPerCall('im.chat.add'), this.sizing.maxBatch, this.sizing)
    const affordable = await pacer.waitForBudget('im.chat.add', want, 1, this.signal)
    const n = batchSize(bytes, pacer.serverSecPerCall('im.chat.add'), affordable, this.sizing)
    const batch = rows.slice(0, n)
    const sentAt = this.clock.now()
    // Before the request leaves: each row's key is on disk.
    await this.write(batch.map((r) => this.rowEntry(r.key, { state: 'sending', sentAt, settled: false, sends: (this.job.row(r.key).sends ?? 0) + 1 })))
    const cmd: Record<string, [string, Record<string, unknown>]> = {}
    batch.forEach((_, i) => {
      cmd[`r${i}`] = ['im.chat.add', params[i] as Record<string, unknown>]
    })
    const expected = batch.length * pacer.serverSecPerCall('im.chat.add')
    let res: BatchResult
    try {
      res = (await this.client.batch(cmd, { signal: this.signal, expectedServerSec: expected })).result
    } catch (e) {
      const now = this.clock.now()
      if (e instanceof OutcomeUnknown) {
        this.log.warn(`batch of ${batch.length}: outcome unknown (${e.message}); resolving before anything else`)
        await this.write(batch.map((r) => this.rowEntry(r.key, { ...stripAt(this.job.row(r.key)), settled: e.settled })))
        return
      }
      // Anything else was rejected before it ran (auth, scope, limits, connection): nothing was created.
      await this.write(batch.map((r) => ({ k: 'row' as const, key: r.key, state: 'planned' as const, sends: Math.max(0, (this.job.row(r.key).sends ?? 1) - 1), at: now })))
      throw e
    }
    const out: JournalEntry[] = []
    let created = 0
    batch.forEach((row, i) => {
      const k = `r${i}`
      const s = this.job.row(row.key)
      if (k in res.result) {
        const id = chatIdOf(res.result[k])
        if (id !== null) {
          out.push(this.createdEntry(row, id, s))
          created++
          return
        }
      }
      if (k in res.result_error) {
        const err = res.result_error[k]
        if (err && RETRYABLE_SUB_ERRORS.has(err.error)) out.push(this.rowEntry(row.key, { state: 'planned', sends: Math.max(0, (s.sends ?? 1) - 1) }))
        else out.push(this.rowEntry(row.key, { state: 'failed', sends: s.sends, errorCode: err?.error ?? 'ERROR', errorMessage: err?.error_description ?? '' }))
        return
      }
      // Neither a result nor an error: the portal did not say. Resolve it like a lost answer.
      out.push(this.rowEntry(row.key, { ...stripAt(s), settled: true }))
    })
    this.rate.add(created)
    await this.write(out)
  }
}

function stripAt(r: RowRecord): Omit<RowRecord, 'at'> {
  const { at: _at, ...rest } = r
  return rest
}

function chatIdOf(v: unknown): number | null {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v)
  if (v && typeof v === 'object' && 'ID' in v) return chatIdOf((v as { ID: unknown }).ID)
  return null
}

/** Creates an engine for a stored job and starts it. `done` resolves with the run's terminal event. */
export function runJob(opts: SyncEngineOptions & { onEvent?: (e: JobEvent) => void }): { engine: SyncEngine; done: Promise<TerminalJobEvent> } {
  const engine = new SyncEngine(opts)
  if (opts.onEvent) engine.onEvent(opts.onEvent)
  return { engine, done: engine.start() }
}
