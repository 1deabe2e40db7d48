/**
 * Job events (house style habit 4): a monotonic seq, progress coalesced to about 10 per second, row log lines
 * buffered and flushed with it, and exactly one terminal event, never dropped.
 */
import type { Clock } from '../clock'
import type { JobEvent, JobProgress, JobRowLog, TerminalJobEvent } from '../../shared/jobs'

type Unseq<E> = E extends JobEvent ? Omit<E, 'seq'> : never

export class EventHub {
  private seq: number
  private readonly listeners = new Set<(e: JobEvent) => void>()
  private rows: JobRowLog[] = []
  private lastProgressAt = Number.NEGATIVE_INFINITY
  private trailing: AbortController | null = null
  private terminated = false

  constructor(private readonly jobId: string, private readonly clock: Clock, private readonly progress: () => JobProgress, private readonly intervalMs = 100, startSeq = 0) {
    this.seq = startSeq
  }

  get lastSeq(): number {
    return this.seq
  }

  /** The seq the next status or terminal event will carry (row lines waiting to go out are sent first). */
  nextSeq(): number {
    if (!this.terminated) {
      if (this.trailing) this.flush()
      else this.flushRows()
    }
    return this.seq + 1
  }

  on(l: (e: JobEvent) => void): () => void {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }

  /** Re-arms the hub for a new run (a job started again after a terminal event). */
  rearm(): void {
    this.terminated = false
  }

  private send(e: Unseq<JobEvent>): JobEvent {
    const ev = { ...e, seq: ++this.seq } as JobEvent
    for (const l of this.listeners) {
      try {
        l(ev)
      } catch {
        // a listener's failure must not stop the job
      }
    }
    return ev
  }

  emit(e: Unseq<Exclude<JobEvent, TerminalJobEvent | { type: 'progress' } | { type: 'rows' }>>): void {
    if (this.terminated) return
    this.flushRows()
    this.send(e)
  }

  row(r: JobRowLog): void {
    this.rows.push(r)
    this.tick()
  }

  private flushRows(): void {
    if (this.rows.length === 0) return
    const rows = this.rows
    this.rows = []
    this.send({ type: 'rows', jobId: this.jobId, at: this.clock.now(), rows })
  }

  /** Something changed: emit progress now if the last one is old enough, otherwise once the interval is up. */
  tick(): void {
    if (this.terminated) return
    const now = this.clock.now()
    const wait = this.lastProgressAt + this.intervalMs - now
    if (wait <= 0) {
      this.flush()
      return
    }
    if (this.trailing) return
    const ac = new AbortController()
    this.trailing = ac
    this.clock.sleep(wait, ac.signal).then(
      () => {
        if (this.trailing === ac) this.trailing = null
        if (!this.terminated) this.flush()
      },
      () => {},
    )
  }

  /** Emits buffered rows and a progress event now. */
  flush(): void {
    if (this.terminated) return
    this.trailing?.abort()
    this.trailing = null
    this.lastProgressAt = this.clock.now()
    this.flushRows()
    this.send({ type: 'progress', jobId: this.jobId, at: this.lastProgressAt, progress: this.progress() })
  }

  /** A run that ends without a terminal event (stopped now, to resume later): nothing more is sent until `rearm`. */
  silence(): void {
    this.flushRows()
    this.trailing?.abort()
    this.trailing = null
    this.terminated = true
  }

  /** The one terminal event of a run. Later events of the run are dropped. */
  terminal(e: Unseq<TerminalJobEvent>): TerminalJobEvent {
    this.trailing?.abort()
    this.trailing = null
    this.flushRows()
    this.terminated = true
    return this.send(e) as TerminalJobEvent
  }
}

/** Chats per second over the last `windowMs`. */
export class RateMeter {
  private stamps: number[] = []
  constructor(private readonly clock: Clock, private readonly windowMs = 30_000) {}
  private started = 0
  start(): void {
    this.started = this.clock.now()
    this.stamps = []
  }
  add(n = 1): void {
    const now = this.clock.now()
    for (let i = 0; i < n; i++) this.stamps.push(now)
  }
  rate(): number {
    const now = this.clock.now()
    this.stamps = this.stamps.filter((t) => t > now - this.windowMs)
    const span = Math.min(this.windowMs, now - this.started)
    if (span <= 0 || this.stamps.length === 0) return 0
    return Math.round((this.stamps.length / (span / 1000)) * 100) / 100
  }
}
