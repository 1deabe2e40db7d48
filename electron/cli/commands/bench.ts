/**
 * `b24chat bench`: runs the benchmark (test/bench/run.ts) — the engine against b24jssdk and newman on a
 * scaled-down sandbox. A development tool: it needs the repository's dev dependencies.
 */
import type { CliCommand } from '../types'
import { EXIT } from '../types'

const USAGE = `Usage: b24chat bench [--rows N] [--only engine,sdk-single,sdk-batch,newman] [--margin M]

Creates N chats (default 1000) on a scaled-down sandbox portal with this engine, @bitrix24/b24jssdk (one by one
and batch-by-chunk) and newman, prints a table (wall time, T_min, 503/429 counts, chats, duplicates) and the line
"bench: engine_ratio=… limit_hits=… speedup_vs_best_peer=…". Takes several minutes. Same as npm run bench.`

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
