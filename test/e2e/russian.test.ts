/**
 * Journey (d): Settings → language → Русский: every screen (navigation, headings, buttons, statuses, problem texts)
 * is in Russian, and stays so after the window reloads (the choice is saved by the backend).
 */
import { resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { closeBrowser, openApp } from './harness'
import { clipped, clippedPlaceholders, closePanel, shootBoth } from './journey'

const SAMPLE = resolve(import.meta.dirname, '../../resources/sample-chats.csv')
const service = `b24-chat-admin-e2e-russian-${process.pid}`
const J = 'd-russian'

const NAV_RU = {
  connections: 'Подключения',
  import: 'Импорт',
  compose: 'Новый чат',
  outbox: 'Исходящие и задания',
  sandboxChats: 'Чаты песочницы',
  settings: 'Настройки',
} as const
type Nav = keyof typeof NAV_RU
const CYRILLIC = /[А-Яа-яЁё]/

/** Navigates by the Russian menu label (proving the label is there) and checks the screen's Russian heading. */
async function goRu(page: Page, screen: Nav, heading: string): Promise<void> {
  await page.getByRole('navigation').getByText(NAV_RU[screen], { exact: true }).click()
  await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor()
}

async function text(page: Page, testid: string): Promise<string> {
  return (await page.getByTestId(testid).innerText()).trim()
}

describe('journey (d): switch to Russian', () => {
  afterAll(async () => {
    await closeBrowser()
  })

  it('shows every screen in Russian', async () => {
    const app = await openApp({ keychainService: service, locale: 'en-US' })
    try {
      const { page } = app
      await page.getByTestId('connections-view').waitFor()
      // English first (the OS locale), then switch in Settings.
      expect(await text(page, 'nav-connections')).toBe('Connections')
      await page.getByTestId('nav-settings').click()
      await page.getByTestId('settings-view').waitFor()
      await page.getByRole('heading', { level: 1, name: 'Settings', exact: true }).waitFor()
      await shootBoth(app, J, 'settings-en')
      await page.getByTestId('settings-language-ru').click()

      // ---- Settings itself ---------------------------------------------------------------------------------
      await page.getByRole('heading', { level: 1, name: 'Настройки', exact: true }).waitFor()
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('ru')
      for (const [view, label] of Object.entries(NAV_RU)) expect(await text(page, `nav-${view}`)).toBe(label)
      const settings = await text(page, 'settings-view')
      for (const s of ['Язык', 'Тема']) expect(settings).toContain(s)
      expect(settings).not.toMatch(/\bLanguage\b|\bTheme\b/)
      await shootBoth(app, J, 'settings')

      // ---- Connections ---------------------------------------------------------------------------------------
      await goRu(page, 'connections', 'Подключения')
      const sandboxCard = await text(page, 'sandbox-card')
      expect(sandboxCard).toContain('Песочница')
      expect(await text(page, 'sandbox-toggle')).toBe('Запустить песочницу')
      await page.getByTestId('sandbox-toggle').click()
      await page.locator('[data-testid="sandbox-card"][data-running="yes"]').waitFor()
      expect(await text(page, 'sandbox-toggle')).toBe('Остановить песочницу')
      expect(await text(page, 'sandbox-status')).toMatch(/^Работает по адресу https:\/\/127\.0\.0\.1:\d+\/$/)
      await shootBoth(app, J, 'connections')

      // ---- Import: buttons, filter, statuses, problem texts ------------------------------------------------------
      await goRu(page, 'import', 'Импорт таблицы')
      expect(await text(page, 'open-file')).toBe('Открыть файл…')
      expect(await text(page, 'download-template')).toBe('Скачать шаблон')
      app.nextPick.path = SAMPLE
      await page.getByTestId('open-file').click()
      await page.getByTestId('mapping-step').waitFor()
      expect(await text(page, 'mapping-continue')).toBe('Перейти к предпросмотру →')
      await page.getByTestId('mapping-continue').click()
      await page.getByTestId('preview-table').waitFor()
      expect(await text(page, 'status-filter-all')).toBe('Все · 12')
      expect(await text(page, 'status-filter-error')).toBe('Ошибки · 2')
      expect(await text(page, 'send-now')).toBe('Отправить сейчас')
      expect(await text(page, 'save-draft')).toBe('Сохранить черновик')
      expect(await text(page, 'live-check')).toBe('Проверить на портале')
      await page.locator('[data-testid="preview-row"][data-line="2"]').waitFor()
      expect(await page.locator('[data-testid="preview-row"][data-line="2"]').innerText()).toContain('Готова')
      expect(await page.getByRole('columnheader').allInnerTexts()).not.toContain('Title')
      // Generated titles are Russian too (line 8: GREEN), and say nothing in English.
      expect(await page.locator('[data-testid="preview-row"][data-line="8"] [data-generated="yes"]').innerText()).toContain('Зелёный чат №… — название даст портал')
      expect(await page.getByTestId('preview-table').innerText()).not.toMatch(/Chat #|round-robin/)
      expect(await text(page, 'errors-skipped')).toMatch(/^Строки с ошибками не будут отправлены: 2 — /)
      // The navigation label fits: nothing in the menu is cut off with an ellipsis.
      const cut = await page.getByTestId('nav').evaluate((nav) =>
        Array.from(nav.querySelectorAll('[data-testid^="nav-"]')).filter((el) => {
          const box = el.parentElement as HTMLElement
          return box.scrollWidth > box.clientWidth + 1
        }).length,
      )
      expect(cut).toBe(0)
      await shootBoth(app, J, 'import-preview')
      await page.getByTestId('status-filter-error').click()
      await page.locator('[data-testid="preview-row"][data-line="11"]').click()
      const problem = page.locator('[data-testid="row-panel"][data-line="11"] [data-testid="panel-problem"]').first()
      await problem.waitFor()
      const problemText = await problem.innerText()
      expect(problemText).toMatch(CYRILLIC)
      expect(problemText).toContain('Fuchsia')
      expect(problemText).not.toMatch(/is not a chat colou?r/)
      expect(await text(page, 'panel-color')).toBe('✕ неверный: Fuchsia')
      expect(await page.locator('[data-testid="row-panel"] input[placeholder="Ввести"]').count()).toBe(0)
      expect(await page.locator('[data-testid="row-panel"][data-line="11"]').innerText()).toContain('Ошибка')
      await shootBoth(app, J, 'import-row-panel')
      await closePanel(page)

      // ---- Compose ---------------------------------------------------------------------------------------------
      await goRu(page, 'compose', 'Новый чат')
      expect(await text(page, 'compose-create')).toBe('Создать сейчас')
      expect(await text(page, 'compose-outbox')).toBe('В исходящие')
      const compose = await text(page, 'compose-view')
      expect(compose).not.toMatch(/\bMembers\b|\bDescription\b|\bColour\b/)
      await expect.poll(() => text(page, 'chat-card-title')).toBe('Чат №… — цвет и название выберет портал')
      expect(compose).not.toContain('round-robin')
      expect(await page.locator('input[placeholder="Ввести"], textarea[placeholder="Ввести"]').count()).toBe(0)
      // Nothing of the form is cut at the smallest window the app promises (1280 × 800): labels, buttons, the
      // texts inside the pickers and the placeholders.
      await page.setViewportSize({ width: 1280, height: 800 })
      const form = ['.n-form-item-label', '.n-button__content', '.n-base-selection-label', '.n-base-selection-placeholder__inner', '.n-input__placeholder']
      expect(await clipped(page, form.map((c) => `[data-testid="compose-view"] ${c}`).join(', '))).toEqual([])
      expect(await clippedPlaceholders(page, '[data-testid="compose-view"]')).toEqual([])
      await shootBoth(app, J, 'compose')
      await page.setViewportSize({ width: 1366, height: 860 })

      // ---- Outbox & jobs ---------------------------------------------------------------------------------------
      await goRu(page, 'outbox', 'Исходящие и задания')
      expect(await text(page, 'outbox-empty')).toBe('В исходящих пусто. Импортируйте таблицу или создайте чат.')
      await shootBoth(app, J, 'outbox')

      // ---- Sandbox chats ---------------------------------------------------------------------------------------
      await goRu(page, 'sandboxChats', 'Чаты песочницы')
      await shootBoth(app, J, 'sandbox-chats')

      // ---- the choice survives a reload -------------------------------------------------------------------------
      await app.reload()
      await page.getByRole('heading', { level: 1, name: 'Подключения', exact: true }).waitFor()
      expect(await text(page, 'nav-settings')).toBe('Настройки')
    } finally {
      await app.close()
    }
  })
})
