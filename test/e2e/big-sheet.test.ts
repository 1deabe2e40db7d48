/**
 * Journey (e): open a 100,000-row sheet (generated at test time) with Ctrl+O → the row count is right → the virtual
 * table scrolls to the last row and shows it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COLOR_CODES } from '../../electron/shared/chat'
import { closeBrowser, openApp } from './harness'
import { dataCount, shootBoth } from './journey'

const ROWS = 100_000
const service = `b24-chat-admin-e2e-big-${process.pid}`
const J = 'e-big-sheet'
/** Generous but bounded: parsing, validating and showing 100k rows in Chromium on a slow 2-core runner. */
const BIG_WAIT = 120_000

/** Sandbox users 2..199 that are active (multiples of 50 are dismissed there). */
const MEMBERS = Array.from({ length: 198 }, (_, i) => i + 2).filter((n) => n % 50 !== 0)
const titleOf = (i: number): string => `Bulk chat ${String(i).padStart(6, '0')}`

function bigCsv(): string {
  const lines = ['TITLE,USERS,COLOR']
  for (let i = 1; i <= ROWS; i++) {
    const a = MEMBERS[i % MEMBERS.length]!
    const b = MEMBERS[(i * 7 + 3) % MEMBERS.length]!
    lines.push(`${titleOf(i)},"${a}, ${b === a ? MEMBERS[(i + 1) % MEMBERS.length] : b}",${COLOR_CODES[i % COLOR_CODES.length]}`)
  }
  return `${lines.join('\r\n')}\r\n`
}

describe('journey (e): a 100,000-row sheet', () => {
  let dir = ''
  let file = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'b24-e2e-big-'))
    file = join(dir, 'hundred-thousand.csv')
    await writeFile(file, bigCsv())
  })
  afterAll(async () => {
    await closeBrowser()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('counts every row and scrolls to the last one', async () => {
    const app = await openApp({ keychainService: service })
    try {
      const { page } = app
      await page.getByTestId('connections-view').waitFor()
      // Ctrl+O from any screen goes to Import and opens the file dialog.
      app.nextPick.path = file
      await page.keyboard.press('Control+o')
      await page.getByTestId('import-view').waitFor()
      await page.getByTestId('mapping-step').waitFor({ timeout: BIG_WAIT })
      await page.getByTestId('mapping-auto-TITLE').waitFor()
      await page.getByTestId('mapping-continue').click()
      const table = page.getByTestId('preview-table')
      await table.waitFor({ timeout: BIG_WAIT })

      // The count the user reads, and what the table holds.
      expect(await dataCount(page, 'import-row-count')).toBe(ROWS)
      expect(await page.getByTestId('import-row-count').innerText()).toMatch(/^100[ ,.\u00a0\u202f]?000$/)
      expect(await table.getAttribute('data-rows')).toBe(String(ROWS))
      expect(await page.getByTestId('status-filter-ready').innerText()).toMatch(/100[ ,.\u00a0\u202f]?000$/)
      expect(await page.getByTestId('status-filter-error').innerText()).toMatch(/\D0$/)
      const first = page.locator('[data-testid="preview-row"][data-line="2"]')
      await first.waitFor()
      expect(await first.innerText()).toContain(titleOf(1))
      // Virtual: only a screenful of rows is in the DOM.
      expect(await page.locator('[data-testid="preview-row"]').count()).toBeLessThan(100)
      await shootBoth(app, J, 'preview-top')

      // ---- "Go to line" reaches a line in the middle, focused -------------------------------------------------
      const mid = 50_001
      await page.getByTestId('preview-jump').fill(String(mid))
      await page.getByTestId('preview-jump').press('Enter')
      const middle = page.locator(`[data-testid="preview-row"][data-line="${mid}"]`)
      await middle.waitFor({ timeout: BIG_WAIT })
      expect(await middle.innerText()).toContain(titleOf(mid - 1))
      await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-line'))).toBe(String(mid))

      // ---- scroll to the very end ----------------------------------------------------------------------------
      const scroller = page.getByTestId('preview-scroll')
      await scroller.evaluate((el) => {
        el.scrollTop = el.scrollHeight
        el.dispatchEvent(new Event('scroll'))
      })
      const last = page.locator(`[data-testid="preview-row"][data-line="${ROWS + 1}"]`)
      await last.waitFor({ timeout: BIG_WAIT })
      expect(await last.innerText()).toContain(titleOf(ROWS))
      expect(await last.getAttribute('data-status')).toBe('ready')
      // It is really on screen, inside the table's viewport.
      expect(await last.isVisible()).toBe(true)
      const [rowBox, tableBox] = await Promise.all([last.boundingBox(), scroller.boundingBox()])
      expect(rowBox && tableBox).toBeTruthy()
      expect(rowBox!.y + rowBox!.height).toBeLessThanOrEqual(tableBox!.y + tableBox!.height + 1)
      expect(rowBox!.y).toBeGreaterThanOrEqual(tableBox!.y - 1)
      await shootBoth(app, J, 'preview-last-row')

      // The last row opens like any other.
      await last.click()
      const panel = page.locator(`[data-testid="row-panel"][data-line="${ROWS + 1}"]`)
      await panel.waitFor()
      expect(await panel.getByTestId('panel-title').innerText()).toBe(titleOf(ROWS))
      await shootBoth(app, J, 'last-row-panel')
    } finally {
      await app.close()
    }
  })
})
