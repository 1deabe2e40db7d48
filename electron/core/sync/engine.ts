/**
 * The sync engine: one run of a job (the runner, runner.ts, owns the job's life across runs). It creates the
 * job's chats as fast as the portal allows, exactly once:
 *
 *   1. rows left `sending` by an earlier run (a crash, a lost answer, a damaged journal) are resolved first with
 *      im.chat.get on their entity pair — after the server can no longer be working on them (`settleMs` after
 *      the send); found → created, not found → planned again; rows with no pair → needs-checking, never resent;
 *   2. created rows that still need their owner get im.chat.setOwner (the owner was added to USERS at creation);
 *   3. with verification on, created rows are checked with im.dialog.get;
 *   4. the next planned rows get their e-mails resolved (user.get, ACTIVE) and are looked up before their first
 *      send — in the data folder's created-chats history and on the portal (im.chat.get by the row's pair):
 *      a chat made earlier (by another job, data folder or computer) is not made again;
 *   5. creating batches are launched while fewer than `client.pacer.inFlightLimit()` are in flight (rows are
 *      looked up two rounds ahead: on every free lane at the start, then beside the batches on the wire). Batches
 *      ready together are journaled in one write and leave together. Each batch is an independent unit: its rows
 *      are journaled `sending` (fdatasync) before it leaves, its answers are journaled when they come, and a lost
 *      answer is resolved by the batch itself after its own settle time.
 *      Rows a batch of this run holds are never mistaken for rows left `sending` by a crash.
 *
 * `stop('drain')` (pause, cancel) stops launching and interrupts waits; the run ends when the batches in flight
 * have returned. `stop('abandon')` (quit, Ctrl+C) ends the run at once: rows in flight stay `sending` in the
 * journal and are resolved by the next run. Every lookup, owner, verify and send goes through keyedBatch (≤ 50).
 */
import { setMaxListeners } from 'node:events'
import { COLORS } from '../../shared/chat'
import type { ChatParams } from '../../shared/chat'
import { ALREADY_CREATED, ALREADY_EXISTS, FINAL_ROW_STATES } from '../../shared/jobs'
import type { JobProgress, JobRowLog, PacingState, RowState } from '../../shared/jobs'
import { AppFailure } from '../../shared/result'
import { CONCURRENCY } from '../../shared/settings'
import type { AppError } from '../../shared/result'
import { systemClock } from '../clock'
import type { Clock } from '../clock'
import { silentLogger } from '../redact'
import type { Logger } from '../redact'
import { OutcomeUnknown } from '../portal/client'
import { callsLeft } from '../portal/pacer'
import type { PortalClient } from '../portal/client'
import { batchCommand } from '../portal/encode'
import { keyedBatch } from '../portal/keyed-batch'
import type { KeyedCall, KeyedOutcome } from '../portal/keyed-batch'
import { batchSize, DEFAULT_SIZING } from './batching'
import type { BatchSizing } from './batching'
import type { CreatedHistory, CreatedRecord } from './history'
import type { JournalEntry, RowRecord } from './journal'
import { EventHub, RateMeter } from './progress'
import type { JobRow, StoredJob } from './store'

export interface SyncEngineOptions {
  /** The job, opened as its writer (the runner holds its lock). */
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
  /** Give up on a row after this many sends whose outcome was lost and the chat proved absent (default 20). */
  maxSends?: number
  /** Compact the journal after this many entries (default 2000). */
  compactEvery?: number
  /** The data folder's created-chats history: consulted before sending, told about every chat created. */
  history?: CreatedHistory
  /** Where row log lines and progress ticks go (the runner's hub). */
  hub?: EventHub
  /** Told how many rows are being resolved on the portal (0 when done), for the runner's `resolving` status. */
  onResolving?: (rows: number) => void
}

export type EngineOutcome = 'done' | 'stopped'
export type StopMode = 'drain' | 'abandon'

const RETRYABLE_SUB_ERRORS = new Set(['OPERATION_TIME_LIMIT', 'QUERY_LIMIT_EXCEEDED', 'ERROR_BATCH_LENGTH_EXCEEDED', 'expired_token', 'invalid_token'])
/** Lookups of one row that may fail before the row is set aside as needs-checking. */
const MAX_LOOKUP_TRIES = 3

class Interrupted extends AppFailure {
  constructor() {
    super('CANCELLED', 'Interrupted by pause or cancel')
  }
}

export function errorOf(e: unknown): AppError {
  if (e instanceof AppFailure) return e.appError
  return { code: 'INTERNAL', message: 'The sync stopped on an unexpected error.' }
}

export const isInterrupt = (e: unknown): boolean => e instanceof Interrupted || (e instanceof AppFailure && e.appError.code === 'CANCELLED')

/** A creating batch of this run: its rows, and whether it is still on the wire. */
interface Batch {
  rows: JobRow[]
  onWire: boolean
  /** When it left (the engine's clock, ms). */
  sentAt: number
}

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
  private readonly history: CreatedHistory | undefined
  private readonly hub: EventHub
  private readonly onResolving: ((rows: number) => void) | undefined
  private readonly rate: RateMeter
  private readonly emails = new Map<string, number | null>()
  /** Planned rows looked up (history and portal) in this run and found absent. */
  private readonly checked = new Set<string>()
  private readonly lookupTries = new Map<string, number>()
  private readonly ownerTries = new Map<string, number>()
  /** Rows a batch of this run holds (on the wire, or being resolved by its batch). */
  private readonly owned = new Set<string>()
  private readonly batches = new Set<Batch>()
  private readonly tasks = new Set<Promise<void>>()
  /** Planned rows being looked up (e-mails, the lookup before the first send) by a task of this run. */
  private readonly preparing = new Set<string>()
  private lookups = 0
  private creatorId: number | null
  private failure: unknown = null
  private stopMode: StopMode | null = null
  private readonly waits = new AbortController()
  private wakeLoop: (() => void) | null = null
  private pacing: PacingState = { kind: 'idle' }
  private resolvingRows = 0
  private running = false
  /** The last append to the created-chats history (each one follows the one before it). */
  private historyWrite: Promise<void> = Promise.resolve()

  constructor(opts: SyncEngineOptions) {
    setMaxListeners(SIGNAL_LISTENERS, this.waits.signal)
    this.job = opts.job
    this.client = opts.client
    this.clock = opts.clock ?? systemClock
    this.log = opts.logger ?? silentLogger
    this.verifyOn = opts.verify ?? false
    this.sizing = { ...DEFAULT_SIZING, ...opts.sizing }
    this.settleMs = opts.settleMs ?? 65_000
    this.maxSends = opts.maxSends ?? 20
    this.compactEvery = opts.compactEvery ?? 2000
    this.history = opts.history
    this.onResolving = opts.onResolving
    this.creatorId = opts.client.userId
    this.hub = opts.hub ?? new EventHub(this.job.id, this.clock, () => this.progress())
    this.rate = new RateMeter(this.clock)
    for (const r of this.job.record.rows) {
      for (const [e, id] of Object.entries(r.resolved ?? {})) if (id !== null && id !== undefined) this.emails.set(e.toLowerCase(), id)
    }
  }

  // ---- public API ---------------------------------------------------------------------------------------

  /** Chats in creating batches on the wire now. */
  get inFlightChats(): number {
    let n = 0
    for (const b of this.batches) if (b.onWire) n += b.rows.length
    return n
  }

  /**
   * Ends the run: 'drain' stops launching batches and interrupts waits, and the run ends when the batches in
   * flight have returned; 'abandon' ends it at once (rows in flight stay `sending`, resolved by the next run).
   */
  stop(mode: StopMode): void {
    if (this.stopMode === 'abandon') return
    this.stopMode = mode
    if (!this.waits.signal.aborted) this.waits.abort(new Interrupted())
    this.wake()
  }

  progress(): JobProgress {
    const counts = this.job.counts()
    const total = this.job.record.rows.length
    const left = counts.planned + counts.sending
    let etaSec: number | null = null
    if (left === 0) etaSec = 0
    else if (this.running) {
      const per = Math.max(1, batchSize(new Array(Math.min(left, 50)).fill(0), this.client.pacer.latencySecPerCall('im.chat.add'), this.client.pacer.batchCalls(left, this.sizing.maxBatch), this.sizing))
      etaSec = Math.ceil(this.client.pacer.etaSec('im.chat.add', left, Math.ceil(left / per)))
    }
    return { counts, total, chatsPerSec: this.rate.rate(), etaSec, pacing: this.pacing }
  }

  /** Runs until every row is final ('done') or the run is stopped ('stopped'); rejects with the error that ended it. */
  async run(): Promise<EngineOutcome> {
    this.running = true
    this.rate.start()
    const unsub = this.client.pacer.onState((p) => this.setPacing(p))
    try {
      await this.loop()
    } catch (e) {
      if (!(isInterrupt(e) && this.stopMode)) this.fail(e)
    }
    if (this.stopMode !== 'abandon') {
      while (this.tasks.size) await Promise.allSettled([...this.tasks])
      // A run that ends has written every chat it made to the history: the CLI may exit next, another process read it.
      await this.historyWrite
    }
    unsub()
    this.running = false
    this.setPacing({ kind: 'idle' })
    if (this.failure) throw this.failure
    return this.stopMode ? 'stopped' : 'done'
  }

  // ---- helpers ------------------------------------------------------------------------------------------

  private fail(e: unknown): void {
    if (!this.failure) this.failure = e
    // Nothing new is launched; the batches in flight return and are journaled; waits end now.
    if (!this.stopMode) this.stopMode = 'drain'
    if (!this.waits.signal.aborted) this.waits.abort(new Interrupted())
    this.wake()
  }

  private wake(): void {
    const w = this.wakeLoop
    this.wakeLoop = null
    w?.()
  }

  private nextEvent(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeLoop = resolve
    })
  }

  private get signal(): AbortSignal {
    return this.waits.signal
  }

  private setPacing(p: PacingState): void {
    this.pacing = p
    this.hub.tick()
  }

  private setResolving(n: number): void {
    this.resolvingRows = Math.max(0, n)
    this.onResolving?.(this.resolvingRows)
  }

  private rowsIn(state: RowState): JobRow[] {
    return this.job.record.rows.filter((r) => this.job.row(r.key).state === state && !this.owned.has(r.key))
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

  /** Journals entries (durably), then logs final rows, tells the history about created chats, compacts. */
  private async write(entries: JournalEntry[]): Promise<void> {
    if (entries.length === 0) return
    if (this.stopMode === 'abandon') throw new Interrupted()
    await this.job.journal.append(entries)
    const now = this.clock.now()
    const created: CreatedRecord[] = []
    for (const e of entries) {
      if (e.k !== 'row') continue
      if (!(FINAL_ROW_STATES as readonly string[]).includes(e.state)) continue
      const row = this.job.rowByKey(e.key)
      const l: JobRowLog = { rowKey: e.key, line: row?.line ?? 0, state: e.state, at: now }
      if (e.chatId !== undefined) l.chatId = e.chatId
      if (e.errorCode) l.errorCode = e.errorCode
      if (e.errorMessage) l.errorMessage = e.errorMessage
      this.hub.row(l)
      this.log.info(`row ${l.line}: ${l.state}${l.chatId ? ` chat ${l.chatId}` : ''}${l.errorCode ? ` ${l.errorCode}: ${l.errorMessage ?? ''}` : ''}`)
      if (e.state === 'created' && e.chatId !== undefined && row) {
        created.push({ portal: this.job.portalKey, identity: this.job.identityOf(row), chatId: e.chatId, at: now, jobId: this.job.id, rowKey: row.key, fields: this.job.fieldsOf(row) })
      }
    }
    if (created.length && this.history) {
      // Not awaited here (the journal is the truth); the run waits for it before it ends (`run`).
      this.historyWrite = this.history.record(created).catch((err: unknown) => this.log.warn('could not add to the created-chats history', err instanceof Error ? err.message : String(err)))
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

  /** What the history says about a row: made by this very row (the journal lost it), or by another send. */
  private historyHit(row: JobRow): { self: boolean; rec: CreatedRecord } | null {
    const rec = this.history?.find(this.job.portalKey, this.job.identityOf(row))
    if (!rec) return null
    return { self: rec.jobId === this.job.id && rec.rowKey === row.key, rec }
  }

  private alreadyCreatedEntry(row: JobRow, chatId: number, when: number | null, prev: RowRecord): JournalEntry {
    const at = when ? ` on ${new Date(when).toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''
    return this.rowEntry(row.key, {
      state: 'skipped',
      chatId,
      sends: prev.sends ?? 0,
      errorCode: ALREADY_CREATED,
      errorMessage: `Already created as chat ${chatId}${at}; not created again.`,
    })
  }

  /**
   * A chat with the row's pair was found on the portal. `ours`: this job sent the row (a lookup after a send);
   * otherwise (a lookup before the first send) it was made elsewhere and the row is skipped.
   */
  private foundEntry(row: JobRow, chatId: number, prev: RowRecord, ours: boolean): JournalEntry {
    const key = this.job.keyOf(row)
    const hit = this.historyHit(row)
    if (hit && !hit.self && (!ours || hit.rec.chatId === chatId)) return this.alreadyCreatedEntry(row, hit.rec.chatId, hit.rec.at, prev)
    if (ours || hit?.self) return this.createdEntry(row, chatId, prev)
    if (key?.own) {
      return this.rowEntry(row.key, { state: 'skipped', chatId, sends: prev.sends ?? 0, errorCode: ALREADY_EXISTS, errorMessage: `A chat with ENTITY_TYPE ${key.entityType} and ENTITY_ID ${key.entityId} already exists (chat ${chatId}); not created again.` })
    }
    // A version-1 tag names this job's own row: the journal lost its creation.
    if (this.job.record.version < 2) return this.createdEntry(row, chatId, prev)
    return this.alreadyCreatedEntry(row, chatId, null, prev)
  }

  // ---- the loop -----------------------------------------------------------------------------------------

  private inFlightLimit(): number {
    const n = Math.floor(this.client.pacer.inFlightLimit())
    return Number.isFinite(n) && n >= 1 ? n : 1
  }

  private onWire(): number {
    let n = 0
    for (const b of this.batches) if (b.onWire) n++
    return n
  }

  private async loop(): Promise<void> {
    for (let guard = 0; guard < 10_000_000; guard++) {
      if (this.failure) throw this.failure
      if (this.stopMode) return
      try {
        const stale = this.rowsIn('sending')
        if (stale.length) {
          await this.resolve(stale.slice(0, this.sizing.maxBatch), true)
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
        if (!planned.length) {
          if (!this.tasks.size) return
          await this.nextEvent()
          continue
        }
        const ready: JobRow[] = []
        const unchecked: JobRow[] = []
        for (const r of planned) {
          if (this.preparing.has(r.key)) continue
          if (this.checked.has(r.key)) ready.push(r)
          else unchecked.push(r)
        }
        const limit = this.inFlightLimit()
        // The next batch's size: the work left spread over what is allowed in flight (so the last round ends together).
        const want = this.client.pacer.batchCalls(this.workLeft(planned.length), this.sizing.maxBatch)
        const more = unchecked.length > 0 || this.preparing.size > 0
        const free = limit - this.onWire()
        if (free > 0 && ready.length > 0 && (ready.length >= want || !more)) {
          await this.launch(ready, want, free, more)
          continue
        }
        // Rows are looked up ahead of their send: two rounds' worth (at least one lookup request), so the next
        // round's rows are ready when its lanes free up. Lookups use the lanes no creating batch holds (all of them
        // at the start, so the first round leaves together), and a few more beside the batches on the wire.
        const ahead = Math.max(this.sizing.maxBatch, 2 * want * limit)
        const lanes = Math.max(lookupsInFlight(limit), free)
        const wanted = Math.min(unchecked.length, ahead - ready.length - this.preparing.size)
        if (wanted > 0 && this.lookups < lanes) {
          this.prepareAhead(unchecked.slice(0, lookupChunk(wanted, lanes - this.lookups, this.sizing.maxBatch)))
          continue
        }
        if (!this.tasks.size) {
          throw new AppFailure('INTERNAL', 'The sync stopped: rows are left to send but nothing is under way. Start the job again; if it happens again, report it.', {
            messageRu: 'Отправка остановилась: строки ещё не отправлены, но ничего не выполняется. Запустите задание снова; если это повторится, сообщите о проблеме.',
          })
        }
        await this.nextEvent()
      } catch (e) {
        if (isInterrupt(e) && this.stopMode) return
        throw e
      }
    }
  }

  /** The calls left to run, for sizing the next batch: the planned rows and what the batches on the wire have still to run. */
  private workLeft(planned: number): number {
    const onWire = [...this.batches].filter((b) => b.onWire).map((b) => ({ calls: b.rows.length, sentAt: b.sentAt }))
    return callsLeft(planned, onWire, this.clock.now(), this.client.pacer.latencySecPerCall('im.chat.add'))
  }

  /** Looks rows up (e-mails, then history and portal) in a task of its own; the loop goes on meanwhile. */
  private prepareAhead(rows: JobRow[]): void {
    for (const r of rows) this.preparing.add(r.key)
    this.lookups++
    const task = this.prepare(rows)
      .then(() => undefined)
      .catch((e: unknown) => {
        if (this.stopMode === 'abandon') return
        if (!(isInterrupt(e) && this.stopMode)) this.fail(e)
      })
      .finally(() => {
        this.lookups--
        for (const r of rows) this.preparing.delete(r.key)
        this.tasks.delete(task)
        this.wake()
      })
    this.tasks.add(task)
  }

  // ---- resolving unknown outcomes -----------------------------------------------------------------------

  /**
   * Looks rows in `sending` up on their entity pair, after their settle time: found → created, absent →
   * planned again (or failed after `maxSends`), no pair → needs-checking. `stale`: rows left by an earlier run.
   */
  private async resolve(rows: JobRow[], stale: boolean): Promise<void> {
    const entries: JournalEntry[] = []
    const keyed: [JobRow, KeyedCall][] = []
    for (const row of rows) {
      const k = this.job.keyOf(row)
      const s = this.job.row(row.key)
      if (!k) {
        entries.push(this.rowEntry(row.key, {
          state: 'needs-checking',
          sends: s.sends ?? 1,
          errorCode: 'OUTCOME_UNKNOWN',
          errorMessage: s.uncertain
            ? 'The job\'s journal was damaged and this row has no entity pair to look it up (tagging is off), so it was not sent again. Check the portal before retrying it.'
            : 'The portal never confirmed this chat and the row has no entity pair to look it up (tagging is off), so it was not sent again. Check the portal before retrying it.',
        }))
      } else keyed.push([row, ['im.chat.get', { ENTITY_TYPE: k.entityType, ENTITY_ID: k.entityId }]])
    }
    await this.write(entries)
    if (!keyed.length) return
    // Wait until the server cannot still be working on any of these sends.
    const settleAt = Math.max(0, ...keyed.map(([row]) => {
      const s = this.job.row(row.key)
      return s.settled ? 0 : (s.sentAt ?? 0) + this.settleMs
    }))
    if (stale) this.setResolving(keyed.length)
    this.setPacing({ kind: 'resolving' })
    try {
      const wait = settleAt - this.clock.now()
      if (wait > 0) await this.clock.sleep(wait, this.signal)
      await this.history?.refresh()
      await keyedBatch(this.client, keyed.map(([row, call]) => [row, call] as const), {
        signal: this.signal,
        onChunk: (outcomes) => this.write([...outcomes].flatMap(([row, o]) => this.resolvedEntry(row, o))),
      })
    } finally {
      if (stale) this.setResolving(0)
      this.setPacing({ kind: 'idle' })
    }
  }

  private resolvedEntry(row: JobRow, o: KeyedOutcome): JournalEntry[] {
    const s = this.job.row(row.key)
    if (o.kind === 'missing') return [] // not answered: stays sending, resolved again next round
    if (o.kind === 'error') {
      return [this.rowEntry(row.key, { state: 'needs-checking', sends: s.sends, errorCode: o.error || 'OUTCOME_UNKNOWN', errorMessage: `Could not look the chat up after a lost answer: ${o.description}`.trim() })]
    }
    const id = chatIdOf(o.result)
    if (id !== null) {
      this.rate.add(1)
      return [this.foundEntry(row, id, s, true)]
    }
    if ((s.sends ?? 0) >= this.maxSends) {
      return [this.rowEntry(row.key, { state: 'failed', sends: s.sends, errorCode: 'NETWORK', errorMessage: `The portal lost the answer ${s.sends} times; the chat was not created. Retry the failed rows later.` })]
    }
    // Proved absent: planned again, and already looked up for this run.
    this.checked.add(row.key)
    return [this.rowEntry(row.key, { state: 'planned', sends: s.sends })]
  }

  // ---- owners -------------------------------------------------------------------------------------------

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
    let res: Map<JobRow, KeyedOutcome>
    try {
      res = await keyedBatch(this.client, todo.map(([row, chatId, target]) => [row, ['im.chat.setOwner', { CHAT_ID: chatId, USER_ID: target }]] as const), { signal: this.signal })
    } catch (e) {
      if (!(e instanceof OutcomeUnknown)) throw e
      // The owner may or may not have changed: look at the chats.
      await this.checkOwners(todo.map(([row, chatId, target]) => ({ row, chatId, target, reason: `the answer was lost (${e.message})`, lost: true })))
      return
    }
    const out: JournalEntry[] = []
    const recheck: OwnerCheck[] = []
    for (const [row, chatId, target] of todo) {
      const s = this.job.row(row.key)
      const o = res.get(row) ?? { kind: 'missing' as const }
      if (o.kind === 'ok' && o.result) out.push(this.rowEntry(row.key, { ...stripAt(s), owner: 'done' }))
      else if (o.kind === 'error' && RETRYABLE_SUB_ERRORS.has(o.error)) {
        // stays pending
      } else recheck.push({ row, chatId, target, reason: o.kind === 'error' ? `${o.error}: ${o.description}` : 'the portal did not answer', lost: o.kind !== 'error' })
    }
    await this.write(out)
    if (recheck.length) await this.checkOwners(recheck)
  }

  /** After a setOwner that failed or whose answer was lost: the chat's owner decides. */
  private async checkOwners(items: OwnerCheck[]): Promise<void> {
    const res = await keyedBatch(this.client, items.map((it) => [it, ['im.dialog.get', { DIALOG_ID: `chat${it.chatId}` }]] as const), { signal: this.signal })
    const out: JournalEntry[] = []
    for (const it of items) {
      const s = this.job.row(it.row.key)
      const o = res.get(it)
      const d = o?.kind === 'ok' ? (o.result as { owner?: number | string } | undefined) : undefined
      const tries = (this.ownerTries.get(it.row.key) ?? 0) + 1
      this.ownerTries.set(it.row.key, tries)
      if (d && Number(d.owner) === it.target) out.push(this.rowEntry(it.row.key, { ...stripAt(s), owner: 'done' }))
      else if (d && it.lost && tries < 3) {
        // the change was lost on the way: owner still pending, set again next round
      } else {
        out.push(this.rowEntry(it.row.key, { ...stripAt(s), state: 'needs-checking', owner: undefined, errorCode: 'OWNER_NOT_SET', errorMessage: `The chat was created, but its owner could not be set: ${it.reason}`.trim() }))
      }
    }
    await this.write(out)
  }

  // ---- verification -------------------------------------------------------------------------------------

  private async verify(rows: JobRow[]): Promise<void> {
    const res = await keyedBatch(this.client, rows.map((row) => [row, ['im.dialog.get', { DIALOG_ID: `chat${this.job.row(row.key).chatId}` }]] as const), { signal: this.signal })
    const out: JournalEntry[] = []
    for (const row of rows) {
      const s = this.job.row(row.key)
      const o = res.get(row) ?? { kind: 'missing' as const }
      const d = o.kind === 'ok' ? (o.result as { name?: string; color?: string; owner?: number | string } | undefined) : undefined
      if (!d) {
        const why = o.kind === 'error' ? o.description : 'no answer'
        out.push(this.rowEntry(row.key, { ...stripAt(s), state: 'needs-checking', errorCode: o.kind === 'error' ? o.error : 'VERIFY_FAILED', errorMessage: `The chat was created but could not be verified: ${why}` }))
        continue
      }
      const problems: string[] = []
      const p = row.params
      if (p.TITLE && d.name !== p.TITLE.trim()) problems.push(`title is "${d.name ?? ''}", expected "${p.TITLE}"`)
      if (p.COLOR && String(d.color ?? '').toLowerCase() !== COLORS[p.COLOR].hex.toLowerCase()) problems.push(`colour is ${d.color ?? '?'}, expected ${p.COLOR} (${COLORS[p.COLOR].hex})`)
      const owner = this.ownerIdOf(row)
      if (owner && Number(d.owner) !== owner) problems.push(`owner is ${d.owner ?? '?'}, expected ${owner}`)
      if (problems.length) out.push(this.rowEntry(row.key, { ...stripAt(s), state: 'needs-checking', errorCode: 'VERIFY_MISMATCH', errorMessage: `Created, but ${problems.join('; ')}` }))
      else out.push(this.rowEntry(row.key, { ...stripAt(s), verified: true }))
    }
    await this.write(out)
  }

  // ---- prepare: e-mails and the lookup before the first send ---------------------------------------------

  /** E-mail resolution and the existence checks (history, portal). Returns true if rows changed state. */
  private async prepare(rows: JobRow[]): Promise<boolean> {
    const changed = await this.resolveEmails(rows)
    return (await this.lookUpBeforeSending(rows.filter((r) => this.job.row(r.key).state === 'planned'))) || changed
  }

  private async resolveEmails(rows: JobRow[]): Promise<boolean> {
    const wanted = new Set<string>()
    for (const row of rows) {
      for (const e of row.emails) if (!this.emails.has(e.toLowerCase())) wanted.add(e.toLowerCase())
      if (typeof row.owner === 'string' && row.owner.includes('@') && !this.emails.has(row.owner.trim().toLowerCase())) wanted.add(row.owner.trim().toLowerCase())
    }
    const failedEmail = new Map<string, string>()
    if (wanted.size) {
      const res = await keyedBatch(this.client, [...wanted].map((e) => [e, ['user.get', { FILTER: { EMAIL: e, ACTIVE: true } }]] as const), { signal: this.signal, chunk: this.sizing.maxBatch })
      for (const [e, o] of res) {
        if (o.kind === 'error') {
          failedEmail.set(e, `${o.error}: ${o.description}`)
          continue
        }
        const users = o.kind === 'ok' && Array.isArray(o.result) ? (o.result as { ID?: string | number; EMAIL?: string }[]) : []
        const hit = users.find((u) => String(u.EMAIL ?? '').toLowerCase() === e) ?? users[0]
        this.emails.set(e, hit?.ID !== undefined ? Number(hit.ID) : null)
      }
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
    return entries.length > 0
  }

  /**
   * Before a row's first send in this run: a chat made earlier for its identity — known to the data folder's
   * history, or found on the portal by the row's pair — is not made again. Rows proved absent are `checked`.
   */
  private async lookUpBeforeSending(rows: JobRow[]): Promise<boolean> {
    const todo = rows.filter((r) => !this.checked.has(r.key) && !this.owned.has(r.key))
    if (!todo.length) return false
    await this.history?.refresh()
    const out: JournalEntry[] = []
    const onPortal: [JobRow, KeyedCall][] = []
    for (const row of todo) {
      const s = this.job.row(row.key)
      const hit = this.historyHit(row)
      if (hit?.self) out.push(this.createdEntry(row, hit.rec.chatId, s))
      else if (hit) out.push(this.alreadyCreatedEntry(row, hit.rec.chatId, hit.rec.at, s))
      else {
        const k = this.job.keyOf(row)
        if (k) onPortal.push([row, ['im.chat.get', { ENTITY_TYPE: k.entityType, ENTITY_ID: k.entityId }]])
        else this.checked.add(row.key) // nothing to look up by (tagging off): the history was all there is
      }
    }
    await this.write(out)
    let changed = out.length > 0
    if (onPortal.length) {
      await this.settleAfterInterruption()
      await keyedBatch(this.client, onPortal.map(([row, call]) => [row, call] as const), {
        signal: this.signal,
        chunk: this.sizing.maxBatch,
        onChunk: async (outcomes) => {
          const entries: JournalEntry[] = []
          for (const [row, o] of outcomes) {
            const s = this.job.row(row.key)
            const id = o.kind === 'ok' ? chatIdOf(o.result) : null
            if (id !== null) entries.push(this.foundEntry(row, id, s, (s.sends ?? 0) > 0))
            else if (o.kind === 'ok') this.checked.add(row.key)
            else {
              const tries = (this.lookupTries.get(row.key) ?? 0) + 1
              this.lookupTries.set(row.key, tries)
              if (tries >= MAX_LOOKUP_TRIES) {
                const why = o.kind === 'error' ? `${o.error}: ${o.description}` : 'the portal did not answer'
                entries.push(this.rowEntry(row.key, { state: 'needs-checking', sends: s.sends, errorCode: 'LOOKUP_FAILED', errorMessage: `Could not check on the portal whether this chat exists (${why}), so it was not sent. Check the portal, then retry.` }))
              }
            }
          }
          changed ||= entries.length > 0
          await this.write(entries)
        },
      })
    }
    return changed
  }

  /**
   * After a run that did not end cleanly, its last requests may still be running on the portal, and the journal
   * may not show them (lost or cut): nothing is looked up — and so nothing sent — before they have settled.
   */
  private async settleAfterInterruption(): Promise<void> {
    const at = this.job.interruptedAt
    if (at === null) return
    const wait = at + this.settleMs - this.clock.now()
    if (wait > 0) {
      this.setPacing({ kind: 'resolving' })
      await this.clock.sleep(wait, this.signal)
    }
    this.job.interruptedAt = null
  }

  // ---- send ---------------------------------------------------------------------------------------------

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
    const k = this.job.keyOf(row)
    if (k) {
      p.ENTITY_TYPE = k.entityType
      p.ENTITY_ID = k.entityId
    }
    return p as Record<string, unknown>
  }

  /**
   * Launches the creating batches that can leave now, from `ready` (checked planned rows, in order): up to `lanes`
   * batches of `want` calls (the pacer's `batchCalls`; a short last one only when no more rows are coming), each
   * fewer when the body, the request cap (at the latency calls meet now) or the operating budget say so. When the
   * budget affords less than half of the first batch now, it waits until it affords all of it (or, for a batch larger
   * than the whole budget, until it is alone) — one wait: admission then finds the room it saw; a later batch that
   * the budget cannot afford waits for the next pass. All their rows are journaled `sending` in one durable write,
   * then the batches leave together.
   */
  private async launch(ready: JobRow[], want: number, lanes: number, more: boolean): Promise<void> {
    const pacer = this.client.pacer
    const perCall = pacer.latencySecPerCall('im.chat.add')
    const size = Math.max(1, want)
    // What the budget affords now, less what the batches formed here take.
    let room = pacer.affordable('im.chat.add')
    const out: { rows: JobRow[]; params: Record<string, unknown>[] }[] = []
    for (let at = 0; out.length < lanes && at < ready.length; ) {
      const rows = ready.slice(at, at + size)
      if (out.length > 0 && rows.length < size && more) break
      if (rows.some((r) => this.needsOwner(r))) await this.ensureCreator()
      const params = rows.map((r) => this.paramsFor(r))
      const bytes = params.map((p) => batchCommand('im.chat.add', p).length)
      const fits = batchSize(bytes, perCall, rows.length, this.sizing)
      // What the budget affords now goes, when it is at least half the batch (the first round at the prior's cautious
      // cost per call, or room coming back as answers release what they held); a smaller remnant waits for room for
      // the whole batch, so a budget-bound run does not crumble into small requests.
      let affordable: number
      if (room >= Math.ceil(fits / 2)) affordable = Math.min(room, fits)
      else if (out.length === 0) {
        affordable = await pacer.waitForBudget('im.chat.add', fits, fits, this.signal)
        if (this.stopMode) return
        room = affordable
      } else break
      const n = batchSize(bytes, perCall, affordable, this.sizing)
      room -= n
      at += n
      out.push({ rows: rows.slice(0, n), params: params.slice(0, n) })
    }
    if (!out.length) return
    const sentAt = this.clock.now()
    const batches: Batch[] = out.map((b) => ({ rows: b.rows, onWire: true, sentAt }))
    for (const b of batches) for (const r of b.rows) this.owned.add(r.key)
    try {
      // Before the requests leave: each row's key is on disk.
      await this.write(batches.flatMap((b) => b.rows.map((r) => this.rowEntry(r.key, { state: 'sending', sentAt, settled: false, sends: (this.job.row(r.key).sends ?? 0) + 1 }))))
    } catch (e) {
      for (const b of batches) for (const r of b.rows) this.owned.delete(r.key)
      throw e
    }
    batches.forEach((batch, i) => {
      this.batches.add(batch)
      const task = this.send(batch, out[i]?.params ?? [])
        .catch((e: unknown) => {
          if (this.stopMode === 'abandon') return
          if (!(isInterrupt(e) && this.stopMode)) this.fail(e)
        })
        .finally(() => {
          batch.onWire = false
          this.batches.delete(batch)
          for (const r of batch.rows) this.owned.delete(r.key)
          this.tasks.delete(task)
          this.hub.tick()
          this.wake()
        })
      this.tasks.add(task)
    })
    this.hub.tick()
  }

  /** One creating batch: send, journal the answers; a lost answer is resolved by the batch after its settle time. */
  private async send(batch: Batch, params: Record<string, unknown>[]): Promise<void> {
    const serverSec = this.client.pacer.latencySecPerCall('im.chat.add')
    let res: Map<JobRow, KeyedOutcome>
    try {
      res = await keyedBatch(this.client, batch.rows.map((row, i) => [row, ['im.chat.add', params[i] as Record<string, unknown>]] as const), {
        signal: this.signal,
        expectedServerSec: (n) => n * serverSec,
      })
    } catch (e) {
      if (this.stopMode === 'abandon') return
      if (e instanceof OutcomeUnknown) {
        this.log.warn(`batch of ${batch.rows.length}: outcome unknown (${e.message}); resolving it before anything else`)
        batch.onWire = false
        this.wake()
        await this.write(batch.rows.map((r) => this.rowEntry(r.key, { ...stripAt(this.job.row(r.key)), settled: e.settled })))
        await this.resolve(batch.rows, false)
        return
      }
      // Anything else was rejected before it ran (auth, scope, limits, connection, a stop): nothing was created.
      const now = this.clock.now()
      await this.write(batch.rows.map((r) => ({ k: 'row' as const, key: r.key, state: 'planned' as const, sends: Math.max(0, (this.job.row(r.key).sends ?? 1) - 1), at: now })))
      throw e
    }
    batch.onWire = false
    if (this.stopMode === 'abandon') return
    const out: JournalEntry[] = []
    const lost: JobRow[] = []
    let created = 0
    for (const row of batch.rows) {
      const s = this.job.row(row.key)
      const o = res.get(row) ?? { kind: 'missing' as const }
      const id = o.kind === 'ok' ? chatIdOf(o.result) : null
      if (id !== null) {
        out.push(this.createdEntry(row, id, s))
        created++
      } else if (o.kind === 'error') {
        if (RETRYABLE_SUB_ERRORS.has(o.error)) out.push(this.rowEntry(row.key, { state: 'planned', sends: Math.max(0, (s.sends ?? 1) - 1) }))
        else out.push(this.rowEntry(row.key, { state: 'failed', sends: s.sends, errorCode: o.error, errorMessage: o.description }))
      } else {
        // Neither a result nor an error: the portal did not say. Resolve it like a lost answer.
        out.push(this.rowEntry(row.key, { ...stripAt(s), settled: true }))
        lost.push(row)
      }
    }
    this.rate.add(created)
    // Rows sent back to planned were proved not to run: no lookup needed before they go again.
    await this.write(out)
    if (lost.length) await this.resolve(lost, false)
  }
}

interface OwnerCheck {
  row: JobRow
  chatId: number
  target: number
  reason: string
  lost: boolean
}

/**
 * Listeners the job's one signal may hold at once: every request in flight and every lookup waits on it, at most
 * three times each (the pacer's turn, the portal's queue, the transport), at the highest concurrency, plus the
 * engine's own sleeps. Under Node's default of 10 a run at 16 in flight printed a leak warning; a bound, not
 * unlimited, so a real leak is still reported.
 */
export const SIGNAL_LISTENERS = 3 * (CONCURRENCY.max + lookupsInFlight(CONCURRENCY.max)) + 8

/**
 * Lookup requests kept in flight beside the creating batches: one, and one more per four requests allowed (a lookup
 * of 50 rows takes a tenth of the server time of a batch of 50 chats, but the next batches cannot leave without it).
 */
export function lookupsInFlight(limit: number): number {
  return 1 + Math.floor(limit / 4)
}

/** The fewest rows a lookup request is split down to: below it, a request's own cost outweighs the time saved. */
export const MIN_LOOKUP_CHUNK = 10

/**
 * Rows of the next lookup request: the rows wanted spread over the lookup lanes still free, so the lookups that
 * leave together end together (150 rows on 4 lanes: 38, 38, 37, 37 — not 50, 50, 50 on three lanes while the
 * fourth waits); at least MIN_LOOKUP_CHUNK (or all that is wanted), at most `max` (a batch's 50).
 */
export function lookupChunk(wanted: number, lanes: number, max: number): number {
  const spread = Math.ceil(wanted / Math.max(1, lanes))
  return Math.max(1, Math.min(max, wanted, Math.max(MIN_LOOKUP_CHUNK, spread)))
}

function stripAt(r: RowRecord): Omit<RowRecord, 'at'> {
  const { at: _at, ...rest } = r
  return rest
}

export function chatIdOf(v: unknown): number | null {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v)
  if (v && typeof v === 'object' && 'ID' in v) return chatIdOf((v as { ID: unknown }).ID)
  return null
}
