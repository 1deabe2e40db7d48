import { redact } from '../core/redact'
import { AppFailure } from '../shared/result'
import { COMMANDS } from './registry'
import type { CliIO } from './types'
import { EXIT } from './types'

/** How long a command that does not stop itself may take to return after SIGINT/SIGTERM. */
export const STOP_GRACE_MS = 1500

/** The exit status after a signal: 128 + its number. */
export const exitCodeFor = (signal: NodeJS.Signals): number => (signal === 'SIGTERM' ? EXIT.SIGTERM : EXIT.SIGINT)

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

/**
 * The process's streams and signals. The first SIGINT/SIGTERM resolves `interrupted` and aborts `signal`; a second
 * one resolves `interruptedAgain` and exits at once (a command that would not stop; `sync` may print a last line first).
 */
export function processIO(proc: Pick<NodeJS.Process, 'on' | 'exit' | 'stdout' | 'stderr' | 'stdin' | 'env'> = process): CliIO {
  const ac = new AbortController()
  let resolveInterrupted!: (s: NodeJS.Signals) => void
  let resolveAgain!: (s: NodeJS.Signals) => void
  const interrupted = new Promise<NodeJS.Signals>((resolve) => (resolveInterrupted = resolve))
  const interruptedAgain = new Promise<NodeJS.Signals>((resolve) => (resolveAgain = resolve))
  let seen = 0
  const onSignal = (sig: NodeJS.Signals): void => {
    seen++
    if (seen === 1) {
      resolveInterrupted(sig)
      ac.abort(new AppFailure('CANCELLED', `Interrupted (${sig}).`))
      return
    }
    resolveAgain(sig)
    proc.stderr.write(`\nStopped at once (second ${sig}).\n`)
    proc.exit(exitCodeFor(sig))
  }
  proc.on('SIGINT', () => onSignal('SIGINT'))
  proc.on('SIGTERM', () => onSignal('SIGTERM'))
  return { stdout: proc.stdout, stderr: proc.stderr, stdin: proc.stdin, env: proc.env, interrupted, interruptedAgain, signal: ac.signal }
}

/** Resolves once everything written to `streams` so far has been handed to the OS (a pipe's reader may be slow). */
export function drained(streams: NodeJS.WritableStream[]): Promise<void> {
  return Promise.all(
    streams.map((s) => new Promise<void>((resolve) => {
      // A write is done in order: the callback of an empty one runs after every earlier chunk was written.
      if (!s.write('', () => resolve())) s.once('error', () => resolve())
    })),
  ).then(() => undefined)
}

/** Exits with `code` once stdout and stderr are drained, so `validate --json | other` gets the whole document. */
export async function exitWhenDrained(code: number, proc: Pick<NodeJS.Process, 'exit' | 'stdout' | 'stderr' | 'exitCode'> = process): Promise<never> {
  proc.exitCode = code
  await drained([proc.stdout, proc.stderr])
  return proc.exit(code)
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
  const stopped = entry.stopsItself ? null : stopAfterSignal(io)
  try {
    const run = command.run(rest, io)
    return await (stopped ? Promise.race([run, stopped.exit]) : run)
  } catch (e) {
    if (e instanceof AppFailure && e.appError.code === 'CANCELLED' && io.signal?.aborted) {
      io.stderr.write('Interrupted.\n')
      return exitCodeFor(await io.interrupted)
    }
    io.stderr.write(`b24chat ${name}: ${redact(e instanceof Error ? e.message : String(e))}\n`)
    return EXIT.FAILURE
  } finally {
    stopped?.cancel()
  }
}

/** After a signal, the exit code once the command had STOP_GRACE_MS to return by itself (the generic stop). */
function stopAfterSignal(io: CliIO): { exit: Promise<number>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined
  let cancelled = false
  const exit = new Promise<number>((resolve) => {
    void io.interrupted.then((sig) => {
      if (cancelled) return
      timer = setTimeout(() => {
        io.stderr.write('Interrupted.\n')
        resolve(exitCodeFor(sig))
      }, STOP_GRACE_MS)
    })
  })
  return {
    exit,
    cancel: () => {
      cancelled = true
      clearTimeout(timer)
    },
  }
}

// Run directly from source: node --import tsx electron/cli/main.ts <command> …
if (process.argv[1] && /electron[\\/]cli[\\/]main\.ts$/.test(process.argv[1])) {
  void runCli(process.argv.slice(2), processIO()).then((code) => exitWhenDrained(code))
}
