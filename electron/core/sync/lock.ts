/**
 * One writer per job: `<job>/lock`, created with O_EXCL, holding who writes — pid, host, program (the app or
 * `b24chat`), when, and the process's start time (so a reused pid is not mistaken for the owner). A second
 * engine gets a LOCKED failure naming the other process. A lock is taken over only when its owner is provably
 * dead: same host, and no process with that pid (or one that started at another time).
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { AppFailure } from '../../shared/result'
import type { DurableFs } from '../fsutil'
import { nodeFs, writeAll } from '../fsutil'

export type LockProgram = 'app' | 'cli'

export interface LockOwner {
  pid: number
  host: string
  program: LockProgram
  /** ms epoch */
  since: number
  /** The process's start time as the OS tells it (Linux: /proc/<pid>/stat field 22), when known. */
  procStart?: string
  token: string
}

/** Facts about processes on this host (injected in tests). */
export interface ProcessProbe {
  alive(pid: number): boolean
  /** The start time of process `pid`, or null when unknown. */
  startTime(pid: number): string | null
}

export const osProcessProbe: ProcessProbe = {
  alive(pid) {
    try {
      process.kill(pid, 0)
      return true
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM'
    }
  },
  startTime(pid) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      // Field 2 (comm) may hold spaces: count fields after its closing parenthesis.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return rest[19] ?? null
    } catch {
      return null
    }
  },
}

export const LOCK_FILE = 'lock'
/** An unreadable lock file older than this was left by a process that died while creating it. */
const ABANDONED_MS = 10_000

export interface LockOptions {
  fs?: DurableFs
  probe?: ProcessProbe
  host?: string
  pid?: number
  now?: () => number
}

function describe(o: LockOwner): { en: string; ru: string } {
  const at = new Date(o.since).toTimeString().slice(0, 8)
  const who = o.program === 'app' ? 'the B24 Chat Admin app' : 'the b24chat command'
  const whoRu = o.program === 'app' ? 'приложение B24 Chat Admin' : 'команда b24chat'
  return { en: `${who} (process ${o.pid} on ${o.host}, since ${at})`, ru: `${whoRu} (процесс ${o.pid} на ${o.host}, с ${at})` }
}

function lockedFailure(o: LockOwner | null): AppFailure {
  if (!o) return new AppFailure('LOCKED', 'Another process is starting this job right now. Try again in a moment.', { messageRu: 'Другой процесс как раз запускает это задание. Повторите через минуту.' })
  const d = describe(o)
  return new AppFailure('LOCKED', `This job is being sent by ${d.en}. Wait for it to finish or stop it first; nothing is sent twice.`, {
    messageRu: `Это задание уже отправляет ${d.ru}. Дождитесь окончания или сначала остановите его; ничего не отправляется дважды.`,
  })
}

export class JobLock {
  private released = false
  private constructor(private readonly path: string, private readonly fs: DurableFs, readonly owner: LockOwner) {}

  /** Takes the job's lock or throws LOCKED naming the holder. */
  static async acquire(dir: string, program: LockProgram, opts: LockOptions = {}): Promise<JobLock> {
    const fs = opts.fs ?? nodeFs
    const probe = opts.probe ?? osProcessProbe
    const pid = opts.pid ?? process.pid
    const now = opts.now ?? Date.now
    const me: LockOwner = { pid, host: opts.host ?? hostname(), program, since: now(), token: randomUUID() }
    const start = probe.startTime(pid)
    if (start) me.procStart = start
    const path = join(dir, LOCK_FILE)
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await JobLock.create(fs, path, me)) return new JobLock(path, fs, me)
      const holder = await JobLock.read(fs, path)
      if (holder === 'missing') continue
      const dead = holder === 'unreadable' ? await JobLock.abandoned(fs, path, now) : JobLock.provablyDead(holder, me.host, probe)
      if (!dead) throw lockedFailure(holder === 'unreadable' ? null : holder)
      // The owner is dead: take over, one taker at a time.
      const takeover = `${path}.takeover`
      if (!(await JobLock.create(fs, takeover, me))) {
        const t = await JobLock.read(fs, takeover)
        if (t !== 'missing' && (t === 'unreadable' ? !(await JobLock.abandoned(fs, takeover, now)) : !JobLock.provablyDead(t, me.host, probe))) throw lockedFailure(null)
        await fs.rm(takeover)
        continue
      }
      try {
        const again = await JobLock.read(fs, path)
        const stillDead = again === 'missing' || (again === 'unreadable' ? await JobLock.abandoned(fs, path, now) : JobLock.provablyDead(again, me.host, probe))
        if (stillDead) await fs.rm(path)
      } finally {
        await fs.rm(takeover)
      }
    }
    throw lockedFailure(null)
  }

  /** The lock's holder, or null when the job is not locked (or its holder is dead). */
  static async holder(dir: string, opts: LockOptions = {}): Promise<LockOwner | null> {
    const fs = opts.fs ?? nodeFs
    const h = await JobLock.read(fs, join(dir, LOCK_FILE))
    if (h === 'missing' || h === 'unreadable') return null
    return JobLock.provablyDead(h, opts.host ?? hostname(), opts.probe ?? osProcessProbe) ? null : h
  }

  private static async create(fs: DurableFs, path: string, me: LockOwner): Promise<boolean> {
    let fh
    try {
      fh = await fs.open(path, 'wx', 0o600)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw e
    }
    try {
      await writeAll(fh, new TextEncoder().encode(JSON.stringify(me)), path)
      await fh.sync()
    } catch (e) {
      await fh.close().catch(() => undefined)
      await fs.rm(path).catch(() => undefined)
      throw e
    }
    await fh.close()
    return true
  }

  private static async read(fs: DurableFs, path: string): Promise<LockOwner | 'missing' | 'unreadable'> {
    try {
      const o = JSON.parse(new TextDecoder().decode(await fs.readFile(path))) as LockOwner
      return typeof o.pid === 'number' && typeof o.host === 'string' ? o : 'unreadable'
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing'
      // Being written right now, or left empty by a crash: only an old one is stale (see provablyDead).
      return 'unreadable'
    }
  }

  /** A lock file nobody could read for a while: its writer died between creating and writing it. */
  private static async abandoned(fs: DurableFs, path: string, now: () => number): Promise<boolean> {
    try {
      return now() - (await fs.stat(path)).mtimeMs > ABANDONED_MS
    } catch {
      return true
    }
  }

  private static provablyDead(o: LockOwner, host: string, probe: ProcessProbe): boolean {
    if (o.host !== host) return false // another computer: cannot be proven
    if (!probe.alive(o.pid)) return true
    const start = probe.startTime(o.pid)
    return !!(o.procStart && start && start !== o.procStart)
  }

  /** Releases the lock if it is still ours. */
  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    const h = await JobLock.read(this.fs, this.path)
    if (h !== 'missing' && h !== 'unreadable' && h.token === this.owner.token) await this.fs.rm(this.path)
  }
}
