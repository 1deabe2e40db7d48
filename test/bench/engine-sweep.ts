/**
 * `npm run sweep:engine` (outside CI; minutes): the engine's promises on random portals. Each case, drawn from its
 * seed, runs the real engine (`b24chat`'s runJob, in its own process, as the bench does) against the sandbox scaled by
 * one time factor (1/40: the bench's proportions, faster), with a random billing mode, 1–16 workers, concurrency
 * 1–16, margin 0.9 or 0.98, 200–2,000 rows (2,000 need two budget windows), and in half the cases faults: 2 % each of
 * spurious 503 QUERY_LIMIT_EXCEEDED, HTTP 500, HTML 502/504, a connection reset after the chat was made, and an
 * answer that never comes. Rules, per case: the run ends finished, every row a chat, no chat twice, no 429, no 503
 * from the bucket, the budget never over its limit. Prints a line per case and a summary; exits 1 if any case broke
 * a rule.
 *   npm run sweep:engine -- [--cases N (24)] [--seed S (1)]
 * The bench's single cases measure speed; this measures only the rules, so a loaded machine does not matter.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { seededRng } from '../../electron/core/clock'
import { startSandbox } from '../../electron/sandbox'
import type { Faults } from '../../electron/sandbox/types'
import { pickOne as pick } from '../helpers/random'
import { parseSweepArgs } from './args'
import { benchSandbox } from './config'
import type { BenchCase, Billing, Entry } from './config'
import { runOne } from './run'

const SWEEP_SCALE = 1 / 40

export interface EngineCase {
  seed: number
  billing: Billing
  workers: number
  concurrency: number
  margin: number
  rows: number
  faults: Faults | undefined
}

export function drawEngineCase(seed: number): EngineCase {
  const rng = seededRng(seed)
  return {
    seed,
    billing: pick(rng, ['docs', 'batch-half'] as const),
    workers: pick(rng, [1, 2, 4, 8, 16]),
    concurrency: pick(rng, [1, 2, 4, 8, 16]),
    margin: pick(rng, [0.9, 0.98]),
    rows: pick(rng, [200, 800, 2000]),
    faults: rng() < 0.5 ? { qle: 0.02, http500: 0.02, html: 0.02, 'reset-after-commit': 0.02, timeout: 0.02 } : undefined,
  }
}

async function main(): Promise<number> {
  const { cases, seed: first } = parseSweepArgs(process.argv.slice(2), { cases: 24, showSoft: false })
  const dir = await mkdtemp(join(tmpdir(), 'b24-engine-sweep-'))
  const started = Date.now()
  let broken = 0
  try {
    for (let seed = first; seed < first + cases; seed++) {
      const e = drawEngineCase(seed)
      const entry: Entry = { kind: 'engine', concurrency: e.concurrency }
      const c: BenchCase = { id: `sweep-${seed}`, rows: e.rows, workers: e.workers, scaled: true, entries: [entry] }
      const sb = await startSandbox({ ...benchSandbox({ scale: SWEEP_SCALE, workers: e.workers, billing: e.billing }), faults: e.faults, seed })
      await writeFile(join(dir, 'ca.pem'), sb.caPem)
      try {
        const r = await runOne(c, e.billing, entry, sb, dir, e.rows, e.margin, SWEEP_SCALE)
        const st = sb.stats()
        const problems: string[] = []
        // runOne notes an engine run that ended well by its request count, and anything else by how it ended.
        if (!/^\d+ requests$/.test(r.note)) problems.push(`the run ended: ${r.note}`)
        if (r.chats !== e.rows) problems.push(`${r.chats} chats of ${e.rows}`)
        if (r.duplicates) problems.push(`${r.duplicates} duplicates`)
        if (r.status429) problems.push(`${r.status429} × 429`)
        if (r.status503) problems.push(`${r.status503} × 503 from the bucket`)
        if (r.peakSec > r.limitSec) problems.push(`budget ${r.peakSec.toFixed(2)} s over ${r.limitSec} s`)
        if (problems.length) broken++
        const faults = e.faults ? ` faults dealt ${JSON.stringify(st.faults)}` : ''
        process.stdout.write(`${problems.length ? 'BROKEN' : 'ok'} seed=${seed} ${e.billing} W=${e.workers} C=${e.concurrency} margin=${e.margin} rows=${e.rows}: ${r.wall.toFixed(1)} s, peak ${r.peakSec.toFixed(2)}/${r.limitSec} s, ${r.note}${faults}${problems.length ? ` — ${problems.join('; ')}` : ''}\n`)
      } finally {
        await sb.close()
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  process.stdout.write(`sweep:engine cases=${cases} seeds=${first}..${first + cases - 1} broken=${broken} seconds=${Math.round((Date.now() - started) / 1000)}\n`)
  return broken ? 1 : 0
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`)
    process.exit(2)
  },
)
