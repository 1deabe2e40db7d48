/**
 * Server capacity [C]: how many requests the portal runs at once. A real portal sits behind a front end (nginx) that
 * hands requests to a fixed pool of PHP workers; requests beyond the pool wait in the front end's queue, so their
 * latency grows while their server time does not, and a full queue is answered by the front end itself — a 502/503
 * HTML page before PHP ever sees the request (nothing runs, nothing is billed, the leaky bucket is not touched).
 * Bitrix24 does not publish a portal's pool; see README "Server capacity" for the default. `workers: 0` turns the
 * model off (every request runs at once, as before).
 */
export interface CapacityConfig {
  /** Requests run at once (0 = unlimited). */
  workers: number
  /** Requests that may wait for a worker; one more is refused with 503 HTML. */
  queueLimit: number
}

export interface CapacityStats {
  workers: number
  queueLimit: number
  running: number
  queued: number
  maxRunning: number
  maxQueued: number
  /** Requests refused because the queue was full. */
  rejected: number
}

export class ServerCapacity {
  private running = 0
  private maxRunning = 0
  private maxQueued = 0
  private rejected = 0
  private readonly queue: { go: () => void; stop: (e: Error) => void }[] = []

  constructor(public config: CapacityConfig) {}

  /**
   * Takes a worker for one request: at once when one is free; after the requests ahead of it otherwise. Returns
   * false when the queue is full (the caller answers 503 HTML and runs nothing). Rejects when the server closes.
   */
  enter(): boolean | Promise<boolean> {
    const { workers, queueLimit } = this.config
    if (workers <= 0 || this.running < workers) {
      this.start()
      return true
    }
    if (this.queue.length >= queueLimit) {
      this.rejected++
      return false
    }
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ go: () => resolve(true), stop: reject })
      this.maxQueued = Math.max(this.maxQueued, this.queue.length)
    })
  }

  /** The request's worker is free: the oldest waiting request takes it. */
  leave(): void {
    this.running = Math.max(0, this.running - 1)
    const next = this.queue.shift()
    if (next) {
      this.start()
      next.go()
    }
  }

  private start(): void {
    this.running++
    this.maxRunning = Math.max(this.maxRunning, this.running)
  }

  /** The server closes: nothing waiting will run. */
  close(): void {
    for (const q of this.queue.splice(0)) q.stop(new Error('sandbox closed'))
  }

  /** Counters back to zero (what runs keeps its worker). */
  resetStats(): void {
    this.maxRunning = this.running
    this.maxQueued = this.queue.length
    this.rejected = 0
  }

  stats(): CapacityStats {
    return { ...this.config, running: this.running, queued: this.queue.length, maxRunning: this.maxRunning, maxQueued: this.maxQueued, rejected: this.rejected }
  }
}
