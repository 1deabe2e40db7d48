/**
 * `npm run sweep` (outside CI): the pacing sweep — seeded random portals and workloads on the simulated portal
 * (test/unit/portal/sweep.ts), three budget windows each, through the real client and pacer on a manual clock.
 * Prints a line per case that broke a rule and a summary; exits 1 if any case broke a hard rule (a 429 or 503,
 * usage over the portal's limit, the bucket overrun, a caller's error other than an unknown outcome under faults,
 * nothing done).
 *   npm run sweep -- [--cases N (200)] [--seed S (1)] [--show-soft]
 * A case is named by its seed: `--cases 1 --seed S` runs it again alone.
 */
import { parseArgs } from 'node:util'
import { describeCase, drawCase, judge, runCase } from '../unit/portal/sweep'

function wholeNumber(option: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (raw.trim() === '' || !Number.isInteger(n) || n < min) throw new Error(`--${option} must be a whole number of at least ${min}, not "${raw}".`)
  return n
}

let cases: number
let first: number
let showSoft: boolean
try {
  const { values } = parseArgs({ options: { cases: { type: 'string' }, seed: { type: 'string' }, 'show-soft': { type: 'boolean' } }, strict: true, allowPositionals: false })
  cases = wholeNumber('cases', values.cases, 200, 1)
  first = wholeNumber('seed', values.seed, 1, 0)
  showSoft = values['show-soft'] === true
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(2)
}

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
