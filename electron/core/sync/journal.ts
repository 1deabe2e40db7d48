/**
 * The per-job journal (house style, Persistence): an append-only JSON-Lines file fsync'd at each transition that
 * matters, compacted into `state.json` by atomic rename. Entries are absolute (they set a row's state), so
 * replaying entries already folded into the snapshot is harmless: a crash between writing the snapshot and
 * emptying the journal loses nothing and double-counts nothing. A torn last line (killed mid-write) is ignored.
 */
import { open, readFile, rename, rm } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import type { AppError } from '../../shared/result'
import type { JobStatus, RowState } from '../../shared/jobs'
import { fsyncDir, writeFileAtomic } from '../fsutil'

export interface RowRecord {
  state: RowState
  chatId?: number
  errorCode?: string
  errorMessage?: string
  /** When the last send started (ms epoch), for resolving an unknown outcome. */
  sentAt?: number
  /** The last send's answer came back from the server (a 5xx/HTML body): nothing is still running there. */
  settled?: boolean
  /** How many times the row was sent. */
  sends?: number
  /** After creation: the owner still has to be set ('pending') or was set ('done'). */
  owner?: 'pending' | 'done'
  /** After creation, when verification is on. */
  verified?: boolean
  at: number
}

export interface JobStateData {
  status: JobStatus
  portal?: string
  startedAt?: number
  finishedAt?: number
  error?: AppError
  rows: Record<string, RowRecord>
}

export type JournalEntry =
  | ({ k: 'row'; key: string } & RowRecord)
  | { k: 'job'; status: JobStatus; at: number; portal?: string; error?: AppError | null }

export function applyEntry(s: JobStateData, e: JournalEntry): void {
  if (e.k === 'row') {
    const { k: _k, key, ...rec } = e
    s.rows[key] = rec
    return
  }
  s.status = e.status
  if (e.portal) s.portal = e.portal
  if (e.status === 'running' && !s.startedAt) s.startedAt = e.at
  if (e.status === 'finished' || e.status === 'failed' || e.status === 'cancelled') s.finishedAt = e.at
  if (e.error === null) delete s.error
  else if (e.error) s.error = e.error
}

const STATE = 'state.json'
const LOG = 'journal.jsonl'

export class Journal {
  private fh: FileHandle | null = null
  private chain: Promise<void> = Promise.resolve()
  private sinceCompact = 0

  private constructor(readonly dir: string, readonly state: JobStateData) {}

  /** Loads the snapshot, replays the journal (ignoring a torn tail), and compacts so appends start clean. */
  static async open(dir: string, initial: () => JobStateData): Promise<Journal> {
    let state: JobStateData
    try {
      state = JSON.parse(await readFile(join(dir, STATE), 'utf8')) as JobStateData
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      state = initial()
    }
    let replayed = 0
    let text = ''
    try {
      text = await readFile(join(dir, LOG), 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    }
    for (const line of text.split('\n')) {
      if (!line.trim()) continue
      try {
        applyEntry(state, JSON.parse(line) as JournalEntry)
        replayed++
      } catch {
        // torn line from a kill mid-write: the transition it described never completed
      }
    }
    const j = new Journal(dir, state)
    if (replayed > 0 || text.length > 0) await j.compact()
    return j
  }

  /** Appends entries as one write and fsyncs before resolving. Applies them to `state` at once. */
  append(entries: JournalEntry[]): Promise<void> {
    if (entries.length === 0) return this.chain
    for (const e of entries) applyEntry(this.state, e)
    const text = entries.map((e) => JSON.stringify(e)).join('\n') + '\n'
    this.sinceCompact += entries.length
    const p = this.chain.then(async () => {
      if (!this.fh) this.fh = await open(join(this.dir, LOG), 'a', 0o600)
      await this.fh.write(text)
      await this.fh.datasync()
    })
    this.chain = p.catch(() => {})
    return p
  }

  get pendingEntries(): number {
    return this.sinceCompact
  }

  /** Writes the snapshot atomically, then swaps in an empty journal. */
  compact(): Promise<void> {
    const p = this.chain.then(async () => {
      await writeFileAtomic(join(this.dir, STATE), JSON.stringify(this.state))
      if (this.fh) {
        await this.fh.close()
        this.fh = null
      }
      const tmp = join(this.dir, `${LOG}.tmp`)
      const fh = await open(tmp, 'w', 0o600)
      await fh.sync()
      await fh.close()
      await rename(tmp, join(this.dir, LOG))
      await fsyncDir(this.dir)
      this.sinceCompact = 0
    })
    this.chain = p.catch(() => {})
    return p
  }

  async close(): Promise<void> {
    await this.chain
    if (this.fh) {
      await this.fh.close()
      this.fh = null
    }
  }

  static async remove(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true })
  }
}
