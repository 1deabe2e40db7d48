/**
 * Journey (e): import like the best import tools, at 1280×800, in English and Russian, light and dark.
 * One journey per point of issue 12: a spreadsheet workbook (sheet, displayed text, merges, hidden rows, formulas),
 * bad files stopping at step 1, the sample on a first run, mapping with evidence, reading notes, bulk fixes with
 * undo/redo and grid editing, spreadsheet row numbers with the file line, members once with names after the
 * portal check, the chat card in the drawer, independent language and theme, and no clipped labels.
 */
import { mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import type { Page } from 'playwright-core'
import * as XLSX from '@e965/xlsx'
import { afterAll, describe, expect, it } from 'vitest'
import { closeBrowser, openApp } from './harness'
import type { AppSession } from './harness'
import { clipped, clippedPlaceholders, closePanel, dataCount, go, sendNow, shootBoth, startSandboxFromUi } from './journey'

const FIXTURES = resolve(import.meta.dirname, '../fixtures/sheets')
const service = `b24-chat-admin-e2e-fix-${process.pid}`
const J = 'e-import-fix'
const VIEWPORT = { width: 1280, height: 800 }

/** True when every element matched stands on one line (the same top), e.g. the facts of the file bar. */
async function oneLine(page: Page, selector: string): Promise<boolean> {
  const tops = await page.locator(selector).evaluateAll((els) => els.map((el) => Math.round(el.getBoundingClientRect().bottom)))
  return new Set(tops).size <= 1
}

/** Column headers whose label wrapped onto a second line. */
async function wrappedHeaders(page: Page): Promise<string[]> {
  return page.locator('[data-testid="preview-table"] th .n-data-table-th__title').evaluateAll((els) =>
    els.filter((el) => el.getClientRects().length > 1 || (el as HTMLElement).offsetHeight > 24).map((el) => (el as HTMLElement).innerText),
  )
}

/** The labels of the import screen that must never be cut. */
const LABELS = '[data-testid="file-bar"] .n-base-selection-label, [data-testid="file-bar"] strong, .toolbar .n-button__content, .n-radio-button, [data-testid="preview-table"] .editable .value, [data-testid="preview-table"] th, [data-testid="preview-table"] .n-data-table-base-table-header'

/** Opens a file through the open dialog; waits for the mapping step or the rejection at step 1. */
async function pick(app: AppSession, file: string, expect: 'mapping' | 'rejected'): Promise<void> {
  app.nextPick.path = file
  await app.page.getByTestId('open-file').click()
  const name = basename(file)
  // The screen may still show the previous file: wait for this one.
  if (expect === 'mapping') {
    await app.page.locator('[data-testid="import-file-name"]', { hasText: new RegExp(`^${name.replace(/\./g, '\\.')}$`) }).waitFor()
    await app.page.getByTestId('mapping-step').waitFor()
  } else {
    await app.page.locator('[data-testid="file-rejected"]', { hasText: name }).waitFor()
  }
}

async function toPreview(page: Page): Promise<void> {
  await page.getByTestId('mapping-continue').click()
  await page.getByTestId('preview-table').waitFor()
}

const row = (page: Page, line: number) => page.locator(`[data-testid="preview-row"][data-line="${line}"]`)
/** Opens a row's drawer by clicking its line number (a click on a ▾ edits the cell instead). */
const openRow = (page: Page, line: number) => row(page, line).locator('td').nth(1).click()

describe('journey (e): import and fix, EN and RU, light and dark, 1280×800', () => {
  let tmp = ''
  afterAll(async () => {
    await closeBrowser()
    if (tmp) await rm(tmp, { recursive: true, force: true })
  })

  it('does everything issue 12 asks, and nothing is clipped', async () => {
    tmp = await mkdtemp(join(tmpdir(), 'b24-e2e-fix-'))
    const empty = join(tmp, 'empty.csv')
    const headerOnly = join(tmp, 'header-only.csv')
    const renamed = join(tmp, 'workbook-renamed.csv')
    await writeFile(empty, '')
    await writeFile(headerOnly, 'TITLE,USERS,COLOR\r\n')
    await copyFile(join(FIXTURES, 'chats.xlsx'), renamed)
    // A workbook whose first chat sheet has only its header; the rows are on the second sheet.
    const twoSheets = join(tmp, 'two-sheets.xlsx')
    const book = XLSX.utils.book_new()
    XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet([['TITLE', 'USERS']]), 'Template')
    XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet([['TITLE', 'USERS'], ['Team A', '2, 3'], ['Team B', '4']]), 'Chats')
    await writeFile(twoSheets, new Uint8Array(XLSX.write(book, { type: 'array', bookType: 'xlsx' }) as ArrayBuffer))

    const app = await openApp({ keychainService: service, viewport: VIEWPORT })
    try {
      const { page } = app
      await page.getByTestId('connections-view').waitFor()
      await startSandboxFromUi(page)
      await go(page, 'import')

      // ---- 2. bad files stop at step 1, with their message and a way forward ---------------------------------
      await pick(app, empty, 'rejected')
      expect(await page.getByTestId('file-rejected').innerText()).toContain('The file is empty. Download the template')
      expect(await page.getByTestId('mapping-step').count()).toBe(0)
      await pick(app, headerOnly, 'rejected')
      expect(await page.getByTestId('file-rejected').innerText()).toContain('has a header row but no data rows')
      for (const id of ['reject-open', 'reject-template', 'reject-sample']) expect(await page.getByTestId(id).isVisible()).toBe(true)
      await shootBoth(app, J, 'rejected')

      // A workbook whose chosen sheet has no rows offers its other sheets right there.
      await pick(app, twoSheets, 'rejected')
      await page.getByTestId('reject-sheet-select').click()
      await page.locator('.n-base-select-option', { hasText: /^Chats$/ }).click()
      await page.locator('[data-testid="import-file-name"]', { hasText: 'two-sheets.xlsx' }).waitFor()
      expect(await page.getByTestId('sheet-select').getAttribute('data-value')).toBe('Chats')
      expect(await dataCount(page, 'import-row-count')).toBe(2)

      // An .xlsx renamed .csv is read as the workbook it is, and says so.
      await pick(app, renamed, 'mapping')
      expect(await page.getByTestId('import-format').innerText()).toBe('Excel workbook (.xlsx)')
      expect(await page.getByTestId('file-problems').innerText()).toContain('this is a spreadsheet workbook (.xlsx); it was read as one')

      // ---- 1. a workbook: the chats sheet, displayed text, merges, hidden rows, formulas ------------------------
      await pick(app, join(FIXTURES, 'features.xlsx'), 'mapping')
      expect(await page.getByTestId('sheet-select').getAttribute('data-value')).toBe('Chats')
      expect(await page.getByTestId('encoding-select').count()).toBe(0)
      const fileProblems = await page.getByTestId('file-problems').innerText()
      for (const s of ['H2:H4', 'A5, E5', 'Rows 4 are hidden']) expect(fileProblems).toContain(s)
      // ---- 4. mapping with evidence: sample values, and the columns not used ------------------------------------
      expect(await page.getByTestId('mapping-samples-ENTITY_ID').innerText()).toContain('12345678901234567890')
      expect(await page.getByTestId('mapping-samples-ENTITY_ID').innerText()).toContain('1234567890123')
      const unused = await page.getByTestId('mapping-unmapped-column').evaluateAll((els) => els.map((e) => e.getAttribute('data-column')))
      expect(unused).toEqual(['Department', 'Start date', 'Code'])
      expect(await page.getByTestId('mapping-unmapped').innerText()).toContain('will be kept in the results export, not sent')
      expect(await page.getByTestId('mapping-unmapped').innerText()).toContain('05.03.2026')
      expect(await page.getByTestId('mapping-unmapped').innerText()).toContain('00123')
      await shootBoth(app, J, 'xlsx-mapping')
      await toPreview(page)
      expect(await page.getByTestId('preview-table').getAttribute('data-rows')).toBe('3')
      // 6. the spreadsheet's row numbers (the hidden row 4 is a gap, as in the program).
      expect(await page.locator('[data-testid="preview-row"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-line'))))).toEqual([2, 3, 5])
      // 5/4. every reinterpretation is shown: PUBLIC → open channel, Красный → Red.
      const notes = row(page, 2).getByTestId('reading-note')
      expect(await notes.evaluateAll((els) => els.map((e) => [e.getAttribute('data-code'), (e as HTMLElement).innerText]))).toEqual([
        ['TYPE_READ_AS', '← PUBLIC'],
        ['COLOR_READ_AS', '← Красный'],
      ])
      expect(await row(page, 2).innerText()).toContain('Open')
      await shootBoth(app, J, 'xlsx-preview')
      // Another sheet of the workbook can be picked; "Read me" has no chats, so the app says so, and "Chats" is back
      // with one more pick.
      await page.getByTestId('sheet-select').click()
      await page.locator('.n-base-select-option', { hasText: /^Read me$/ }).click()
      await expect.poll(() => page.getByTestId('sheet-select').getAttribute('data-value')).toBe('Read me')
      expect(await page.getByTestId('file-problems').innerText()).toContain('no data rows')
      expect(await page.getByTestId('preview-table').getAttribute('data-rows')).toBe('0')
      await page.getByTestId('sheet-select').click()
      await page.locator('.n-base-select-option', { hasText: /^Chats$/ }).click()
      await expect.poll(() => page.getByTestId('preview-table').getAttribute('data-rows')).toBe('3')
      await page.getByTestId('close-sheet').click()

      // ---- 5. the sample works on a first run: its avatars resolve, only the deliberate mistakes show --------------
      await page.getByTestId('try-sample').click()
      await page.getByTestId('mapping-step').waitFor()
      expect(await page.getByTestId('import-file-name').innerText()).toBe('sample-chats.csv')
      expect(await page.getByTestId('mapping-unmapped-column').evaluateAll((els) => els.map((e) => e.getAttribute('data-column')))).toEqual(['Note'])
      await shootBoth(app, J, 'sample-mapping')
      await toPreview(page)
      expect(await dataCount(page, 'import-row-count')).toBe(12)
      expect(await page.getByTestId('status-filter-error').innerText()).toMatch(/\D2$/)
      expect(await page.getByTestId('file-problems').allInnerTexts()).toEqual([])
      expect(await row(page, 2).locator('img.thumb').count()).toBe(1)
      expect(await clipped(page, LABELS)).toEqual([])
      expect(await clippedPlaceholders(page, '[data-testid="import-view"]')).toEqual([])
      expect(await wrappedHeaders(page)).toEqual([])
      // Send now stays on the same line as the other actions; the file bar is one line.
      expect(await oneLine(page, '[data-testid="file-bar"] .fact')).toBe(true)
      const tops = await Promise.all(['live-check', 'save-draft', 'send-now'].map(async (id) => (await page.getByTestId(id).boundingBox())?.y))
      expect(new Set(tops).size).toBe(1)
      await shootBoth(app, J, 'sample-preview')

      // ---- 3. bulk fixes: set a value for selected rows, find and replace, grid editing, undo/redo -------------------
      // Select the two wrong rows and give them a colour.
      await page.getByTestId('status-filter-error').click()
      await expect.poll(() => page.locator('[data-testid="preview-row"]').count()).toBe(2)
      await page.locator('[data-testid="preview-table"] thead .n-checkbox').click()
      await page.getByTestId('selected-count').waitFor()
      expect(await page.getByTestId('selected-count').innerText()).toBe('Selected: 2')
      await page.getByTestId('fix-set').click()
      await page.getByTestId('bulk-fix').waitFor()
      expect(await page.getByTestId('bulk-target-selected').locator('input').isChecked()).toBe(true)
      await page.getByTestId('bulk-color').click()
      await page.locator('.n-base-select-option', { hasText: /^Pink$/ }).click()
      await expect.poll(() => page.getByTestId('bulk-count').getAttribute('data-count')).toBe('2')
      await shootBoth(app, J, 'bulk-set')
      await page.getByTestId('bulk-apply').click()
      await page.getByTestId('bulk-fix').waitFor({ state: 'detached' })
      await expect.poll(() => page.getByTestId('status-filter-error').innerText()).toMatch(/\D1$/)
      // Find and replace over every row: "secret" → "CHAT".
      await page.getByTestId('status-filter-all').click()
      await page.getByTestId('fix-replace').click()
      await page.getByTestId('bulk-find').fill('secret')
      await page.getByTestId('bulk-replace-with').fill('CHAT')
      await expect.poll(() => page.getByTestId('bulk-count').getAttribute('data-count')).toBe('1')
      await page.getByTestId('bulk-apply').click()
      await expect.poll(() => page.getByTestId('status-filter-error').innerText()).toMatch(/\D0$/)
      // Undo brings the error back; redo fixes it again.
      await page.getByTestId('fix-undo').click()
      await expect.poll(() => page.getByTestId('status-filter-error').innerText()).toMatch(/\D1$/)
      await page.getByTestId('fix-redo').click()
      await expect.poll(() => page.getByTestId('status-filter-error').innerText()).toMatch(/\D0$/)
      // Grid editing: the type of row 4 from its drop-down.
      await row(page, 4).getByTestId('grid-TYPE').click()
      await page.locator('.n-base-select-option', { hasText: /^Private$/ }).waitFor()
      await shootBoth(app, J, 'grid-select')
      await page.locator('.n-base-select-option', { hasText: /^Private$/ }).click()
      await expect.poll(() => row(page, 4).innerText()).toContain('Private')
      // CHAT is the API value itself: the row no longer has a note for its type.
      expect(await row(page, 4).locator('[data-code="TYPE_READ_AS"]').count()).toBe(0)
      await page.getByTestId('fix-undo').click()
      await expect.poll(() => row(page, 4).locator('[data-code="TYPE_READ_AS"]').count()).toBe(1)

      // ---- 7 + 9. members once with names after the check; e-mails "to be resolved" before; the chat card -------
      await openRow(page, 2)
      const panel = page.locator('[data-testid="row-panel"][data-line="2"]')
      await panel.waitFor()
      expect(await panel.getByTestId('panel-params').innerText()).toContain('user5@sandbox.test (to be resolved)')
      expect(await panel.getByTestId('chat-card-message').innerText()).toBe('Welcome! Weekly numbers go here every Monday.')
      expect(await panel.getByTestId('panel-file-line').innerText()).toBe('Row 2 of the sheet · line 2 of the file')
      await shootBoth(app, J, 'drawer-before-check')
      await closePanel(page)
      await page.getByTestId('live-check').click()
      await page.getByText('members resolved').waitFor()
      await openRow(page, 2)
      await panel.waitFor()
      const names = await panel.getByTestId('chat-card-member-names').innerText()
      const list = names.split(', ')
      expect(list).toHaveLength(4)
      expect(new Set(list).size).toBe(4)
      expect(names).not.toContain('#')
      expect(await panel.getByTestId('panel-params').innerText()).not.toContain('to be resolved')
      await shootBoth(app, J, 'drawer-after-check')
      await closePanel(page)
      const members = (await row(page, 2).locator('td').nth(4).innerText()).split(', ')
      expect(new Set(members).size).toBe(members.length)

      // ---- 6. a quoted multi-line cell does not push the row numbers; the drawer gives the file line -------------
      // (The windows-1251 export of the sheet: the Encoding box must show "windows-1251 (detected)" uncut.)
      await pick(app, join(FIXTURES, 'chats.cp1251-semicolon.csv'), 'mapping')
      await toPreview(page)
      expect(await page.getByTestId('encoding-select').innerText()).toBe('windows-1251 (detected)')
      expect(await clipped(page, LABELS)).toEqual([])
      expect(await clippedPlaceholders(page, '[data-testid="import-view"]')).toEqual([])
      expect(await page.locator('[data-testid="preview-row"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-line'))))).toEqual([2, 3, 4, 5, 6, 7, 8, 9])
      await openRow(page, 3)
      expect(await page.getByTestId('panel-file-line').innerText()).toBe('Row 3 of the sheet · line 4 of the file')
      await closePanel(page)

      // ---- 8. language and theme are independent: Dark, then Русский; both survive a reload --------------------------
      await go(page, 'settings')
      await page.getByTestId('settings-theme-dark').click()
      await page.getByTestId('settings-language-ru').click()
      await page.getByRole('heading', { level: 1, name: 'Настройки', exact: true }).waitFor()
      await app.reload()
      await page.getByTestId('connections-view').waitFor()
      await page.getByRole('heading', { level: 1, name: 'Подключения', exact: true }).waitFor()
      await expect.poll(() => page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe('rgb(255, 255, 255)')
      await go(page, 'settings')
      expect(await page.getByTestId('settings-theme-dark').locator('input').isChecked()).toBe(true)
      expect(await page.getByTestId('settings-language-ru').locator('input').isChecked()).toBe(true)
      // Back to the system theme for the two-scheme captures; Russian stays.
      await page.getByTestId('settings-theme-system').click()
      expect(await page.getByTestId('settings-language-ru').locator('input').isChecked()).toBe(true)

      // ---- the same screens in Russian: nothing clipped, nothing in English --------------------------------------
      await go(page, 'connections')
      expect(await page.getByTestId('sandbox-card').innerText()).not.toContain('Sandbox admin')
      await shootBoth(app, J, 'ru-connections')
      // The reload left no sheet open: step 1 offers the sample.
      await go(page, 'import')
      await page.getByTestId('try-sample').click()
      await page.getByTestId('mapping-step').waitFor()
      await shootBoth(app, J, 'ru-sample-mapping')
      await toPreview(page)
      expect(await clipped(page, LABELS)).toEqual([])
      expect(await clippedPlaceholders(page, '[data-testid="import-view"]')).toEqual([])
      expect(await oneLine(page, '[data-testid="file-bar"] .fact')).toBe(true)
      const ruTops = await Promise.all(['live-check', 'save-draft', 'send-now'].map(async (id) => (await page.getByTestId(id).boundingBox())?.y))
      expect(new Set(ruTops).size).toBe(1)
      expect(await row(page, 4).innerText()).toContain('Открытый')
      await shootBoth(app, J, 'ru-sample-preview')
      await page.getByTestId('fix-set').click()
      await page.getByTestId('bulk-fix').waitFor()
      await shootBoth(app, J, 'ru-bulk-set')
      await page.getByTestId('bulk-cancel').click()
      await openRow(page, 3)
      await page.locator('[data-testid="row-panel"][data-line="3"]').waitFor()
      expect(await page.locator('[data-testid="row-panel"]').innerText()).toContain('Прочитано как')
      await shootBoth(app, J, 'ru-drawer')
      await closePanel(page)
      // The windows-1251 file in Russian: nothing cut in the file bar either.
      await pick(app, join(FIXTURES, 'chats.cp1251-semicolon.csv'), 'mapping')
      await toPreview(page)
      expect(await clipped(page, LABELS)).toEqual([])
      expect(await clippedPlaceholders(page, '[data-testid="import-view"]')).toEqual([])
      expect(await oneLine(page, '[data-testid="file-bar"] .fact')).toBe(true)
      expect(await wrappedHeaders(page)).toEqual([])
      await shootBoth(app, J, 'ru-cp1251-preview')
      await page.getByTestId('close-sheet').click()
      await page.getByTestId('try-sample').click()
      await page.getByTestId('mapping-step').waitFor()
      await toPreview(page)
      expect((await sendNow(page)).title).toMatch(/^Создать 10 чатов на 127\.0\.0\.1:\d+\?$/)
      await page.getByTestId('outbox-view').waitFor()
      await page.locator('[data-testid="job-detail"][data-status="finished"]').waitFor({ timeout: 60_000 })
      const outbox = await page.getByTestId('outbox-view').innerText()
      expect(outbox).not.toContain('Sandbox portal')
      expect(outbox).toContain('Песочница')
      await shootBoth(app, J, 'ru-outbox')
    } finally {
      await app.close()
    }
  })
})
