/** The bundled CLI entry (out/main/cli.js, started by bin/b24chat.js). */
import { exitWhenDrained, processIO, runCli } from './main'

// Commands close their servers and files before returning; exit (once stdout is drained: a pipe's reader may be
// slow) so no stray handle keeps the CLI alive.
void runCli(process.argv.slice(2), processIO()).then((code) => exitWhenDrained(code))
