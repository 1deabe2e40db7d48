/**
 * The local created-chats history of a data folder (`<data>/history/created.jsonl`): one checksummed line per chat
 * the tool created — portal, row identity, chat id, when, which job and row, and hashes of the values sent. Every
 * job appends to it as its rows are created; it is rebuilt from the jobs' journals when lines are missing (a crash
 * between the journal and the history, a history file lost), and it outlives the jobs (deleting a job in History
 * does not forget its chats). Several processes (the app and `b24chat`) append to it with O_APPEND; each re-reads
 * what the others added before it looks anything up.
 */
import { join } from 'node:path'
import { SANDBOX_PROFILE } from '../../shared/profile'
import type { DurableFs } from '../fsutil'
import { nodeFs, writeAll } from '../fsutil'
import { openLine, sealLine } from './checksum'
import type { FieldHashes } from './identity'

export interface CreatedRecord {
  /** The portal key (portalKeyFor). */
  portal: string
  identity: string
  chatId: number
  at: number
  jobId: string
  rowKey: string
  fields?: FieldHashes
}

/**
 * Which portal a job talks to, as a stable key: the built-in sandbox (its port changes at every start), else the
 * portal's host (and port), else the profile's name.
 */
export function portalKeyFor(profile: string, portalUrl?: string): string {
  if (profile === SANDBOX_PROFILE) return 'sandbox:built-in'
  if (portalUrl) {
    try {
      return new URL(portalUrl).host.toLowerCase()
    } catch {
      // not a URL: fall through
    }
  }
  return `profile:${profile}`
}

const key = (portal: string, identity: string): string => `${portal}\u0000${identity}`

export class CreatedHistory {
  readonly path: string
  private offset = 0
  private readonly byIdentity = new Map<string, CreatedRecord>()
  private readonly byRow = new Set<string>()
  private chain: Promise<void> = Promise.resolve()

  constructor(readonly dataDir: string, private readonly fs: DurableFs = nodeFs) {
    this.path = join(dataDir, 'history', 'created.jsonl')
  }

  private index(r: CreatedRecord): void {
    this.byRow.add(`${r.jobId}\u0000${r.rowKey}`)
    const k = key(r.portal, r.identity)
    const prev = this.byIdentity.get(k)
    // The first chat made for an identity is the one it stands for (later ones are duplicates from before).
    if (!prev || r.at < prev.at) this.byIdentity.set(k, r)
  }

  /** Reads the lines other processes (or an earlier run) appended since the last read. */
  refresh(): Promise<void> {
    const p = this.chain.then(async () => {
      let size: number
      try {
        size = (await this.fs.stat(this.path)).size
      } catch {
        return
      }
      if (size === this.offset) return
      const bytes = await this.fs.readFile(this.path)
      const from = size < this.offset ? 0 : this.offset
      const text = new TextDecoder().decode(bytes.subarray(from))
      const end = text.lastIndexOf('\n')
      if (end < 0) return
      for (const line of text.slice(0, end).split('\n')) {
        const opened = line ? openLine(line) : null
        if (!opened || opened.legacy) continue // a torn or damaged line: the jobs' journals still know
        try {
          this.index(JSON.parse(opened.text) as CreatedRecord)
        } catch {
          // skip
        }
      }
      this.offset = from + new TextEncoder().encode(text.slice(0, end + 1)).length
    })
    this.chain = p.catch(() => {})
    return p
  }

  /** The chat created for this identity on this portal, if the history knows one. */
  find(portal: string, identity: string): CreatedRecord | undefined {
    return this.byIdentity.get(key(portal, identity))
  }

  knowsRow(jobId: string, rowKey: string): boolean {
    return this.byRow.has(`${jobId}\u0000${rowKey}`)
  }

  /** Appends records (one write). Not fsync'd: the journals are the truth and rebuild what a crash loses. */
  record(recs: CreatedRecord[]): Promise<void> {
    const fresh = recs.filter((r) => !this.knowsRow(r.jobId, r.rowKey))
    if (!fresh.length) return this.chain
    for (const r of fresh) this.index(r)
    const bytes = new TextEncoder().encode(fresh.map((r) => sealLine(JSON.stringify(r))).join('\n') + '\n')
    const p = this.chain.then(async () => {
      await this.fs.mkdir(join(this.dataDir, 'history'))
      const fh = await this.fs.open(this.path, 'a', 0o600)
      try {
        const before = (await fh.stat()).size
        await writeAll(fh, bytes, this.path)
        // Alone on the file: nothing to re-read. Otherwise the next refresh reads the others' lines (and ours).
        if (before === this.offset) this.offset = before + bytes.length
      } finally {
        await fh.close()
      }
    })
    this.chain = p.catch(() => {})
    return p
  }
}

/** The part of a stored job the history is rebuilt from (StoredJob satisfies it). */
export interface HistorySource {
  id: string
  portalKey: string
  record: { rows: { key: string }[] }
  row(key: string): { state: string; chatId?: number; at: number }
  identityOf(row: { key: string }): string
  fieldsOf(row: { key: string }): FieldHashes
}

/**
 * Adds to the history every created row of these jobs it does not know yet (a crash between a journal and the
 * history, a lost history file, jobs from before the history existed). Returns how many were added.
 */
export async function importCreated(history: CreatedHistory, jobs: Iterable<HistorySource>): Promise<number> {
  await history.refresh()
  const recs: CreatedRecord[] = []
  for (const job of jobs) {
    for (const r of job.record.rows) {
      const s = job.row(r.key)
      if (s.state !== 'created' || s.chatId === undefined || history.knowsRow(job.id, r.key)) continue
      recs.push({ portal: job.portalKey, identity: job.identityOf(r), chatId: s.chatId, at: s.at, jobId: job.id, rowKey: r.key, fields: job.fieldsOf(r) })
    }
  }
  await history.record(recs)
  return recs.length
}
