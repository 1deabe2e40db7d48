/**
 * Temp folders of one test: made under the run's temp folder and removed when the test ends, pass or fail. The run's
 * temp folder is checked empty at the end (test/helpers/temp-guard.ts), so a folder a test forgets fails the run.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onTestFinished } from 'vitest'

/** A new empty folder `<tmp>/<prefix>XXXXXX`, removed with everything in it when the calling test finishes. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
