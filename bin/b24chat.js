#!/usr/bin/env node
// b24chat: the headless command line of b24-chat-admin. The code is built by `npm run build` into out/main/cli.js.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'main', 'cli.js')
if (!existsSync(entry)) {
  process.stderr.write('b24chat is not built yet: run `npm run build` in the project folder first.\n')
  process.exit(1)
}
await import(pathToFileURL(entry).href)
