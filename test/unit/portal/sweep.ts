/**
 * The pacing sweep: seeded random portals and workloads for the simulated portal, and the rules every run must
 * keep. A case draws the billing mode, how the portal keeps its budget (a sliding window or 1–10 buckets), the round
 * trip, the workers, the server time per call, the plan (standard or enterprise bucket), one time scale for all of
 * it (real, or the bench's 1/20), the client's concurrency and margin, caller loops on two credentials (single
 * calls and batches of 1–50), and in some cases faults (2 % of answers lost after running, 2 % 502 pages). Used by
 * a CI test (a few cases) and by `npm run sweep` (hundreds).
 */
import { seededRng } from '../../../electron/core/clock'
import { OutcomeUnknown } from '../../../electron/core/portal/client'
import { budgetAllowance } from '../../../electron/core/portal/pacer/limits'
import { pickOne as pick } from '../../helpers/random'
import type { SimOptions } from './sim-portal'
import { batchOf, simulate, single } from './sim-run'
import type { SimRun } from './sim-run'

export interface SweepCase {
  seed: number
  sim: Partial<SimOptions>
  concurrency: number
  margin: number
  /** Batch sizes of the caller loops per credential; 0 = one call per request. */
  callers: { a: number[]; b: number[] }
  minutes: number
}

/** One case, drawn from `seed` alone (so a failing case is named by its seed and runs again the same). */
export function drawCase(seed: number): SweepCase {
  const rng = seededRng(seed)
  const scale = pick(rng, [1, 1 / 20])
  const enterprise = rng() < 0.3
  const loops = (min: number, max: number): number[] =>
    Array.from({ length: min + Math.floor(rng() * (max - min + 1)) }, () => pick(rng, [0, 1, 10, 20, 50]))
  const windowSec = 600 * scale
  const c: SweepCase = {
    seed,
    sim: {
      billing: pick(rng, ['docs', 'batch-half'] as const),
      buckets: pick(rng, [0, 1, 3, 10]),
      rttMs: pick(rng, [0, 40, 300, 1500]) * scale,
      workers: pick(rng, [1, 2, 4, 8, 16, Number.POSITIVE_INFINITY]),
      callSec: pick(rng, [0.05, 0.3, 1]) * scale,
      minCountedSec: 0.1 * scale,
      burst: enterprise ? 250 : 50,
      rps: (enterprise ? 5 : 2) / scale,
      limitSec: 480 * scale,
      windowSec,
      seed,
    },
    concurrency: pick(rng, [1, 2, 4, 8, 16]),
    margin: pick(rng, [0.5, 0.9, 0.98]),
    callers: { a: loops(1, 5), b: loops(0, 3) },
    // Three budget windows: enough for the budget to bind, expire and bind again.
    minutes: (3 * windowSec) / 60,
  }
  // Drawn last, so the draws above stay what they were for every seed.
  if (rng() < 0.3) Object.assign(c.sim, { lostAnswers: 0.02, html502: 0.02 })
  return c
}

/** Runs the case: its caller loops through real clients and the portal's one pacer on the simulated portal. */
export function runCase(c: SweepCase): Promise<SimRun> {
  const caller = (n: number) => (n === 0 ? single : batchOf(n))
  return simulate(c.sim, { a: c.callers.a.map(caller), b: c.callers.b.map(caller) }, c.concurrency, c.minutes, c.margin)
}

export function describeCase(c: SweepCase): string {
  const s = c.sim
  const num = (x: number | undefined): number | undefined => (x === undefined ? x : Number(x.toPrecision(6)))
  const loops = (l: number[]): string => (l.length ? l.map((n) => (n === 0 ? 'call' : `b${n}`)).join('+') : '-')
  return `seed=${c.seed} ${s.billing} buckets=${s.buckets} rtt=${num(s.rttMs)}ms workers=${s.workers} call=${num(s.callSec)}s limit=${num(s.limitSec)}/${num(s.windowSec)}s bucket=${s.burst}/${num(s.rps)} C=${c.concurrency} margin=${c.margin} a=${loops(c.callers.a)} b=${loops(c.callers.b)}${s.lostAnswers || s.html502 ? ` faults=${s.lostAnswers ?? 0}/${s.html502 ?? 0}` : ''}`
}

export interface Verdict {
  /**
   * Broken promises: a 429 or 503 from the portal, usage over the portal's limit, the bucket overrun, a caller's
   * error (an unknown outcome aside, where the case deals faults), nothing done.
   */
  hard: string[]
  /** Requests whose outcome the caller was told is unknown (a lost answer, a 502 page): expected under faults. */
  unknown: number
  /** Usage over the share of the budget the client allows itself (a call that runs longer than expected may do it). */
  soft: string[]
  chats: number
  peakSec: number
}

const errorName = (e: unknown): string => {
  const o = e as { code?: unknown; name?: unknown; message?: unknown }
  return String(o?.code ?? o?.name ?? o?.message ?? e)
}

export function judge(run: SimRun, c: SweepCase): Verdict {
  const p = run.portal
  const hard: string[] = []
  const soft: string[] = []
  if (p.status429) hard.push(`${p.status429} × 429`)
  if (p.status503) hard.push(`${p.status503} × 503 (bucket)`)
  const peakSec = Math.max(0, ...p.peak.values(), p.maxWindowUse())
  if (peakSec > p.o.limitSec) hard.push(`budget use ${peakSec.toFixed(2)} s over the limit ${p.o.limitSec} s`)
  const excess = p.bucketExcess()
  if (excess > 0) hard.push(`bucket overrun by ${excess.toFixed(2)} requests`)
  const faults = p.o.lostAnswers + p.o.html502 > 0
  const unknown = faults ? run.errors.filter((e) => e instanceof OutcomeUnknown).length : 0
  const others = faults ? run.errors.filter((e) => !(e instanceof OutcomeUnknown)) : run.errors
  if (others.length) {
    const counts = new Map<string, number>()
    for (const e of others) counts.set(errorName(e), (counts.get(errorName(e)) ?? 0) + 1)
    hard.push(`caller errors: ${[...counts].map(([k, n]) => `${k} × ${n}`).join(', ')}`)
  }
  if (faults && p.lost + p.pages502 > 0 && unknown === 0) hard.push('faults were dealt, yet no caller was told an outcome is unknown')
  if (p.chats === 0) hard.push('no chat created')
  const allowance = budgetAllowance(p.o.limitSec, c.margin)
  if (peakSec > allowance && peakSec <= p.o.limitSec) soft.push(`budget use ${peakSec.toFixed(2)} s over the client's allowance ${allowance.toFixed(2)} s`)
  return { hard, unknown, soft, chats: p.chats, peakSec }
}
