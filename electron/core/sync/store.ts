/**
 * Jobs on disk: `<data>/jobs/<jobId>/job.json` (what to send: the rows as imported with their identities, written
 * once, atomically), the job's journal (journal.ts: what happened to each row) and, while a runner sends it, its
 * lock (lock.ts). A job can be created offline (a draft), synced later, resumed after a crash, and have only its
 * failed rows retried.
 *
 * Readers (`load`, `list`) get a read-only view, re-read when the files changed (another process may be sending
 * the job). Only the lock holder opens the writer (`openWriter`), which recovers the journal and — when the
 * journal was damaged — marks every row that was not final as uncertain, to be resolved on the portal.
 */
import { createHash, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { emptyCounts, FINAL_ROW_STATES, LIVE_JOB_STATUSES } from '../../shared/jobs'
import type { JobRowLog, JobSummary, StateCounts } from '../../shared/jobs'
import type { SheetRow } from '../../shared/sheet'
import { AppFailure } from '../../shared/result'
import { VALIDATION_CODE } from '../../shared/problems'
import { systemClock } from '../clock'
import type { Clock } from '../clock'
import type { DurableFs } from '../fsutil'
import { nodeFs, writeFileAtomic } from '../fsutil'
import { portalKeyFor } from './history'
import type { FieldHashes } from './identity'
import { copyIdentity, fieldHashes, rowIdentities } from './identity'
import { entityKeyFor } from './keys'
import type { EntityKey } from './keys'
import { Journal, LOG_FILE, STATE_FILE } from './journal'
import type { JobStateData, JournalEntry, RowRecord } from './journal'
import { actionsFor } from './machine'

/** Error code given to rows that validation rejected: reported, never sent, never retried automatically. */
export { VALIDATION_CODE } from '../../shared/problems'

/** Why a row is not sent at all: its chat exists already (found before the job was made). */
export interface RowSkip {
  chatId: number
  errorCode: string
  errorMessage: string
}

/** A row as the job stores it: what the engine sends and what the export gives back. */
export interface JobRow extends Pick<SheetRow, 'key' | 'line' | 'cells' | 'status' | 'params' | 'emails' | 'owner'> {
  /** e-mail → id already known from a live dry run. */
  resolved?: Record<string, number | null>
  /** Ids a live dry run added to params.USERS from the e-mails. */
  addedUsers?: number[]
  /** Why validation rejected the row (status 'error'). */
  problem?: { code: string; message: string }
  /** What makes this row's chat "the same" (identity.ts); version-2 jobs. */
  identity?: string
  /** Hashes of the values sent, per field (for "created earlier with other values"). */
  fields?: FieldHashes
  /** Not sent: its chat existed when the job was made. */
  skip?: RowSkip
}

export interface JobRecord {
  /** 1: rows tagged `jobId:rowKey`; 2: rows carry identities and are tagged by them. */
  version: 1 | 2
  id: string
  profile: string
  source: string
  contentHash?: string
  /** Original column order, for the results export. */
  headers: string[]
  createdAt: number
  /** Fixed when the job is created, so keys stay stable across resumes even if the profile setting changes. */
  dedupeTagging: boolean
  /** Which portal (history.ts portalKeyFor); version-1 jobs derive it from the portal they ran on. */
  portalKey?: string
  rows: JobRow[]
}

export interface CreateJobInput {
  rows: SheetRow[]
  profile: string
  source: string
  headers?: string[]
  contentHash?: string
  dedupeTagging?: boolean
  /** A fixed id (the CLI derives it from the sheet and the profile); random otherwise. */
  id?: string
  /** The portal key (portalKeyFor). Default: from the profile name. */
  portalKey?: string
  /** Row identities in the order of `rows` (computed from the rows when not given). */
  identities?: string[]
  /** Rows the user explicitly wants as new chats (copies): they get an identity of their own. */
  copies?: ReadonlySet<string>
  /** Rows not to send: their chat exists already. */
  skip?: ReadonlyMap<string, RowSkip>
}

/** A job opened from disk: its rows and its journal. */
export class StoredJob {
  private ids: Map<string, string> | null = null
  private readonly byKey: Map<string, JobRow>
  /**
   * Set on the writer when the previous run did not end cleanly (a live status on disk: a crash, a kill): the
   * journal's last write. Requests of that run may still be running on the portal until it is settled.
   */
  interruptedAt: number | null = null

  constructor(readonly record: JobRecord, readonly journal: Journal) {
    this.byKey = new Map(record.rows.map((r) => [r.key, r]))
  }
  get id(): string {
    return this.record.id
  }
  get state(): JobStateData {
    return this.journal.state
  }
  get writable(): boolean {
    return this.journal.writable
  }
  rowByKey(key: string): JobRow | undefined {
    return this.byKey.get(key)
  }
  /** A row with no entry yet: planned since the job was made. One frozen record for all (the engine asks often). */
  private unplanned: Readonly<RowRecord> | null = null
  row(key: string): Readonly<RowRecord> {
    return this.journal.state.rows[key] ?? (this.unplanned ??= Object.freeze({ state: 'planned', at: this.record.createdAt }))
  }
  /** The portal this job sends to, as a history key. */
  get portalKey(): string {
    return this.record.portalKey ?? portalKeyFor(this.record.profile, this.state.portal)
  }
  identityOf(row: JobRow): string {
    if (row.identity) return row.identity
    if (!this.ids) {
      const ids = rowIdentities(this.record.rows)
      this.ids = new Map(this.record.rows.map((r, i) => [r.key, ids[i] as string]))
    }
    return this.ids.get(row.key) ?? ''
  }
  fieldsOf(row: JobRow): FieldHashes {
    return row.fields ?? fieldHashes(row)
  }
  /** The entity pair of a row's chat on the portal (null: it cannot be looked up). */
  keyOf(row: JobRow): EntityKey | null {
    const tag = this.record.version >= 2 ? { identity: this.identityOf(row) } : { jobId: this.record.id, rowKey: row.key }
    return entityKeyFor(tag, row.params, this.record.dedupeTagging)
  }
  counts(): StateCounts {
    const c = emptyCounts()
    for (const r of this.record.rows) c[this.row(r.key).state]++
    return c
  }
  /** Rows that failed at the portal (retry-failed sends them again). */
  failedAtPortal(): number {
    let n = 0
    for (const r of this.record.rows) {
      const s = this.row(r.key)
      if (s.state === 'failed' && s.errorCode !== VALIDATION_CODE) n++
    }
    return n
  }
  log(): JobRowLog[] {
    return this.record.rows.map((r) => {
      const s = this.row(r.key)
      const l: JobRowLog = { rowKey: r.key, line: r.line, state: s.state, at: s.at }
      if (s.chatId !== undefined) l.chatId = s.chatId
      if (s.errorCode) l.errorCode = s.errorCode
      if (s.errorMessage) l.errorMessage = s.errorMessage
      return l
    })
  }
  summary(): JobSummary {
    const s = this.journal.state
    const counts = this.counts()
    const out: JobSummary = {
      id: this.record.id,
      profile: this.record.profile,
      source: this.record.source,
      status: s.status,
      createdAt: this.record.createdAt,
      progress: { counts, total: this.record.rows.length, chatsPerSec: 0, etaSec: null, pacing: { kind: 'idle' } },
      actions: actionsFor(s.status, counts, this.failedAtPortal()),
    }
    if (s.startedAt !== undefined) out.startedAt = s.startedAt
    if (s.finishedAt !== undefined) out.finishedAt = s.finishedAt
    if (s.error) out.error = s.error
    if (s.detail) out.detail = s.detail
    return out
  }
  /**
   * Entries that put the rows that failed at the portal back to planned. Rows validation rejected stay failed;
   * rows that need checking are never touched: their chat may exist.
   */
  retryEntries(at: number): JournalEntry[] {
    const out: JournalEntry[] = []
    for (const r of this.record.rows) {
      const s = this.row(r.key)
      if (s.state === 'failed' && s.errorCode !== VALIDATION_CODE) out.push({ k: 'row', key: r.key, state: 'planned', at })
    }
    return out
  }
  close(): Promise<void> {
    return this.journal.close()
  }
}

function toJobRow(r: SheetRow, identity: string, skip: RowSkip | undefined): JobRow {
  const row: JobRow = { key: r.key, line: r.line, cells: r.cells, status: r.status, params: r.params, emails: r.emails ?? [], identity }
  if (r.owner !== undefined && r.owner !== '') row.owner = r.owner
  if (r.live?.resolved) row.resolved = r.live.resolved
  if (r.live?.addedUsers?.length) row.addedUsers = [...r.live.addedUsers]
  row.fields = fieldHashes(r)
  if (r.status === 'error') {
    const p = r.problems.find((x) => x.severity === 'error')
    row.problem = { code: p?.code ?? VALIDATION_CODE, message: p?.message ?? 'The row has errors.' }
  } else if (skip) row.skip = skip
  return row
}

function initialState(record: JobRecord): JobStateData {
  const rows: Record<string, RowRecord> = {}
  for (const r of record.rows) {
    if (r.status === 'error') rows[r.key] = { state: 'failed', errorCode: VALIDATION_CODE, errorMessage: `${r.problem?.code ?? VALIDATION_CODE}: ${r.problem?.message ?? ''}`.trim(), at: record.createdAt }
    else if (r.skip) rows[r.key] = { state: 'skipped', chatId: r.skip.chatId, errorCode: r.skip.errorCode, errorMessage: r.skip.errorMessage, at: record.createdAt }
  }
  return { status: 'draft', rows }
}

/** Deterministic job id for the CLI: the same sheet content and profile resume the same job. */
export function jobIdFor(contentHash: string, profile: string): string {
  return `j${createHash('sha256').update(`${contentHash}\0${profile}`).digest('hex').slice(0, 15)}`
}

/** Journal entries marking every non-final row uncertain after a damaged journal (resolved before any send). */
function uncertainEntries(job: StoredJob, lastWriteAt: number, at: number): JournalEntry[] {
  const out: JournalEntry[] = []
  for (const r of job.record.rows) {
    const s = job.row(r.key)
    if ((FINAL_ROW_STATES as readonly string[]).includes(s.state)) continue
    out.push({ k: 'row', key: r.key, state: 'sending', sentAt: Math.max(s.sentAt ?? 0, lastWriteAt), settled: false, sends: Math.max(1, s.sends ?? 0), uncertain: true, at })
  }
  return out
}

interface View {
  job: Promise<StoredJob>
  sig: string
  writer: boolean
}

export class JobStore {
  private readonly views = new Map<string, View>()
  private readonly clock: Clock
  readonly fs: DurableFs
  constructor(readonly dataDir: string, opts: { clock?: Clock; fs?: DurableFs } = {}) {
    this.clock = opts.clock ?? systemClock
    this.fs = opts.fs ?? nodeFs
  }

  /** The job's folder (the lock lives there). */
  dir(id: string): string {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(id)) throw new AppFailure('VALIDATION', 'Invalid job id.', { messageRu: 'Неверный идентификатор задания.' })
    return join(this.dataDir, 'jobs', id)
  }

  /** Creates a draft job (nothing is sent until it is started). Duplicate row keys are rejected. */
  async createDraft(input: CreateJobInput): Promise<StoredJob> {
    const id = input.id ?? `j${randomUUID().replace(/-/g, '').slice(0, 15)}`
    const seen = new Set<string>()
    for (const r of input.rows) {
      if (seen.has(r.key)) throw new AppFailure('VALIDATION', `Two rows share the key ${r.key}.`, { messageRu: `У двух строк один и тот же ключ ${r.key}.` })
      seen.add(r.key)
    }
    const ids = input.identities ?? rowIdentities(input.rows)
    const record: JobRecord = {
      version: 2,
      id,
      profile: input.profile,
      source: input.source,
      headers: input.headers ?? [...new Set(input.rows.flatMap((r) => Object.keys(r.cells)))],
      createdAt: this.clock.now(),
      dedupeTagging: input.dedupeTagging ?? true,
      portalKey: input.portalKey ?? portalKeyFor(input.profile),
      rows: input.rows.map((r, i) => {
        const base = ids[i] ?? ''
        // A row with its own pair cannot be a copy: the pair names its chat.
        const copy = input.copies?.has(r.key) && !(r.params.ENTITY_TYPE?.trim() && r.params.ENTITY_ID?.trim())
        return toJobRow(r, copy ? copyIdentity(base, id) : base, copy ? undefined : input.skip?.get(r.key))
      }),
    }
    if (input.contentHash) record.contentHash = input.contentHash
    const dir = this.dir(id)
    await this.fs.mkdir(dir)
    await writeFileAtomic(join(dir, 'job.json'), JSON.stringify(record), { fs: this.fs })
    return this.load(id)
  }

  private async readRecord(id: string): Promise<JobRecord> {
    try {
      return JSON.parse(new TextDecoder().decode(await this.fs.readFile(join(this.dir(id), 'job.json')))) as JobRecord
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AppFailure('NOT_FOUND', `No job ${id}.`, { messageRu: `Задания ${id} нет.` })
      throw e
    }
  }

  private async signature(id: string): Promise<string> {
    const dir = this.dir(id)
    const parts: string[] = []
    for (const f of [STATE_FILE, LOG_FILE]) {
      try {
        const st = await this.fs.stat(join(dir, f))
        parts.push(`${st.size}:${st.mtimeMs}`)
      } catch {
        parts.push('-')
      }
    }
    return parts.join('|')
  }

  /** Opens a job for reading: cached, re-read when another process changed it; the writer when one is open here. */
  async load(id: string): Promise<StoredJob> {
    const v = this.views.get(id)
    if (v?.writer) return v.job
    const sig = await this.signature(id)
    if (v && v.sig === sig) return v.job
    const now = this.views.get(id)
    if (now && now !== v) return now.job // someone reopened it meanwhile
    const job = (async () => {
      const record = await this.readRecord(id)
      return new StoredJob(record, await Journal.open(this.dir(id), () => initialState(record), { fs: this.fs }))
    })()
    const view: View = { job, sig, writer: false }
    this.views.set(id, view)
    job.catch(() => {
      if (this.views.get(id) === view) this.views.delete(id)
    })
    return job
  }

  /**
   * Opens the job as its one writer (the caller holds its lock): recovers the journal and, when it was damaged,
   * marks every row that was not final as uncertain. Until `closeWriter`, `load` returns this writer.
   */
  async openWriter(id: string): Promise<StoredJob> {
    const old = this.views.get(id)
    if (old?.writer) return old.job
    const job = (async () => {
      if (old) await (await old.job.catch(() => null))?.close()
      const record = await this.readRecord(id)
      const journal = await Journal.open(this.dir(id), () => initialState(record), { fs: this.fs, writable: true })
      const stored = new StoredJob(record, journal)
      // File times come from the OS clock: never later than ours (tests run on a manual clock).
      const now = this.clock.now()
      const lastWrite = Math.min(journal.lastWriteAt || now, now)
      if (LIVE_JOB_STATUSES.includes(journal.state.status) || journal.damage) stored.interruptedAt = lastWrite
      if (journal.damage) {
        const entries = uncertainEntries(stored, Math.min(journal.damage.lastWriteAt || now, now), now)
        if (entries.length) {
          await journal.append(entries)
          await journal.compact()
        }
      }
      return stored
    })()
    const view: View = { job, sig: '', writer: true }
    this.views.set(id, view)
    job.catch(() => {
      if (this.views.get(id) === view) this.views.delete(id)
    })
    return job
  }

  /** Closes the writer (pending writes finish); the next `load` reads the job from disk. */
  async closeWriter(id: string): Promise<void> {
    const v = this.views.get(id)
    if (!v?.writer) return
    this.views.delete(id)
    await (await v.job.catch(() => null))?.close().catch(() => undefined)
  }

  async exists(id: string): Promise<boolean> {
    try {
      await this.fs.stat(join(this.dir(id), 'job.json'))
      return true
    } catch {
      return false
    }
  }

  /** Every job of the data folder (unreadable folders are skipped). */
  async all(): Promise<StoredJob[]> {
    let ids: string[]
    try {
      ids = await this.fs.readdir(join(this.dataDir, 'jobs'))
    } catch {
      return []
    }
    const out: StoredJob[] = []
    for (const id of ids) {
      try {
        out.push(await this.load(id))
      } catch {
        // an unreadable folder is not a job
      }
    }
    return out
  }

  async list(): Promise<JobSummary[]> {
    return (await this.all()).map((j) => j.summary()).sort((a, b) => b.createdAt - a.createdAt)
  }

  async remove(id: string): Promise<void> {
    const v = this.views.get(id)
    this.views.delete(id)
    if (v) await (await v.job.catch(() => null))?.close()
    await this.fs.rmTree(this.dir(id))
  }

  async closeAll(): Promise<void> {
    for (const v of this.views.values()) await (await v.job.catch(() => null))?.close().catch(() => undefined)
    this.views.clear()
  }
}
