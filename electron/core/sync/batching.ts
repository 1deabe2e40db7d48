/**
 * Batch sizing (Client spec §4): at most 50 commands, fewer when the expected server time of the batch would
 * approach the request cap or the body gets large. The operating budget is applied separately (the pacer).
 */
import { LIMITS } from '../../shared/chat'

export interface BatchSizing {
  /** Hard cap (50 on Bitrix24). */
  maxBatch: number
  /** Target server seconds per batch, well under the 60 s execution cap (default 20). */
  maxBatchServerSec: number
  /** Largest request body for one batch, bytes (default 2 MB). */
  maxBatchBytes: number
}

export const DEFAULT_SIZING: BatchSizing = { maxBatch: LIMITS.BATCH_MAX, maxBatchServerSec: 20, maxBatchBytes: 2_000_000 }

/**
 * How many of the next commands go into one batch. `bytes[i]` is the encoded size of command i, `serverSec`
 * the expected server time per command, `affordable` what the operating budget allows now.
 * Pass the latency observed under the current concurrency, not a constant: `pacer.serverSecPerCall(m)` rises at
 * once when calls slow down under load (so a batch stays well under the 60 s cap), and `pacer.latencySecPerCall(m)`
 * also counts the queueing requests meet at the portal.
 */
export function batchSize(bytes: number[], serverSec: number, affordable: number, sizing: BatchSizing = DEFAULT_SIZING): number {
  if (bytes.length === 0) return 0
  const byTime = serverSec > 0 ? Math.floor(sizing.maxBatchServerSec / serverSec) : sizing.maxBatch
  let n = Math.max(1, Math.min(sizing.maxBatch, LIMITS.BATCH_MAX, byTime, Math.floor(affordable), bytes.length))
  let total = 0
  for (let i = 0; i < n; i++) {
    total += (bytes[i] ?? 0) + 16
    if (total > sizing.maxBatchBytes && i > 0) {
      n = i
      break
    }
  }
  return Math.max(1, n)
}
