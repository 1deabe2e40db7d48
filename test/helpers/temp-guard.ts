/**
 * globalSetup of every test run: the run gets a temp folder of its own (TMPDIR, TEMP and TMP, which `os.tmpdir()`,
 * the test workers and every child process read), and when the run ends that folder must be empty. A test that
 * leaves a folder or file behind fails the run with its name, instead of filling the machine's /tmp run after run
 * (before this guard a full `npm test` left ~23 folders there: CLI data folders, sandbox CA files, mapping
 * memories). Tests make their folders with `tempDir()` (test/helpers/temp.ts), which removes them when the test
 * ends, pass or fail.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** What tools, not tests, keep in the temp folder: tsx's compile cache of child processes run with `--import tsx`. */
export const TOOL_CACHES = /^tsx-\d+$/

/** Entries of `dir` a test left behind (tool caches aside), sorted. */
export function leftBehind(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !TOOL_CACHES.test(name))
    .sort()
}

/** What `os.tmpdir()` reads: TMPDIR on Linux and macOS, TEMP then TMP on Windows. */
const TEMP_VARS = ['TMPDIR', 'TEMP', 'TMP'] as const

export default function setup(): () => void {
  const outer = TEMP_VARS.map((name) => [name, process.env[name]] as const)
  const dir = mkdtempSync(join(tmpdir(), 'b24-test-run-'))
  for (const name of TEMP_VARS) process.env[name] = dir
  return () => {
    for (const [name, value] of outer) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
    const left = leftBehind(dir)
    rmSync(dir, { recursive: true, force: true })
    if (left.length) {
      // vitest only logs an error thrown here ("error during close") and still exits 0: set the exit code too.
      process.exitCode = 1
      throw new Error(`the tests left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in the temp folder: ${left.slice(0, 20).join(', ')}${left.length > 20 ? ', …' : ''} — make temp folders with tempDir() (test/helpers/temp.ts), which removes them when the test ends`)
    }
  }
}
