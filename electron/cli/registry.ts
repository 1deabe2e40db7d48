import type { CliCommand } from './types'

/** Every `b24chat` command: listed by --help without loading it, loaded on use. */
export interface CommandEntry {
  name: string
  summary: string
  load: () => Promise<CliCommand>
  /**
   * True for a command that stops itself on SIGINT/SIGTERM (`sync` pauses its job first). Every other command is
   * stopped by runCli: it gets `io.signal` aborted and STOP_GRACE_MS to return, then the CLI exits anyway.
   */
  stopsItself?: boolean
}

export const COMMANDS: CommandEntry[] = [
  { name: 'sandbox', summary: 'Run the local Bitrix24-compatible sandbox portal (HTTPS on 127.0.0.1)', load: async () => (await import('./commands/sandbox')).sandboxCommand },
  { name: 'validate', summary: 'Read a CSV sheet and report every problem per row and field (optionally against a portal)', load: async () => (await import('./commands/validate')).validateCommand },
  { name: 'sync', summary: 'Create the chats of a sheet on a portal: throttled, exactly once, resumable', load: async () => (await import('./commands/sync')).syncCommand, stopsItself: true },
  { name: 'profile', summary: 'Add, list or remove portal profiles (secrets go to the OS keychain)', load: async () => (await import('./commands/profile')).profileCommand },
  { name: 'bench', summary: 'Benchmark the sync engine against other clients on the sandbox', load: async () => (await import('./commands/bench')).benchCommand },
]
