/**
 * The client's leaky bucket (notes §3, Client spec §4): the portal's X and Y times the margin. Every request of the
 * portal takes one token; the level drains by Y·margin per second. The drain is computed in `drain()` only.
 */
export class ClientBucket {
  private level = 0
  private at: number

  constructor(
    public capacity: number,
    public drainPerSec: number,
    now: number,
  ) {
    this.at = now
  }

  /** The one place the bucket drains: `level − Δt · Y`, never below 0. */
  private drain(now: number): void {
    this.level = Math.max(0, this.level - ((now - this.at) / 1000) * this.drainPerSec)
    this.at = Math.max(this.at, now)
  }

  levelAt(now: number): number {
    this.drain(now)
    return this.level
  }

  /** Milliseconds until one more request fits (0 = now). */
  waitMs(now: number): number {
    this.drain(now)
    const over = this.level + 1 - this.capacity
    return over <= 0 ? 0 : Math.ceil((over / this.drainPerSec) * 1000)
  }

  take(now: number): void {
    this.drain(now)
    this.level += 1
  }

  /** After 503 QUERY_LIMIT_EXCEEDED: the portal's bucket is full, so is ours. */
  fill(now: number): void {
    this.drain(now)
    this.level = Math.max(this.level, this.capacity)
  }

  /** Tokens free now. */
  free(now: number): number {
    this.drain(now)
    return Math.max(0, this.capacity - this.level)
  }

  /** Tokens the bucket gives from now over the next `sec` seconds: those free now and its drain over that time. */
  tokensWithin(now: number, sec: number): number {
    return this.free(now) + this.drainPerSec * Math.max(0, sec)
  }
}
