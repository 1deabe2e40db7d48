/**
 * `b24chat bench`: runs the benchmark (test/bench/run.ts) — the engine against b24jssdk and newman on a
 * scaled-down sandbox. A development tool: it needs the repository's dev dependencies.
 */
import type { CliCommand } from '../types'
import { EXIT } from '../types'

const USAGE = `Usage: b24chat bench [--case 1000-w1,1000-w4,1000-w16,1000-w16-real,5000,real] [--billing docs,batch-half]
                     [--only engine,pool,fb24,sdk-single,sdk-batch,newman] [--concurrency 1,4,16] [--rows N] [--margin M]

Creates chats on a time-scaled sandbox (every time × 1/20; 1000-w16-real and real at the real portal's times) with
this engine at concurrency 1, 4 and 16, the pacer pool, fast_bitrix24's strategy, @bitrix24/b24jssdk and newman, in
each case under both batch-billing modes; prints a table (wall, T_min for each concurrency, 503/429, budget peak,
chats, duplicates) and the line "bench: engine_ratio=… limit_hits=… budget_overspend=… speedup_vs_best_peer=…".
A full run takes about 31 minutes; --case 1000-w4 about 6. Same as npm run bench.`

export const benchCommand: CliCommand = {
  name: 'bench',
  summary: 'Benchmark the sync engine against other clients on the sandbox',
  usage: USAGE,
  async run(argv, io) {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(`${USAGE}\n`)
      return EXIT.OK
    }
    const path = '../../../test/bench/run'
    let mod: { runBench: (argv: string[], print: (s: string) => void) => Promise<number> }
    try {
      mod = (await import(/* @vite-ignore */ path)) as typeof mod
    } catch {
      io.stderr.write('The benchmark ships with the source repository only (test/bench/run.ts).\n')
      return EXIT.FAILURE
    }
    try {
      return await mod.runBench(argv, (s) => io.stdout.write(`${s}\n`))
    } catch (e) {
      io.stderr.write(`${(e as Error).message}\n${USAGE}\n`)
      return EXIT.USAGE
    }
  },
}
