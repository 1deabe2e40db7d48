/**
 * `npm start` without an Electron runtime: runs the backend in Node and opens the app in a browser on 127.0.0.1.
 * Built to out/main/web.js. Same data folder, same OS keychain, same sandbox as the desktop app.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Backend } from '../core/app/backend'
import { resolveDataDir } from '../core/paths'
import { createLogger } from '../core/redact'
import { KeytarSecretStore } from '../keychain/keytar-store'
import { startSandbox } from '../sandbox'
import { openAppWindow, pickBrowser } from './app-window'
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
  const browser = pickBrowser()
  const window = browser ? await openAppWindow(browser, shell.openUrl) : null
  const stop = async (): Promise<void> => {
    await shell.close()
    await backend.shutdown()
    await window?.close()
    process.exit(0)
  }
  process.once('SIGINT', () => void stop())
  process.once('SIGTERM', () => void stop())
}

void main().catch((e: unknown) => {
  log.error('browser mode failed to start', e)
  process.exit(1)
})
