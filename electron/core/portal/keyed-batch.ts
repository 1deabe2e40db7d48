/**
 * The one keyed-batch helper (house style, habit 13): a map of calls by the caller's own key → batches of at most
 * 50 commands (notes §4: commands past 50 are not run) → each call's outcome by the same key. Every lookup, owner,
 * verification and send path uses it, so no caller builds `cmd` keys or reads the five result sections by hand.
 */
import type { BatchResult, RestSuccess } from './types'

/** A command of a batch: the method and its parameters. */
export type KeyedCall = readonly [method: string, params: Record<string, unknown>]

export type KeyedOutcome =
  | { kind: 'ok'; result: unknown }
  /** The portal refused this command (its own error and description, verbatim). */
  | { kind: 'error'; error: string; description: string }
  /** The batch was answered, but nothing about this command (not run): treat like a lost answer. */
  | { kind: 'missing' }

/** The part of a portal client the helper needs (PortalClient and every RestCaller satisfy it). */
export interface BatchCaller {
  batch(cmd: Record<string, [string, Record<string, unknown>]>, opts?: { signal?: AbortSignal; halt?: boolean; expectedServerSec?: number }): Promise<RestSuccess<BatchResult>>
}

export interface KeyedBatchOptions<K> {
  signal?: AbortSignal
  /** Commands per request (default and maximum 50). */
  chunk?: number
  /** Expected server seconds of a request of n commands (stretches the client's timeout). */
  expectedServerSec?: (n: number) => number
  /** Called with each request's outcomes as soon as it is answered (journal them before the next request). */
  onChunk?: (outcomes: Map<K, KeyedOutcome>) => Promise<void> | void
}

export const BATCH_MAX = 50

/** The outcome of command `key` in one batch reply. */
export function outcomeOf(res: BatchResult, key: string): KeyedOutcome {
  const err = res.result_error[key]
  if (err) return { kind: 'error', error: err.error ?? 'ERROR', description: err.error_description ?? '' }
  if (key in res.result) return { kind: 'ok', result: res.result[key] }
  return { kind: 'missing' }
}

/**
 * Runs `calls` in batches of at most 50 (fewer with `chunk`), one request at a time, and returns every outcome
 * by the caller's key. A request that fails as a whole (network, auth, an unknown outcome) rejects; outcomes of
 * the requests answered before it were already handed to `onChunk`.
 */
export async function keyedBatch<K>(client: BatchCaller, calls: Iterable<readonly [K, KeyedCall]>, opts: KeyedBatchOptions<K> = {}): Promise<Map<K, KeyedOutcome>> {
  const size = Math.max(1, Math.min(BATCH_MAX, opts.chunk ?? BATCH_MAX))
  const all = [...calls]
  const out = new Map<K, KeyedOutcome>()
  for (let i = 0; i < all.length; i += size) {
    opts.signal?.throwIfAborted()
    const part = all.slice(i, i + size)
    const cmd: Record<string, [string, Record<string, unknown>]> = {}
    part.forEach(([, [method, params]], j) => {
      cmd[`c${j}`] = [method, params]
    })
    const reply = await client.batch(cmd, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.expectedServerSec ? { expectedServerSec: opts.expectedServerSec(part.length) } : {}),
    })
    const chunk = new Map<K, KeyedOutcome>()
    part.forEach(([key], j) => chunk.set(key, outcomeOf(reply.result, `c${j}`)))
    for (const [k, v] of chunk) out.set(k, v)
    await opts.onChunk?.(chunk)
  }
  return out
}
