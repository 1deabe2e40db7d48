/** The CLI side of issue 11: `b24chat sync --concurrency N` and the progress line's concurrency text. */
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { describePacing, progressLine, runSync } from '../../../electron/cli/commands/sync'
import type { CliIO } from '../../../electron/cli/types'
import { emptyCounts } from '../../../electron/shared/jobs'

function io(): { io: CliIO; err: () => string } {
  const stderr = new PassThrough()
  let e = ''
  stderr.on('data', (c: Buffer) => (e += c.toString()))
  return { io: { stdout: new PassThrough(), stderr, stdin: new PassThrough(), env: {}, interrupted: new Promise(() => {}) }, err: () => e }
}

describe('b24chat sync --concurrency', () => {
  it.each(['0', '17', '2.5', 'many'])('refuses %s with the usage exit code', async (n) => {
    const f = io()
    expect(await runSync(['chats.csv', '--sandbox', '--concurrency', n], f.io)).toBe(2)
    expect(f.err()).toMatch(/--concurrency must be a whole number from 1 to 16/)
  })

  it('the progress line says what is in flight and how much budget is used', () => {
    const flow = { inFlight: 3, limit: 4, ceiling: 4, budgetUsedPct: 61, budgetMethod: 'batch' }
    expect(describePacing({ kind: 'sending', flow })).toBe('3 requests in flight (up to 4), budget 61 % used')
    expect(describePacing({ kind: 'idle' })).toBe('')
    const line = progressLine({ counts: { ...emptyCounts(), created: 10, planned: 90 }, total: 100, chatsPerSec: 2, etaSec: 45, pacing: { kind: 'sending', flow: { ...flow, inFlight: 1, budgetUsedPct: null } } }, 10)
    expect(line).toContain('ETA 45s · 1 request in flight (up to 4)')
  })
})
