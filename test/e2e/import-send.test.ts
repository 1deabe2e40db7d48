/**
 * Journey (a): import the sample sheet → the preview shows every row with the wrong ones flagged → fix one inline
 * → "Send now" → the job runs to the end → the sandbox holds exactly the chats the job created.
 */
import { resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { closeBrowser, openApp } from './harness'
import { closePanel, collectLogRows, collectPreviewLines, dataCount, go, openSheet, sandboxChats, sendNow, shootBoth, startSandboxFromUi } from './journey'

const SAMPLE = resolve(import.meta.dirname, '../../resources/sample-chats.csv')
const service = `b24-chat-admin-e2e-import-${process.pid}`
const J = 'a-import'

/** Lines (1-based, header = 1) of resources/sample-chats.csv that the core refuses, and why. */
const BAD_LINES: Record<number, string> = {
  11: 'COLOR_INVALID', // Partners: "Fuchsia" (its Note says so)
  12: 'TYPE_INVALID', // Legal: "secret" (its Note says so)
}
const FIXED_LINE = 11
/** Titled rows that are valid and whose members all exist on the sandbox. */
const SENT_TITLES = [
  'Sales — North-West',
  'Продажи — Москва',
  'Support escalations',
  'Deal: Globex renewal',
  'Design review',
  'Office moving day',
  'Бухгалтерия: закрытие месяца',
  'Project Phoenix',
  'Partners', // fixed inline below
]
const ROWS = 12
const UNTITLED_ROWS = 1 // line 8: the portal names it itself
const UNKNOWN_USER_TITLE = 'HR onboarding' // line 13, nobody@sandbox.test: refused at send time
const UNKNOWN_USER_LINE = 13

describe('journey (a): import → flag → fix inline → send → the sandbox holds the sent chats', () => {
  afterAll(async () => {
    await closeBrowser()
  })

  it('sends exactly the valid rows, once each', async () => {
    const app = await openApp({ keychainService: service })
    try {
      const { page } = app
      await page.getByTestId('connections-view').waitFor()
      await startSandboxFromUi(page)
      await shootBoth(app, J, 'connections')
      expect(await sandboxChats(app)).toHaveLength(0)

      // ---- open the sheet: mapping step, then the preview ------------------------------------------------
      await openSheet(app, SAMPLE, { onMapping: () => shootBoth(app, J, 'mapping').then(() => undefined) })
      expect(await page.getByTestId('import-file-name').innerText()).toBe('sample-chats.csv')
      expect(await dataCount(page, 'import-row-count')).toBe(ROWS)
      expect(await page.getByTestId('import-row-count').innerText()).toBe(String(ROWS))
      expect(await page.getByTestId('preview-table').getAttribute('data-rows')).toBe(String(ROWS))
      expect(await page.getByTestId('status-filter-error').innerText()).toMatch(/Errors?\D*2$/)
      expect(await page.getByTestId('status-filter-ready').innerText()).toMatch(/\D10$/)
      await page.locator('[data-testid="preview-row"][data-line="2"]').waitFor()
      expect(await page.locator('[data-testid="preview-row"][data-line="2"]').innerText()).toContain('Sales — North-West')
      // The untitled row: the portal's title, worded from the colour (GREEN on line 8), marked generated.
      const generated8 = page.locator('[data-testid="preview-row"][data-line="8"] [data-generated="yes"]')
      expect(await generated8.innerText()).toMatch(/^generated\s*Green Chat #… — named by the portal$/)
      expect(await page.getByTestId('preview-table').innerText()).not.toContain('round-robin')
      // Rows with errors are not sent, and the screen says so.
      expect(await page.getByTestId('errors-skipped').innerText()).toBe('Rows with errors will not be sent: 2 — fix them here first, or they will be listed in the results as not sent.')
      await shootBoth(app, J, 'preview')
      // Scrolling through the table shows every line of the sheet (2..13), each with the status the core gave it.
      const lines = await collectPreviewLines(page)
      expect([...lines.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: ROWS }, (_, i) => i + 2))
      for (const [line, status] of lines) expect(status, `line ${line}`).toBe(line in BAD_LINES ? 'error' : 'ready')

      // ---- the error filter shows exactly the bad rows, each flagged ----------------------------------------
      await page.getByTestId('status-filter-error').click()
      await expect.poll(() => page.getByTestId('preview-table').getAttribute('data-rows')).toBe('2')
      const errorRows = page.locator('[data-testid="preview-row"]')
      await expect.poll(() => errorRows.count()).toBe(2)
      const shown = await errorRows.evaluateAll((els) => els.map((e) => [Number(e.getAttribute('data-line')), e.getAttribute('data-status')] as const))
      expect(shown.map(([line]) => line).sort((x, y) => x - y)).toEqual(Object.keys(BAD_LINES).map(Number))
      expect(shown.every(([, status]) => status === 'error')).toBe(true)
      await shootBoth(app, J, 'preview-errors')

      // An invalid colour says so, quoting the cell: it is not "auto".
      const badColour = page.locator(`[data-testid="preview-row"][data-line="${FIXED_LINE}"] [data-color="invalid"]`)
      expect(await badColour.innerText()).toBe('✕ invalid: Fuchsia')
      expect(await page.locator(`[data-testid="preview-row"][data-line="${FIXED_LINE}"]`).innerText()).not.toContain('auto (server picks)')

      // Each bad row's side panel names the reason.
      for (const [line, code] of Object.entries(BAD_LINES)) {
        await page.locator(`[data-testid="preview-row"][data-line="${line}"]`).click()
        const panel = page.locator(`[data-testid="row-panel"][data-line="${line}"]`)
        await panel.waitFor()
        expect(await panel.getAttribute('data-status')).toBe('error')
        expect(await panel.locator('[data-testid="panel-problem"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-code')))).toContain(code)
        await closePanel(page)
      }

      // ---- fix the colour inline: "Fuchsia" is no Bitrix24 colour; MINT is --------------------------------------
      await page.locator(`[data-testid="preview-row"][data-line="${FIXED_LINE}"]`).click()
      const panel = page.locator(`[data-testid="row-panel"][data-line="${FIXED_LINE}"]`)
      await panel.waitFor()
      expect(await panel.getByTestId('panel-color').innerText()).toContain('✕ invalid: Fuchsia')
      // Empty cells show a meaningful placeholder, never naive-ui's "Please Input".
      expect(await panel.getByTestId('cell-input-ENTITY_TYPE').getAttribute('placeholder')).toBe('(empty)')
      const colour = panel.getByTestId('cell-input-COLOR')
      expect(await colour.inputValue()).toBe('Fuchsia')
      await colour.fill('MINT')
      await panel.getByTestId('cell-apply-COLOR').click()
      await page.locator(`[data-testid="row-panel"][data-line="${FIXED_LINE}"][data-status="ready"]`).waitFor()
      await panel.getByTestId('panel-no-problems').waitFor()
      expect(await panel.getByTestId('panel-color').innerText()).toContain('Mint')
      await shootBoth(app, J, 'row-panel-fixed')
      await closePanel(page, 'button')

      await page.getByTestId('status-filter-all').click()
      await expect.poll(() => page.getByTestId('status-filter-error').innerText()).toMatch(/\D1$/)
      expect(await page.getByTestId('status-filter-ready').innerText()).toMatch(/\D11$/)
      // The fixed line left the error list.
      await page.getByTestId('status-filter-error').click()
      await expect.poll(() => page.locator('[data-testid="preview-row"]').count()).toBe(1)
      expect(await page.locator(`[data-testid="preview-row"][data-line="${FIXED_LINE}"]`).count()).toBe(0)
      await page.getByTestId('status-filter-all').click()
      await expect.poll(() => page.getByTestId('preview-table').getAttribute('data-rows')).toBe(String(ROWS))

      // ---- send now → the confirmation names the count and the portal → Outbox & jobs follows the job to its end
      const asked = await sendNow(page, 'create', () => shootBoth(app, J, 'send-confirm'))
      // 11 rows without errors now (the fixed one included); the sandbox is on 127.0.0.1.
      expect(asked).toMatchObject({ count: ROWS - 1, title: expect.stringMatching(/^Create 11 chats on 127\.0\.0\.1:\d+\?$/) })
      await page.getByTestId('outbox-view').waitFor()
      const detail = page.getByTestId('job-detail')
      await detail.waitFor()
      await page.locator('[data-testid="job-detail"][data-status="finished"]').waitFor({ timeout: 60_000 })
      const progress = page.getByTestId('job-progress')
      const total = Number(await progress.getAttribute('data-total'))
      // Every row of the sheet is accounted for: the still-wrong row enters the job as "not sent" (VALIDATION,
      // outside the progress), and the row with the unknown e-mail fails at the portal.
      expect(Number(await progress.getAttribute('data-rows'))).toBe(ROWS)
      expect(total).toBe(ROWS - 1)
      expect(Number(await progress.getAttribute('data-done'))).toBe(total)
      expect(await page.getByTestId('job-done').innerText()).toBe('11 / 11')
      const created = await dataCount(page, 'job-count-created')
      const failed = await dataCount(page, 'job-count-failed')
      const notSent = await dataCount(page, 'job-count-not-sent')
      expect(created).toBe(SENT_TITLES.length + UNTITLED_ROWS)
      expect(failed).toBe(1)
      expect(notSent).toBe(1)
      expect(created + failed + notSent).toBe(ROWS)
      expect(await page.getByTestId('job-count-skipped').count()).toBe(0)
      expect(await page.getByTestId('job-count-created').innerText()).toBe(`Created: ${created}`)
      expect(await page.getByTestId('job-count-not-sent').innerText()).toBe('Not sent (errors in the sheet): 1')
      // The portal refused one row: that one can be retried.
      expect(await page.getByTestId('job-retry').isEnabled()).toBe(true)
      // The refused row says why, in the live log.
      expect(await dataCount(page, 'job-log')).toBe(ROWS)
      const log = await collectLogRows(page)
      expect([...log.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: ROWS }, (_, i) => i + 2))
      expect(log.get(UNKNOWN_USER_LINE)?.state).toBe('failed')
      expect(log.get(UNKNOWN_USER_LINE)?.text).toMatch(/USER_NOT_FOUND/)
      expect(log.get(UNKNOWN_USER_LINE)?.text).toContain('nobody@sandbox.test')
      for (const line of Object.keys(BAD_LINES).map(Number).filter((l) => l !== FIXED_LINE)) {
        expect(log.get(line)?.state, `line ${line}`).toBe('failed')
        expect(log.get(line)?.text, `line ${line}`).toContain(BAD_LINES[line])
        expect(log.get(line)?.text, `line ${line}`).toContain('Not sent')
      }
      expect(log.get(FIXED_LINE)?.state).toBe('created')
      expect([...log.values()].filter((r) => r.state === 'created')).toHaveLength(created)
      expect(await page.locator('[data-testid="job-item"][data-status="finished"]').count()).toBe(1)
      await shootBoth(app, J, 'outbox-finished')

      // ---- the sandbox holds exactly the sent chats -----------------------------------------------------------
      const chats = await sandboxChats(app)
      expect(chats).toHaveLength(created)
      const titles = chats.map((c) => c.title)
      for (const title of SENT_TITLES) expect(titles.filter((x) => x === title), title).toHaveLength(1)
      const generated = titles.filter((x) => !SENT_TITLES.includes(x))
      expect(generated).toHaveLength(UNTITLED_ROWS)
      expect(titles).not.toContain(UNKNOWN_USER_TITLE)
      expect(titles).not.toContain('Legal')
      expect(chats.find((c) => c.title === 'Partners')?.color).toBe('MINT')
      expect(new Set(chats.map((c) => c.id)).size).toBe(chats.length)

      // ...and the Sandbox chats screen shows the same.
      await go(page, 'sandboxChats')
      await expect.poll(() => dataCount(page, 'sandbox-chats-count')).toBe(created)
      await page.locator('[data-testid="sandbox-chat-row"]').first().waitFor()
      expect(await page.getByTestId('sandbox-chats-view').innerText()).toContain('Partners')
      await shootBoth(app, J, 'sandbox-chats')
    } finally {
      await app.close()
    }
  })
})
