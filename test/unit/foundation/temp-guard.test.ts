import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import setup, { leftBehind } from '../../helpers/temp-guard'
import { tempDir } from '../../helpers/temp'

/** Runs a guard's teardown as vitest would, and puts this worker's exit code back whatever it did. */
function endRun(teardown: () => void): { error: string | null; exitCode: typeof process.exitCode } {
  const before = process.exitCode
  process.exitCode = undefined
  let error: string | null = null
  try {
    teardown()
  } catch (e) {
    error = String(e)
  }
  const exitCode = process.exitCode
  process.exitCode = before
  return { error, exitCode }
}

describe('the temp-folder guard of a test run', () => {
  it('names what a run left behind, tool caches aside', () => {
    const dir = tempDir('b24-guard-')
    expect(leftBehind(dir)).toEqual([])
    mkdirSync(join(dir, 'tsx-0'))
    expect(leftBehind(dir)).toEqual([])
    mkdirSync(join(dir, 'b24-cli-data-abc123'))
    writeFileSync(join(dir, 'a.pem'), 'x')
    expect(leftBehind(dir)).toEqual(['a.pem', 'b24-cli-data-abc123'])
  })

  it('gives a run its own temp folder, fails its end when a test left something there, and removes it anyway', () => {
    const outer = { TMPDIR: process.env.TMPDIR, TEMP: process.env.TEMP, TMP: process.env.TMP }
    const teardown = setup()
    const runDir = tmpdir()
    try {
      expect(runDir).not.toBe(outer.TMPDIR)
      expect(runDir).toMatch(/b24-test-run-/)
      // Windows reads TEMP and TMP, not TMPDIR.
      expect({ TMPDIR: process.env.TMPDIR, TEMP: process.env.TEMP, TMP: process.env.TMP }).toEqual({ TMPDIR: runDir, TEMP: runDir, TMP: runDir })
      mkdirSync(join(runDir, 'forgotten-folder'))
    } finally {
      const end = endRun(teardown)
      expect(end.error).toMatch(/left 1 entry in the temp folder: forgotten-folder/)
      // vitest would exit 0 on the error alone: the teardown sets the exit code.
      expect(end.exitCode).toBe(1)
    }
    expect({ TMPDIR: process.env.TMPDIR, TEMP: process.env.TEMP, TMP: process.env.TMP }).toEqual(outer)
    expect(existsSync(runDir)).toBe(false)
  })

  it('a run that left only tool caches ends without an error', () => {
    const outer = process.env.TMPDIR
    const teardown = setup()
    const runDir = tmpdir()
    mkdirSync(join(runDir, 'tsx-1000'))
    expect(endRun(teardown)).toEqual({ error: null, exitCode: undefined })
    expect(process.env.TMPDIR).toBe(outer)
    expect(existsSync(runDir)).toBe(false)
  })
})
