/**
 * `npm run sweep` (outside CI): the pacing sweep — seeded random portals and workloads on the simulated portal
 * (test/unit/portal/sweep.ts), three budget windows each, through the real client and pacer on a manual clock.
 * Prints a line per case that broke a rule and a summary; exits 1 if any case broke a hard rule (a 429 or 503,
 * usage over the portal's limit, the bucket overrun, a caller's error other than an unknown outcome under faults,
 * nothing done).
 *   npm run sweep -- [--cases N (200)] [--seed S (1)] [--show-soft]
 * A case is named by its seed: `--cases 1 --seed S` runs it again alone.
 */
import { parseSweepArgs } from './args'
import { describeCase, drawCase, judge, runCase } from '../unit/portal/sweep'

const { cases, seed: first, showSoft } = (() => {
  try {
    return parseSweepArgs(process.argv.slice(2), { cases: 200, showSoft: true })
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`)
    process.exit(2)
  }
})()

const started = Date.now()
let hardCases = 0
let softCases = 0
let chats = 0
let unknown = 0
for (let seed = first; seed < first + cases; seed++) {
  const c = drawCase(seed)
  const v = judge(await runCase(c), c)
  chats += v.chats
  unknown += v.unknown
  if (v.hard.length) hardCases++
  if (v.soft.length) softCases++
  if (v.hard.length || (showSoft && v.soft.length)) process.stdout.write(`${v.hard.length ? 'BROKEN' : 'over allowance'} ${describeCase(c)}: ${[...v.hard, ...v.soft].join('; ')} (${v.chats} chats, peak ${v.peakSec.toFixed(2)} s)\n`)
}
process.stdout.write(`sweep: cases=${cases} seeds=${first}..${first + cases - 1} broken=${hardCases} over_allowance=${softCases} chats=${chats} unknown_outcomes=${unknown} seconds=${Math.round((Date.now() - started) / 1000)}\n`)
process.exit(hardCases ? 1 : 0)
