/**
 * The benchmark's sandbox: the real portal's rules with time scaled down so each contender takes about two
 * minutes at most. What is scaled and why (see README "Benchmark"):
 *  - im.chat.add median server time 60 ms (real ≈ 300 ms);
 *  - leaky bucket 50 / 10 per s (real 50 / 2): a one-by-one client would otherwise need 8 minutes;
 *  - operating budget 16 s per 30 s window (real 480 s / 600 s), LL-new: batch billed at 0.5, a breach bans the
 *    method for 60 s (real 300 s);
 *  - the 0.1 s "not counted" threshold scaled like the latency (0.02 s), so single calls are billed as on a real
 *    portal; the sandbox's ten budget buckets scale with the window (3 s here, 60 s on a real portal).
 */
export const BENCH_ROWS = 1000
export const BENCH_SANDBOX = {
  latencyMs: 60,
  burst: 50,
  rps: 10,
  operatingLimitSec: 16,
  operatingWindowSec: 30,
  banMode: true,
  banSec: 60,
  batchBilling: 'batch-half' as const,
  operatingMinCountedSec: 0.02,
  users: 50,
  seed: 42,
}
/** Members per chat (USERS 2, 3 plus the creator) — the sandbox adds 3 ms × scale per member. */
export const BENCH_MEMBERS = 3
export const benchParams = (i: number, entityType: string): Record<string, unknown> => ({
  TITLE: `Bench chat ${i}`,
  USERS: [2, 3],
  ENTITY_TYPE: entityType,
  ENTITY_ID: String(i),
})

/**
 * T_min: the least wall time the sandbox's limits and simulated server time allow for N chats, over the two ways
 * a client can send them (docs advice: one request at a time per portal):
 *  - batched: the server time S = N × mean(im.chat.add) must run serially (T ≥ S); the batch is billed 0.5 × its
 *    time, so at most 2L of server time fits in any window W: T ≥ (k − 1)·W + (S − (k − 1)·2L) with
 *    k = ceil(S / 2L) when S > 2L;
 *  - one by one: N requests through the bucket (X at once, then Y per s), S of server time, and the budget at
 *    full weight (at most L of server time in any window): max(S, (N − X) / Y, budget bound with L).
 * The mean of the sandbox's lognormal (σ = 0.35) is median · e^(σ²/2) plus 3 ms · members · (median / 300).
 */
export function tMin(n = BENCH_ROWS, c = BENCH_SANDBOX, members = BENCH_MEMBERS): { tMin: number; batched: number; single: number; serverSec: number } {
  const mean = (c.latencyMs * Math.exp(0.35 ** 2 / 2) + 3 * members * (c.latencyMs / 300)) / 1000
  const S = n * mean
  const budgetBound = (perWindow: number): number => {
    if (S <= perWindow) return S
    const k = Math.ceil(S / perWindow)
    return (k - 1) * c.operatingWindowSec + (S - (k - 1) * perWindow)
  }
  // One request at a time: the server time itself runs serially, so no client can finish before S.
  const batched = Math.max(S, budgetBound(2 * c.operatingLimitSec))
  const single = Math.max(S, (n - c.burst) / c.rps, budgetBound(c.operatingLimitSec))
  return { tMin: Math.min(batched, single), batched, single, serverSec: S }
}
