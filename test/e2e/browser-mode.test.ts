import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Backend } from '../../electron/core/app/backend'
import { KeytarSecretStore } from '../../electron/keychain/keytar-store'
import { startSandbox } from '../../electron/sandbox'
import { launchPage } from '../../electron/web/app-window'
import { startWebShell } from '../../electron/web/server'
import type { WebShell } from '../../electron/web/server'
import { CHROMIUM_ARGS, SCREENS } from './harness'

/** The real OS keychain (scripts/with-keyring.sh provides one), under a service name of this run only. */
const KEYCHAIN = `b24-chat-admin-test-webmode-${process.pid}`

// `npm start` on a machine without the Electron runtime: the real renderer in Chromium over the browser shell.
describe('browser mode', () => {
  let dir: string
  let backend: Backend
  let shell: WebShell
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'b24-webmode-'))
    backend = new Backend({
      dataDir: dir,
      secrets: new KeytarSecretStore(KEYCHAIN),
      host: { version: 't', platform: 'linux', locale: 'en-US', pickSheetFile: async () => null, openExternal: async () => {} },
      startSandbox: ({ stateFile }) => startSandbox({ port: 0, stateFile, latencyMs: 5 }),
    })
    shell = await startWebShell({ backend, rendererDir: resolve('out/renderer') })
  })
  afterAll(async () => {
    await shell.close()
    await backend.shutdown()
    await rm(dir, { recursive: true, force: true })
  })

  it('opens the app, drops the token from the address bar, and talks to the backend', async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(String(e)))
      await page.goto(shell.openUrl)
      await page.getByTestId('connections-view').waitFor()
      expect(page.url()).toBe(shell.url)
      await page.getByTestId('sandbox-toggle').click()
      await expect.poll(() => page.getByTestId('sandbox-card').getAttribute('data-running'), { timeout: 30_000 }).toBe('yes')
      await page.screenshot({ path: join(SCREENS, 'browser-mode-connections-light.png') })
      expect(errors).toEqual([])
    } finally {
      await browser.close()
    }
  })

  it("the window's launch page (the browser's command line names only this file) opens the app with its token", async () => {
    const launch = join(dir, 'open.html')
    await writeFile(launch, launchPage(shell.openUrl), { mode: 0o600 })
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
      await page.goto(pathToFileURL(launch).href)
      await page.getByTestId('connections-view').waitFor()
      expect(page.url()).toBe(shell.url)
      // The token arrived with the page: a call, which the shell answers only with it (403 without), succeeds.
      const info = await page.evaluate(() => (window as unknown as { api: { app: { info(): Promise<{ ok: boolean; value?: { version: string } }> } } }).api.app.info())
      expect(info).toMatchObject({ ok: true, value: { version: 't' } })
    } finally {
      await browser.close()
    }
  })
})
