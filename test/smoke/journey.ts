/// <reference lib="dom" />
/**
 * The smoke journey, one logic for every shell: the desktop app under Electron (`npm run smoke:electron`, on
 * machines that have the Electron runtime) and the browser shell (`npm run smoke:web`, and test/e2e/smoke-web.test.ts
 * here). Open the window, check that window.api is exactly AppApi, start the built-in sandbox, import the sample
 * sheet with the app's own "Try the sample" button, send it, and check that the sandbox holds the chats the job created.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import Papa from 'papaparse'
import type { Page } from 'playwright-core'
import { CHANNEL_NAMES } from '../../electron/shared/channels'

export const SAMPLE = resolve(import.meta.dirname, '../../resources/sample-chats.csv')
/** The sample's data rows, counted from the file itself (the header row is not one). */
const SAMPLE_ROWS = Papa.parse<string[]>(readFileSync(SAMPLE, 'utf8').replace(/^\uFEFF/, ''), { skipEmptyLines: 'greedy' }).data.length - 1

/** What differs between shells: the name and the page. */
export interface SmokeShell {
  name: string
  page: Page
}

export interface SmokeReport {
  shell: string
  apiNamespaces: number
  created: number
  chats: number
}

/** window.api's shape as AppApi defines it: every namespace with its functions, from the channel table. */
export function expectedApiShape(): Record<string, string[]> {
  const shape: Record<string, string[]> = {}
  for (const path of Object.keys(CHANNEL_NAMES)) {
    const [ns, fn] = path.split('.') as [string, string]
    ;(shape[ns] ??= []).push(fn)
  }
  shape.events = ['onJobEvent']
  shape.files = ['pathForFile']
  for (const ns of Object.keys(shape)) shape[ns]!.sort()
  return shape
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`smoke: ${what}`)
}

const step = (shell: SmokeShell, text: string): void => {
  process.stdout.write(`[smoke:${shell.name}] ${text}\n`)
}

export async function runSmokeJourney(shell: SmokeShell, timeoutMs = 120_000): Promise<SmokeReport> {
  const { page } = shell
  page.setDefaultTimeout(timeoutMs)
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(String(e)))

  step(shell, 'window opened; checking window.api')
  await page.getByTestId('connections-view').waitFor()
  const shape = await page.evaluate(() => {
    const api = (window as unknown as { api?: Record<string, Record<string, unknown>> }).api
    if (!api) return null
    const out: Record<string, string[]> = {}
    for (const ns of Object.keys(api)) {
      const o = api[ns]!
      out[ns] = Object.keys(o).filter((k) => typeof o[k] === 'function').sort()
      if (Object.keys(o).length !== out[ns].length) out[ns].push('<not a function>')
    }
    return { shape: out, frozen: Object.isFrozen(api), hasInvoke: 'invoke' in api || 'ipcRenderer' in window || 'require' in window }
  })
  check(shape !== null, 'window.api is missing')
  const expected = expectedApiShape()
  check(JSON.stringify(Object.fromEntries(Object.entries(shape!.shape).sort())) === JSON.stringify(Object.fromEntries(Object.entries(expected).sort())), `window.api is not exactly AppApi: ${JSON.stringify(shape!.shape)}`)
  check(shape!.frozen, 'window.api is not frozen')
  check(!shape!.hasInvoke, 'a generic invoke, ipcRenderer or require is exposed to the page')

  step(shell, 'starting the built-in sandbox portal')
  await page.getByTestId('nav-connections').click()
  const card = page.getByTestId('sandbox-card')
  if ((await card.getAttribute('data-running')) !== 'yes') await page.getByTestId('sandbox-toggle').click()
  await page.locator('[data-testid="sandbox-card"][data-running="yes"]').waitFor()

  step(shell, 'importing the sample sheet ("Try the sample": its avatars resolve in every shell)')
  await page.getByTestId('nav-import').click()
  await page.getByTestId('import-view').waitFor()
  await page.getByTestId('try-sample').click()
  await page.getByTestId('mapping-step').waitFor()
  await page.getByTestId('mapping-continue').click()
  await page.getByTestId('preview-table').waitFor()
  const rows = Number(await page.getByTestId('preview-table').getAttribute('data-rows'))
  check(rows === SAMPLE_ROWS, `the preview shows ${rows} rows, not the sample's ${SAMPLE_ROWS}`)

  step(shell, 'sending (the confirmation names the count and the portal)')
  await page.getByTestId('send-now').click()
  await page.getByTestId('send-confirm').waitFor()
  const asked = Number(await page.getByTestId('send-confirm').getAttribute('data-count'))
  const question = await page.locator('.n-dialog .n-dialog__title').innerText()
  check(asked > 0 && question.includes(String(asked)), `the confirmation does not name the count: "${question}"`)
  await page.getByTestId('send-confirm-ok').click()
  await page.getByTestId('outbox-view').waitFor()
  await page.locator('[data-testid="job-detail"][data-status="finished"]').waitFor()
  const created = Number(await page.getByTestId('job-count-created').getAttribute('data-count'))
  check(created > 0, 'the job created no chat')

  step(shell, 'checking the chats on the sandbox')
  const chats = await page.evaluate(async () => {
    const r = await (window as unknown as { api: { sandbox: { chats(): Promise<{ ok: boolean; value?: unknown[] }> } } }).api.sandbox.chats()
    return r.ok && Array.isArray(r.value) ? r.value.length : -1
  })
  check(chats === created, `the sandbox holds ${chats} chats; the job says it created ${created}`)
  check(pageErrors.length === 0, `the page reported errors: ${pageErrors.join('; ')}`)
  step(shell, `passed: window.api has ${Object.keys(expected).length} namespaces, ${created} chats created and found on the sandbox`)
  return { shell: shell.name, apiNamespaces: Object.keys(expected).length, created, chats }
}
