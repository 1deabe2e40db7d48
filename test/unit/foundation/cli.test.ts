import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { helpText, runCli } from '../../../electron/cli/main'
import type { CliIO } from '../../../electron/cli/types'

function memIO(): CliIO & { out: () => string; err: () => string } {
  let out = ''
  let err = ''
  const sink = (f: (s: string) => void) => ({ write: (s: string) => (f(String(s)), true) }) as unknown as NodeJS.WritableStream
  return { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), stdin: Readable.from([]), env: {}, interrupted: new Promise(() => {}), out: () => out, err: () => err }
}

describe('b24chat dispatcher', () => {
  it('--help lists every command', async () => {
    const io = memIO()
    expect(await runCli(['--help'], io)).toBe(0)
    for (const name of ['sandbox', 'validate', 'sync', 'profile', 'bench']) expect(io.out()).toMatch(new RegExp(`^  ${name}\\s+\\S`, 'm'))
    expect(helpText()).toContain('Usage: b24chat <command>')
  })

  it('no command prints the help and exits non-zero; an unknown one says so', async () => {
    const none = memIO()
    expect(await runCli([], none)).toBe(2)
    expect(none.out()).toContain('Commands:')
    const unknown = memIO()
    expect(await runCli(['frobnicate'], unknown)).toBe(2)
    expect(unknown.err()).toContain('Unknown command "frobnicate"')
  })

  it('profile without a subcommand explains the usage and exits 2', async () => {
    const io = memIO()
    expect(await runCli(['profile'], io)).toBe(2)
    expect(io.err()).toMatch(/Missing subcommand[\s\S]*profile add NAME --webhook-stdin/)
  })

  it('profile add refuses to take the webhook as an argument', async () => {
    const io = memIO()
    expect(await runCli(['profile', 'add', 'Main', '--data', '/nonexistent-b24'], io)).toBe(2)
    expect(io.err()).toMatch(/--webhook-stdin/)
  })
})
