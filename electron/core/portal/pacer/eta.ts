/**
 * Seconds needed to run `calls` more calls in `requests` requests, from the limits and the concurrency — not just
 * the recent rate. The largest of three bounds:
 *  - the server time, spread over the requests allowed in flight and stretched by the queueing they meet;
 *  - the leaky bucket: requests beyond the free tokens drain at Y per second;
 *  - the operating budget of each billing key: what does not fit now waits for booked entries to expire, then
 *    runs at one budget per window.
 */
export interface EtaKey {
  /** Expected billed seconds per call on this key. */
  costPerCall: number
  used: number
  reserved: number
  budgetSec: number
  windowSec: number
  /** Booked entries, oldest first. */
  entries: readonly { at: number; cost: number }[]
  /** ms epoch until which the key is blocked (429), 0 when not. */
  blockedUntil: number
}

export interface EtaInput {
  now: number
  calls: number
  requests: number
  secPerCall: number
  overheadSec: number
  parallel: number
  loadFactor: number
  bucketFree: number
  drainPerSec: number
  keys: EtaKey[]
}

export function etaSec(i: EtaInput): number {
  if (i.calls <= 0) return 0
  const p = Math.max(1, i.parallel)
  const server = (i.calls * i.secPerCall * Math.max(1, i.loadFactor) + i.requests * i.overheadSec) / p
  const bucket = i.requests > i.bucketFree ? (i.requests - i.bucketFree) / i.drainPerSec : 0
  let operating = 0
  for (const k of i.keys) {
    if (k.costPerCall <= 0) continue
    const need = i.calls * k.costPerCall
    let avail = k.budgetSec - k.used - k.reserved
    let sec = 0
    if (need > avail) {
      let t = i.now
      for (const e of k.entries) {
        avail += e.cost
        t = e.at + k.windowSec * 1000
        if (need <= avail) break
      }
      sec = (t - i.now) / 1000
      if (need > avail) sec += ((need - avail) / k.budgetSec) * k.windowSec
    }
    if (k.blockedUntil > i.now) sec += (k.blockedUntil - i.now) / 1000
    operating = Math.max(operating, sec)
  }
  return Math.max(server, bucket, operating)
}
