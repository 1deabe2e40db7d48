/**
 * The per-job journal (house style, Persistence), built so that it cannot lie:
 *
 *   state.json          snapshot of generation g        `<crc32> {"gen":g,"state":{…}}`
 *   state.prev.json     snapshot of generation g-1 (kept so a damaged state.json can be rebuilt)
 *   journal.jsonl       segment g: the entries written after snapshot g; first line `<crc32> {"k":"seg","gen":g}`
 *   journal.prev.jsonl  segment g-1: the entries folded into snapshot g
 *
 * Every line carries a CRC-32; entries are absolute (each sets a row's or the job's state), so replaying an entry
 * already folded into a snapshot changes nothing. Opening picks the newest snapshot whose checksum holds and
 * replays every segment of its generation and later. A damaged state.json is rebuilt from the previous snapshot
 * and both segments. What cannot be rebuilt — a line whose checksum fails, a torn last line, a missing
 * generation — is reported as `damage`: the store then marks every row that was not final as uncertain, and the
 * engine resolves those on the portal before anything is resent.
 *
 * Only the job's lock holder opens it `writable`: it appends (each append is written whole and fdatasync'd
 * before it resolves, and applied to `state` only then) and compacts. Readers never write.
 * Compaction (g → g+1): rename state.json → state.prev.json, journal.jsonl → journal.prev.jsonl, write
 * state.json (atomically, folder fsync'd), then a fresh journal.jsonl. A crash between any two steps leaves a set
 * that opens to the same state (test/unit/sync/journal.test.ts crashes at each).
 */
import { join } from 'node:path'
import type { AppError } from '../../shared/result'
import { AppFailure } from '../../shared/result'
import type { JobStateDetail, JobStatus, RowState } from '../../shared/jobs'
import type { DurableFs, DurableHandle } from '../fsutil'
import { isDiskFull, nodeFs, writeAll, writeFileAtomic } from '../fsutil'
import { openLine, sealLine } from './checksum'

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
  /** The journal was damaged after this row's last known state: it is resolved on the portal before any send. */
  uncertain?: boolean
  at: number
}

export interface JobStateData {
  status: JobStatus
  portal?: string
  startedAt?: number
  finishedAt?: number
  error?: AppError
  /** What the status is waiting for (waiting-for-portal, pausing …), when it says. */
  detail?: JobStateDetail
  /** The job's event seq at its last status change: event streams continue from it across runs and engines. */
  seq?: number
  rows: Record<string, RowRecord>
}

export type JournalEntry =
  | ({ k: 'row'; key: string } & RowRecord)
  | { k: 'job'; status: JobStatus; at: number; portal?: string; error?: AppError | null; seq?: number; detail?: JobStateDetail | null }

const FINAL_JOB: readonly JobStatus[] = ['finished', 'failed', 'cancelled']

export function applyEntry(s: JobStateData, e: JournalEntry): void {
  if (e.k === 'row') {
    const { k: _k, key, ...rec } = e
    s.rows[key] = rec
    return
  }
  s.status = e.status
  if (e.portal) s.portal = e.portal
  if (e.seq !== undefined && e.seq > (s.seq ?? 0)) s.seq = e.seq
  if (e.status === 'running' && !s.startedAt) s.startedAt = e.at
  if (FINAL_JOB.includes(e.status)) s.finishedAt = e.at
  else delete s.finishedAt
  if (e.error === null) delete s.error
  else if (e.error) s.error = e.error
  if (e.detail) s.detail = e.detail
  else delete s.detail
}

export const STATE_FILE = 'state.json'
export const STATE_PREV_FILE = 'state.prev.json'
export const LOG_FILE = 'journal.jsonl'
export const LOG_PREV_FILE = 'journal.prev.jsonl'

/** Why the journal cannot vouch for every row (the store marks non-final rows uncertain). */
export interface JournalDamage {
  reason: string
  /** The last moment anything may have been sent that the journal no longer shows (ms epoch). */
  lastWriteAt: number
}

export interface JournalOptions {
  fs?: DurableFs
  /** Open as the job's writer (only under the job's lock): appends and compaction are allowed. */
  writable?: boolean
}

type Snapshot = { gen: number; state: JobStateData; legacy: boolean }
type Segment = { gen: number; entries: JournalEntry[]; bad: number; torn: boolean; legacy: boolean; mtimeMs: number }

const decoder = new TextDecoder()

async function readText(fs: DurableFs, path: string): Promise<{ text: string; mtimeMs: number } | null> {
  try {
    const bytes = await fs.readFile(path)
    const { mtimeMs } = await fs.stat(path).catch(() => ({ mtimeMs: 0 }))
    return { text: decoder.decode(bytes), mtimeMs }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw e
  }
}

/** A snapshot file: its generation and state, null when missing, 'damaged' when its checksum fails. */
async function readSnapshot(fs: DurableFs, path: string): Promise<Snapshot | null | 'damaged'> {
  const file = await readText(fs, path)
  if (!file) return null
  const text = file.text.replace(/\n$/, '')
  try {
    if (text.startsWith('{')) return { gen: 0, state: JSON.parse(text) as JobStateData, legacy: true }
    const opened = openLine(text)
    if (!opened || text.includes('\n')) return 'damaged'
    const v = JSON.parse(opened.text) as { gen: number; state: JobStateData }
    if (typeof v.gen !== 'number' || !v.state || typeof v.state !== 'object') return 'damaged'
    return { gen: v.gen, state: v.state, legacy: false }
  } catch {
    return 'damaged'
  }
}

async function readSegment(fs: DurableFs, path: string): Promise<Segment | null | 'damaged'> {
  const file = await readText(fs, path)
  if (!file) return null
  const lines = file.text.split('\n')
  const tail = lines.pop() ?? ''
  const seg: Segment = { gen: 0, entries: [], bad: 0, torn: tail.length > 0, legacy: false, mtimeMs: file.mtimeMs }
  let first = true
  for (const line of lines) {
    if (!line) continue
    const opened = openLine(line)
    let value: unknown
    try {
      value = opened ? JSON.parse(opened.text) : undefined
    } catch {
      value = undefined
    }
    const rec = value as { k?: string; gen?: number } | undefined
    if (first) {
      first = false
      if (rec?.k === 'seg' && typeof rec.gen === 'number') {
        seg.gen = rec.gen
        continue
      }
      if (!opened) return 'damaged' // no header: the generation is unknown
      if (!opened.legacy) return 'damaged'
      seg.legacy = true // a journal from before generations: it follows the legacy snapshot
    }
    if (!rec || (rec.k !== 'row' && rec.k !== 'job')) {
      seg.bad++
      continue
    }
    if (opened?.legacy && !seg.legacy) {
      seg.bad++ // an unsealed line in a sealed segment
      continue
    }
    seg.entries.push(value as JournalEntry)
  }
  if (first && seg.torn) return 'damaged' // not even a whole header
  return seg
}

function storageFailure(e: unknown): AppFailure {
  if (e instanceof AppFailure) return e
  const code = (e as NodeJS.ErrnoException | undefined)?.code
  if (isDiskFull(e)) {
    return new AppFailure('STORAGE', 'The disk is full: free space and press Resume; nothing was sent twice.', {
      messageRu: 'Диск заполнен: освободите место и нажмите «Продолжить»; ничего не было отправлено дважды.',
    })
  }
  return new AppFailure('STORAGE', `The job's journal could not be written (${code ?? 'I/O error'}): check the data folder, then press Resume; nothing was sent twice.`, {
    messageRu: `Не удалось записать журнал задания (${code ?? 'ошибка ввода-вывода'}): проверьте папку данных и нажмите «Продолжить»; ничего не было отправлено дважды.`,
  })
}

export class Journal {
  private fh: DurableHandle | null = null
  private chain: Promise<void> = Promise.resolve()
  private sinceCompact = 0
  private broken: AppFailure | null = null
  private closed = false

  private constructor(
    readonly dir: string,
    readonly state: JobStateData,
    private readonly fs: DurableFs,
    readonly writable: boolean,
    /** The generation new entries go to. */
    private gen: number,
    /** What could not be rebuilt, or null. */
    readonly damage: JournalDamage | null,
    /** True when state.json was unreadable and the state was rebuilt from the previous generation. */
    readonly rebuilt: boolean,
    /** When the journal's files were last written (ms epoch, 0 when new). */
    readonly lastWriteAt: number,
  ) {}

  /**
   * Opens a job's journal: the newest sound snapshot plus every segment from its generation on. A writer also
   * compacts what it found when anything was damaged, rebuilt or in the old format, so appends start clean.
   */
  static async open(dir: string, initial: () => JobStateData, opts: JournalOptions = {}): Promise<Journal> {
    const fs = opts.fs ?? nodeFs
    const [cur, prev] = [await readSnapshot(fs, join(dir, STATE_FILE)), await readSnapshot(fs, join(dir, STATE_PREV_FILE))]
    const [segPrev, segCur] = [await readSegment(fs, join(dir, LOG_PREV_FILE)), await readSegment(fs, join(dir, LOG_FILE))]
    const problems: string[] = []
    const snaps = [cur, prev].filter((s): s is Snapshot => !!s && s !== 'damaged')
    let base: Snapshot = snaps.sort((a, b) => b.gen - a.gen)[0] ?? { gen: 0, state: initial(), legacy: false }
    // state.json damaged or missing while an older snapshot exists: the state is rebuilt from that generation.
    const rebuilt = base !== cur && snaps.length > 0
    const segs = [segPrev, segCur].filter((s): s is Segment => !!s && s !== 'damaged')
    if (segCur === 'damaged') problems.push('the journal is damaged')
    if (cur === 'damaged' && !snaps.length && !segs.length) problems.push('the snapshot is damaged and nothing is left to rebuild it from')
    let lastWriteAt = 0
    const state = structuredClone(base.state)
    let expect = base.gen
    let gen = base.gen
    for (const seg of segs.sort((a, b) => a.gen - b.gen)) {
      if (seg.gen < base.gen) continue
      if (seg.legacy && !base.legacy && base.gen > 0) continue
      if (seg.gen > expect) problems.push(`generation ${expect} of the journal is missing`)
      for (const e of seg.entries) applyEntry(state, e)
      if (seg.bad) problems.push(`${seg.bad} damaged line${seg.bad === 1 ? '' : 's'}`)
      if (seg.torn) problems.push('a torn last line')
      lastWriteAt = Math.max(lastWriteAt, seg.mtimeMs)
      expect = seg.gen + 1
      gen = Math.max(gen, seg.gen)
    }
    base = { ...base, state }
    const damage = problems.length ? { reason: [...new Set(problems)].join('; '), lastWriteAt } : null
    let lastWrite = lastWriteAt
    for (const f of [STATE_FILE, STATE_PREV_FILE]) lastWrite = Math.max(lastWrite, await fs.stat(join(dir, f)).then((st) => st.mtimeMs, () => 0))
    const j = new Journal(dir, state, fs, opts.writable ?? false, gen, damage, rebuilt, lastWrite)
    if (j.writable) {
      const needsCompaction = !!damage || rebuilt || base.legacy || segs.some((s) => s.legacy) || (segCur !== null && (segCur === 'damaged' || segCur.gen !== gen))
      if (needsCompaction) await j.compact()
      else if (segCur === null) await j.startSegment(gen)
    }
    return j
  }

  /** Writes the header of an empty segment of generation `gen` as journal.jsonl. */
  private async startSegment(gen: number): Promise<void> {
    await writeFileAtomic(join(this.dir, LOG_FILE), `${sealLine(JSON.stringify({ k: 'seg', gen }))}\n`, { fs: this.fs })
    this.gen = gen
  }

  private assertWritable(): void {
    if (!this.writable) throw new AppFailure('INTERNAL', 'This job is open for reading only.')
    if (this.closed) throw new AppFailure('INTERNAL', 'This job was closed.')
  }

  /**
   * Appends entries as one write, fdatasync'd before it resolves; applies them to `state` only then. A short
   * write, a full disk or any write error rejects with a STORAGE failure (the partial line is cut off when the
   * disk allows) and every later append rejects too: the job stops, and is reopened to resume.
   */
  append(entries: JournalEntry[]): Promise<void> {
    this.assertWritable()
    if (entries.length === 0) return this.chain
    const bytes = new TextEncoder().encode(entries.map((e) => sealLine(JSON.stringify(e))).join('\n') + '\n')
    const p = this.chain.then(async () => {
      if (this.broken) throw this.broken
      const path = join(this.dir, LOG_FILE)
      let size = -1
      try {
        if (!this.fh) this.fh = await this.fs.open(path, 'a', 0o600)
        size = (await this.fh.stat()).size
        await writeAll(this.fh, bytes, path)
        await this.fh.datasync()
      } catch (e) {
        if (size >= 0) await this.fh?.truncate(size).catch(() => undefined)
        this.broken = storageFailure(e)
        throw this.broken
      }
      for (const e of entries) applyEntry(this.state, e)
      this.sinceCompact += entries.length
    })
    this.chain = p.catch(() => {})
    return p
  }

  get pendingEntries(): number {
    return this.sinceCompact
  }

  /** Folds everything into a new snapshot generation (see the file comment for the order of steps). */
  compact(): Promise<void> {
    this.assertWritable()
    const p = this.chain.then(async () => {
      if (this.broken) throw this.broken
      try {
        if (this.fh) {
          await this.fh.close()
          this.fh = null
        }
        const gen = this.gen + 1
        const snapshot = `${sealLine(JSON.stringify({ gen, state: this.state }))}\n`
        await this.fs.rename(join(this.dir, STATE_FILE), join(this.dir, STATE_PREV_FILE)).catch(ignoreMissing)
        await this.fs.rename(join(this.dir, LOG_FILE), join(this.dir, LOG_PREV_FILE)).catch(ignoreMissing)
        await writeFileAtomic(join(this.dir, STATE_FILE), snapshot, { fs: this.fs })
        await this.startSegment(gen)
        this.sinceCompact = 0
      } catch (e) {
        this.broken = storageFailure(e)
        throw this.broken
      }
    })
    this.chain = p.catch(() => {})
    return p
  }

  /** Waits for pending writes and closes the file. Later appends reject. */
  async close(): Promise<void> {
    await this.chain
    this.closed = true
    if (this.fh) {
      const fh = this.fh
      this.fh = null
      await fh.close().catch(() => undefined)
    }
  }

  static async remove(dir: string, fs: DurableFs = nodeFs): Promise<void> {
    for (const f of [STATE_FILE, STATE_PREV_FILE, LOG_FILE, LOG_PREV_FILE]) await fs.rm(join(dir, f))
  }
}

function ignoreMissing(e: unknown): void {
  if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
}
