/**
 * The two shells the smoke journey runs in. Both need the built app (`npm run build`).
 * - electron: the real desktop app through Playwright's `_electron`; the native open dialog is answered in the
 *   main process. Needs the Electron runtime (not downloadable on the development machines of this project).
 * - web: the browser shell (`npm start` without Electron) in Chromium; the page's own file picker is answered.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { _electron, chromium } from 'playwright-core'
import { Backend } from '../../electron/core/app/backend'
import { KeytarSecretStore } from '../../electron/keychain/keytar-store'
import { startSandbox } from '../../electron/sandbox'
import { startWebShell } from '../../electron/web/server'
import type { SmokeShell } from './journey'

const ROOT = resolve(import.meta.dirname, '../..')

export interface OpenShell extends SmokeShell {
  close(): Promise<void>
}

/** The desktop app under Electron, on a fresh data folder. */
export async function openElectron(): Promise<OpenShell> {
  const dataDir = await mkdtemp(join(tmpdir(), 'b24-smoke-electron-'))
  const executablePath = createRequire(import.meta.url)('electron') as unknown as string
  const app = await _electron.launch({
    executablePath,
    args: [ROOT, ...(process.env.B24CHAT_SMOKE_NO_SANDBOX ? ['--no-sandbox'] : [])],
    cwd: ROOT,
    env: { ...process.env, B24CHAT_DATA_DIR: dataDir, NODE_ENV: 'production' } as Record<string, string>,
    timeout: 120_000,
  })
  const page = await app.firstWindow()
  return {
    name: 'electron',
    page,
    close: async () => {
      await app.close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/** The browser shell on 127.0.0.1 with the real backend, keychain and sandbox, in Chromium. */
export async function openWeb(opts: { executablePath?: string; keychainService?: string } = {}): Promise<OpenShell> {
  const dataDir = await mkdtemp(join(tmpdir(), 'b24-smoke-web-'))
  const backend = new Backend({
    dataDir,
    secrets: new KeytarSecretStore(opts.keychainService ?? `b24-chat-admin-smoke-${process.pid}`),
    host: { version: 'smoke', platform: process.platform, locale: 'en-US', pickSheetFile: async () => null, openExternal: async () => {} },
    startSandbox: ({ stateFile }) => startSandbox({ port: 0, stateFile, latencyMs: 5 }),
  })
  const shell = await startWebShell({ backend, rendererDir: join(ROOT, 'out', 'renderer') })
  const browser = await chromium.launch({ executablePath: opts.executablePath ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'] })
  const page = await browser.newPage({ viewport: { width: 1366, height: 860 } })
  await page.goto(shell.openUrl)
  return {
    name: 'web',
    page,
    close: async () => {
      await browser.close()
      await shell.close()
      await backend.shutdown()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
