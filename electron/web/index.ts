/**
 * `npm start` without an Electron runtime: runs the backend in Node and opens the app in a browser on 127.0.0.1.
 * Built to out/main/web.js. Same data folder, same OS keychain, same sandbox as the desktop app.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Backend } from '../core/app/backend'
import { resolveDataDir } from '../core/paths'
import { createLogger } from '../core/redact'
import { KeytarSecretStore } from '../keychain/keytar-store'
import { startSandbox } from '../sandbox'
import { startWebShell } from './server'

const here = dirname(fileURLToPath(import.meta.url))
const log = createLogger('web')
const dataDir = resolveDataDir()

async function main(): Promise<void> {
  const backend = new Backend({
    dataDir,
    secrets: new KeytarSecretStore(),
    logger: log,
    startSandbox: ({ stateFile }) => startSandbox({ port: 0, stateFile }),
    host: {
      version: process.env.npm_package_version ?? '0.1.0',
      platform: process.platform,
      locale: Intl.DateTimeFormat().resolvedOptions().locale,
      pickSheetFile: async () => null,
      openExternal: async (url) => {
        process.stdout.write(`Open this chat in your browser: ${url}\n`)
      },
    },
  })
  const shell = await startWebShell({ backend, rendererDir: join(here, '..', 'renderer'), port: Number(process.env.B24CHAT_PORT ?? 0) })
  process.stdout.write(`B24 Chat Admin is running in browser mode (data folder: ${dataDir}).\nOpen: ${shell.openUrl}\nPress Ctrl+C to stop.\n`)
  const browser = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p))
  if (browser && (process.env.DISPLAY || process.env.WAYLAND_DISPLAY) && !process.env.B24CHAT_NO_BROWSER) {
    const profile = await mkdtemp(join(tmpdir(), 'b24chat-browser-'))
    spawn(browser, [`--app=${shell.openUrl}`, `--user-data-dir=${profile}`, '--no-first-run'], { stdio: 'ignore', detached: true }).unref()
  }
  const stop = async (): Promise<void> => {
    await shell.close()
    await backend.shutdown()
    process.exit(0)
  }
  process.once('SIGINT', () => void stop())
  process.once('SIGTERM', () => void stop())
}

void main().catch((e: unknown) => {
  log.error('browser mode failed to start', e)
  process.exit(1)
})
