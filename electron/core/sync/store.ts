/**
 * Jobs on disk: `<data>/jobs/<jobId>/job.json` (what to send: the rows as imported, written once, atomically)
 * plus the job's journal (`journal.jsonl` + `state.json`: what happened to each row). A job can be created
 * offline (a draft), synced later, resumed after a crash, and have only its failed rows retried.
 */
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { emptyCounts } from '../../shared/jobs'
import type { JobRowLog, JobStatus, JobSummary, StateCounts } from '../../shared/jobs'
import type { SheetRow } from '../../shared/sheet'
import { AppFailure } from '../../shared/result'
import { VALIDATION_CODE } from '../../shared/problems'
import { systemClock } from '../clock'
import type { Clock } from '../clock'
import { writeFileAtomic } from '../fsutil'
import { Journal } from './journal'
import type { JobStateData, JournalEntry, RowRecord } from './journal'

/** Error code given to rows that validation rejected: reported, never sent, never retried automatically. */
export { VALIDATION_CODE } from '../../shared/problems'

/** A row as the job stores it: what the engine sends and what the export gives back. */
export interface JobRow extends Pick<SheetRow, 'key' | 'line' | 'cells' | 'status' | 'params' | 'emails' | 'owner'> {
  /** e-mail → id already known from a live dry run. */
  resolved?: Record<string, number | null>
  /** Why validation rejected the row (status 'error'). */
  problem?: { code: string; message: string }
}

export interface JobRecord {
  version: 1
  id: string
  profile: string
  source: string
  contentHash?: string
  /** Original column order, for the results export. */
  headers: string[]
  createdAt: number
  /** Fixed when the job is created, so keys stay stable across resumes even if the profile setting changes. */
  dedupeTagging: boolean
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
}

/** A job opened from disk: its rows and its journal. */
export class StoredJob {
  constructor(readonly record: JobRecord, readonly journal: Journal) {}
  get id(): string {
    return this.record.id
  }
  get state(): JobStateData {
    return this.journal.state
  }
  row(key: string): RowRecord {
    return this.journal.state.rows[key] ?? { state: 'planned', at: this.record.createdAt }
  }
  counts(): StateCounts {
    const c = emptyCounts()
    for (const r of this.record.rows) c[this.row(r.key).state]++
    return c
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
    const out: JobSummary = {
      id: this.record.id,
      profile: this.record.profile,
      source: this.record.source,
      status: s.status,
      createdAt: this.record.createdAt,
      progress: { counts: this.counts(), total: this.record.rows.length, chatsPerSec: 0, etaSec: null, pacing: { kind: 'idle' } },
    }
    if (s.startedAt !== undefined) out.startedAt = s.startedAt
    if (s.finishedAt !== undefined) out.finishedAt = s.finishedAt
    if (s.error) out.error = s.error
    return out
  }
  close(): Promise<void> {
    return this.journal.close()
  }
}

function toJobRow(r: SheetRow): JobRow {
  const row: JobRow = { key: r.key, line: r.line, cells: r.cells, status: r.status, params: r.params, emails: r.emails ?? [] }
  if (r.owner !== undefined && r.owner !== '') row.owner = r.owner
  if (r.live?.resolved) row.resolved = r.live.resolved
  if (r.status === 'error') {
    const p = r.problems.find((x) => x.severity === 'error')
    row.problem = { code: p?.code ?? VALIDATION_CODE, message: p?.message ?? 'The row has errors.' }
  }
  return row
}

function initialState(record: JobRecord): JobStateData {
  const rows: Record<string, RowRecord> = {}
  for (const r of record.rows) {
    if (r.status === 'error') rows[r.key] = { state: 'failed', errorCode: VALIDATION_CODE, errorMessage: `${r.problem?.code ?? VALIDATION_CODE}: ${r.problem?.message ?? ''}`.trim(), at: record.createdAt }
  }
  return { status: 'draft', rows }
}

/** Deterministic job id for the CLI: the same sheet content and profile resume the same job. */
export function jobIdFor(contentHash: string, profile: string): string {
  return `j${createHash('sha256').update(`${contentHash}\0${profile}`).digest('hex').slice(0, 15)}`
}

export class JobStore {
  private readonly open = new Map<string, Promise<StoredJob>>()
  private readonly clock: Clock
  constructor(readonly dataDir: string, opts: { clock?: Clock } = {}) {
    this.clock = opts.clock ?? systemClock
  }

  private dir(id: string): string {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(id)) throw new AppFailure('VALIDATION', 'Invalid job id.')
    return join(this.dataDir, 'jobs', id)
  }

  /** Creates a draft job (nothing is sent until it is started). Duplicate row keys are rejected. */
  async createDraft(input: CreateJobInput): Promise<StoredJob> {
    const id = input.id ?? `j${randomUUID().replace(/-/g, '').slice(0, 15)}`
    const seen = new Set<string>()
    for (const r of input.rows) {
      if (seen.has(r.key)) throw new AppFailure('VALIDATION', `Two rows share the key ${r.key}.`)
      seen.add(r.key)
    }
    const record: JobRecord = {
      version: 1,
      id,
      profile: input.profile,
      source: input.source,
      headers: input.headers ?? [...new Set(input.rows.flatMap((r) => Object.keys(r.cells)))],
      createdAt: this.clock.now(),
      dedupeTagging: input.dedupeTagging ?? true,
      rows: input.rows.map(toJobRow),
    }
    if (input.contentHash) record.contentHash = input.contentHash
    const dir = this.dir(id)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await writeFileAtomic(join(dir, 'job.json'), JSON.stringify(record))
    return this.load(id)
  }

  /** Opens a job (cached: one StoredJob per id per store). */
  load(id: string): Promise<StoredJob> {
    let p = this.open.get(id)
    if (!p) {
      p = (async () => {
        const dir = this.dir(id)
        let record: JobRecord
        try {
          record = JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')) as JobRecord
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AppFailure('NOT_FOUND', `No job ${id}.`)
          throw e
        }
        const journal = await Journal.open(dir, () => initialState(record))
        return new StoredJob(record, journal)
      })()
      this.open.set(id, p)
      p.catch(() => this.open.delete(id))
    }
    return p
  }

  async exists(id: string): Promise<boolean> {
    try {
      await readFile(join(this.dir(id), 'job.json'))
      return true
    } catch {
      return false
    }
  }

  async list(): Promise<JobSummary[]> {
    let ids: string[]
    try {
      ids = await readdir(join(this.dataDir, 'jobs'))
    } catch {
      return []
    }
    const out: JobSummary[] = []
    for (const id of ids) {
      try {
        out.push((await this.load(id)).summary())
      } catch {
        // an unreadable folder is not a job
      }
    }
    return out.sort((a, b) => b.createdAt - a.createdAt)
  }

  async remove(id: string): Promise<void> {
    const p = this.open.get(id)
    this.open.delete(id)
    if (p) await (await p.catch(() => null))?.close()
    await Journal.remove(this.dir(id))
  }

  /**
   * Puts the rows that failed at the portal back to planned (rows validation rejected stay failed). Rows that
   * need checking are left alone: their chat may exist. Returns how many rows will be retried.
   */
  async retryFailed(id: string): Promise<number> {
    const job = await this.load(id)
    const at = this.clock.now()
    const entries: JournalEntry[] = []
    for (const r of job.record.rows) {
      const s = job.row(r.key)
      if (s.state === 'failed' && s.errorCode !== VALIDATION_CODE) entries.push({ k: 'row', key: r.key, state: 'planned', at })
    }
    if (entries.length) {
      const status: JobStatus = job.state.status === 'running' ? 'running' : 'queued'
      entries.push({ k: 'job', status, at, error: null })
      await job.journal.append(entries)
    }
    return entries.length ? entries.length - 1 : 0
  }

  async closeAll(): Promise<void> {
    for (const p of this.open.values()) await (await p.catch(() => null))?.close()
    this.open.clear()
  }
}
