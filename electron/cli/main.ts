import { redact } from '../core/redact'
import { COMMANDS } from './registry'
import type { CliIO } from './types'
import { EXIT } from './types'

export function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return [
    'b24chat — create Bitrix24 chats from sheets, exactly once, within the portal limits',
    '',
    'Usage: b24chat <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "b24chat <command> --help" for the options of a command.',
    'Data folder: --data DIR (default: the one the desktop app uses — B24CHAT_DATA_DIR, the folder chosen in',
    "the app's Settings, or the per-user config folder).",
  ].join('\n')
}

export function processIO(): CliIO {
  let first: (s: NodeJS.Signals) => void = () => {}
  let second: (s: NodeJS.Signals) => void = () => {}
  const interrupted = new Promise<NodeJS.Signals>((resolve) => (first = resolve))
  const interruptedAgain = new Promise<NodeJS.Signals>((resolve) => (second = resolve))
  let count = 0
  const onSignal = (sig: NodeJS.Signals): void => {
    count++
    if (count === 1) return first(sig)
    second(sig)
    // A second signal always ends the process, whatever the command is still doing (it may print first).
    setImmediate(() => process.exit(EXIT.INTERRUPTED))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, interrupted, interruptedAgain }
}

/** Runs one command line; returns the exit code. Never throws. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${helpText()}\n`)
    return name ? EXIT.OK : EXIT.USAGE
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${process.env.npm_package_version ?? '0.1.0'}\n`)
    return EXIT.OK
  }
  const entry = COMMANDS.find((c) => c.name === name)
  if (!entry) {
    io.stderr.write(`Unknown command "${name}".\n\n${helpText()}\n`)
    return EXIT.USAGE
  }
  let command
  try {
    command = await entry.load()
  } catch {
    io.stderr.write(`The "${name}" command is not built yet in this version.\n`)
    return EXIT.FAILURE
  }
  try {
    return await command.run(rest, io)
  } catch (e) {
    io.stderr.write(`b24chat ${name}: ${redact(e instanceof Error ? e.message : String(e))}\n`)
    return EXIT.FAILURE
  }
}

// Run directly from source: node --import tsx electron/cli/main.ts <command> …
if (process.argv[1] && /electron[\\/]cli[\\/]main\.ts$/.test(process.argv[1])) {
  void runCli(process.argv.slice(2), processIO()).then((code) => process.exit(code))
}
