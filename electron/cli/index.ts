/** The bundled CLI entry (out/main/cli.js, started by bin/b24chat.js). */
import { processIO, runCli } from './main'

void runCli(process.argv.slice(2), processIO()).then((code) => {
  process.exitCode = code
  // Commands close their servers and files before returning; exit so no stray handle keeps the CLI alive.
  setImmediate(() => process.exit(code))
})
