/**
 * Steps that were quadratic on hostile sheets (issue 13, "Seen" 1), run at the size that hurt, each in a child
 * process that is stopped if it has not finished after a minute. The linear code takes a second or two; the
 * quadratic code took hours, so these fail by not finishing, never by a close timing.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(__dirname, '../../..')

function child(kind: string): Promise<{ finished: boolean; out: unknown }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/helpers/complexity-child.ts'), kind], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    p.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const stop = setTimeout(() => p.kill('SIGKILL'), 60_000)
    p.on('exit', (code) => {
      clearTimeout(stop)
      resolve({ finished: code === 0, out: code === 0 ? JSON.parse(out) : null })
    })
  })
}

describe('no quadratic step on hostile sheets', () => {
  it('100,000 equal rows: each names ten of the others and counts the rest', async () => {
    const r = await child('duplicates')
    expect(r.finished).toBe(true)
    expect(r.out).toEqual({ rows: 100_000, message: 'Same title and members as line 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 (+99989): this would create a second, identical chat.' })
  }, 90_000)

  it('200,000 columns of one name (limits raised to let them in): each renamed once', async () => {
    const r = await child('columns')
    expect(r.finished).toBe(true)
    expect(r.out).toEqual({ rows: 1, columns: 200_001, last: 'x (200000)' })
  }, 90_000)
})
