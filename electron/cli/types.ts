/** What every `b24chat` command gets: its own argv (after the command name) and the process's streams. */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }
  stderr: NodeJS.WritableStream
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  env: NodeJS.ProcessEnv
  /** Resolved when SIGINT/SIGTERM arrives (commands that stay up, like `sandbox`, await it). */
  interrupted: Promise<NodeJS.Signals>
  /**
   * Aborted (reason: AppFailure CANCELLED) when the first SIGINT/SIGTERM arrives: pass it to everything that waits
   * (imports, portal calls). A second signal exits at once.
   */
  signal?: AbortSignal
  /** Resolved when a second SIGINT/SIGTERM arrives (the process then exits at once). */
  interruptedAgain?: Promise<NodeJS.Signals>
}

export interface CliCommand {
  name: string
  summary: string
  usage: string
  /** Returns the process exit code. Never throws for bad input: prints a clear message and returns non-zero. */
  run(argv: string[], io: CliIO): Promise<number>
}

/** Exit codes shared by every command (128 + the signal's number when a signal stopped it; INTERRUPTED = SIGINT's). */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, INCOMPLETE: 3, SIGINT: 130, SIGTERM: 143, INTERRUPTED: 130 } as const
