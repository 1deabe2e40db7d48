/// <reference lib="dom" />
/**
 * Shared steps for the e2e journeys: navigation, the sandbox switch, opening a sheet, and screenshots of each
 * screen in BOTH colour schemes (the app follows the OS theme by default; the emulated OS scheme is flipped for the
 * dark capture and flipped back, so one session yields `<journey>-<screen>-light.png` and `...-dark.png`).
 */
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { expect } from 'vitest'
import type { SandboxChatView } from '../../electron/shared/ipc'
import type { AppSession } from './harness'
import { SCREENS } from './harness'

export type Screen = 'connections' | 'import' | 'compose' | 'outbox' | 'sandboxChats' | 'settings'

const VIEW_TESTID: Record<Screen, string> = {
  connections: 'connections-view',
  import: 'import-view',
  compose: 'compose-view',
  outbox: 'outbox-view',
  sandboxChats: 'sandbox-chats-view',
  settings: 'settings-view',
}

/** Elements matched by `selector` whose text does not fit (cut by an ellipsis or overflow), with their text. */
export async function clipped(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).evaluateAll((els) =>
    els.filter((el) => (el as HTMLElement).offsetParent !== null && el.scrollWidth > el.clientWidth + 1).map((el) => (el as HTMLElement).innerText.trim()),
  )
}

/**
 * Placeholders under `root` that do not fit their field: an input's placeholder is not content, so scrollWidth does
 * not see it; its text is measured in the field's own font against the field's content box.
 */
export async function clippedPlaceholders(page: Page, root: string): Promise<string[]> {
  return page.locator(`${root} input[placeholder], ${root} textarea[placeholder], ${root} .n-base-selection-placeholder`).evaluateAll((els) => {
    const ctx = document.createElement('canvas').getContext('2d')
    if (!ctx) return ['(no canvas)']
    return els.flatMap((el) => {
      const e = el as HTMLElement
      const text = e instanceof HTMLInputElement || e instanceof HTMLTextAreaElement ? e.placeholder : e.innerText.trim()
      if (!text || e.offsetParent === null) return []
      const st = getComputedStyle(e)
      ctx.font = `${st.fontStyle} ${st.fontWeight} ${st.fontSize} ${st.fontFamily}`
      const room = e.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight)
      return e instanceof HTMLTextAreaElement || ctx.measureText(text).width <= room + 1 ? [] : [text]
    })
  })
}

/** Clicks a navigation entry and waits for its screen. */
export async function go(page: Page, screen: Screen): Promise<void> {
  await page.getByTestId(`nav-${screen}`).click()
  await page.getByTestId(VIEW_TESTID[screen]).waitFor()
}

/** The body background naive-ui's global style paints in each theme. */
async function bodyBackground(page: Page): Promise<string> {
  return page.evaluate(() => getComputedStyle(document.body).backgroundColor)
}

const LIGHT_BG = 'rgb(255, 255, 255)'

/**
 * Saves `<journey>-<screen>-light.png` and `<journey>-<screen>-dark.png`. The session must be in the light OS scheme
 * with the app's theme on "system" (the default); it is left in the light scheme.
 */
export async function shootBoth(app: AppSession, journey: string, screen: string): Promise<string[]> {
  const { page } = app
  const files: string[] = []
  const shot = async (theme: 'light' | 'dark'): Promise<void> => {
    const file = join(SCREENS, `${journey}-${screen}-${theme}.png`)
    // Finite transitions (the theme fade) are fast-forwarded, so the capture shows the settled screen.
    await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' })
    files.push(file)
  }
  await expect.poll(() => bodyBackground(page)).toBe(LIGHT_BG)
  await shot('light')
  await page.emulateMedia({ colorScheme: 'dark' })
  await expect.poll(async () => isDark(await bodyBackground(page))).toBe(true)
  await shot('dark')
  await page.emulateMedia({ colorScheme: 'light' })
  await expect.poll(() => bodyBackground(page)).toBe(LIGHT_BG)
  return files
}

/** A dark body: every channel well below mid-grey. */
function isDark(rgb: string): boolean {
  const m = /rgba?\((\d+), (\d+), (\d+)/.exec(rgb)
  return !!m && [m[1], m[2], m[3]].every((c) => Number(c) < 60)
}

/** Connections → start the built-in sandbox portal and wait until the card says it runs. */
export async function startSandboxFromUi(page: Page): Promise<void> {
  await go(page, 'connections')
  const card = page.getByTestId('sandbox-card')
  if ((await card.getAttribute('data-running')) !== 'yes') await page.getByTestId('sandbox-toggle').click()
  await page.locator('[data-testid="sandbox-card"][data-running="yes"]').waitFor()
}

/** Import → "Open" with the given file picked in the dialog → mapping step → preview. */
export async function openSheet(app: AppSession, file: string, opts: { onMapping?: () => Promise<void>; timeout?: number } = {}): Promise<void> {
  const { page } = app
  await go(page, 'import')
  app.nextPick.path = file
  await page.getByTestId('open-file').click()
  await page.getByTestId('mapping-step').waitFor({ timeout: opts.timeout })
  await opts.onMapping?.()
  await page.getByTestId('mapping-continue').click()
  await page.getByTestId('preview-table').waitFor({ timeout: opts.timeout })
}

/** What the Send now confirmation said: its title ("Create 3 chats on 127.0.0.1:41234?"), the count and the portal. */
export interface SendConfirmation {
  title: string
  count: number
  portal: string
}

/** Import → Send now → the confirmation names the count and the portal → Create (or Cancel). */
export async function sendNow(page: Page, answer: 'create' | 'cancel' = 'create', before?: () => Promise<unknown>): Promise<SendConfirmation> {
  await page.getByTestId('send-now').click()
  const box = page.getByTestId('send-confirm')
  // (its content may be empty, hence "attached": the question is the dialog's title)
  await box.waitFor({ state: 'attached' })
  await page.locator('.n-dialog .n-dialog__title').waitFor()
  const seen = {
    title: await page.locator('.n-dialog .n-dialog__title').innerText(),
    count: Number(await box.getAttribute('data-count')),
    portal: (await box.getAttribute('data-portal')) ?? '',
  }
  await before?.()
  await page.getByTestId(answer === 'create' ? 'send-confirm-ok' : 'send-confirm-cancel').click()
  await page.locator('.n-dialog').waitFor({ state: 'detached' })
  return seen
}

/** Settings → the language (English or Russian); waits until the screen speaks it. */
export async function setLanguage(page: Page, lang: 'en' | 'ru'): Promise<void> {
  await go(page, 'settings')
  await page.getByTestId(`settings-language-${lang}`).click()
  await page.getByRole('heading', { level: 1, name: lang === 'ru' ? 'Настройки' : 'Settings', exact: true }).waitFor()
}

/** Entity pairs (or titles, for chats without one) that more than one sandbox chat carries. */
export function duplicatesOf(chats: SandboxChatView[]): string[] {
  const seen = new Map<string, number>()
  for (const c of chats) {
    const k = c.entityType ? `${c.entityType}|${c.entityId}` : `title|${c.title}`
    seen.set(k, (seen.get(k) ?? 0) + 1)
  }
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k)
}

/** What the sandbox portal holds right now (straight from the running server, not through the UI). */
export async function sandboxChats(app: AppSession): Promise<SandboxChatView[]> {
  const r = await app.backend.sandbox.chats()
  if (!r.ok) throw new Error(`sandbox.chats failed: ${r.error.message}`)
  return r.value
}

/** The count shown by an element's data-count attribute (the figure the user reads, unformatted). */
export async function dataCount(page: Page, testid: string): Promise<number> {
  return Number(await page.getByTestId(testid).getAttribute('data-count'))
}

/** Closes the row side panel (Esc, or its close button); waits until the drawer has finished leaving. */
export async function closePanel(page: Page, how: 'escape' | 'button' = 'escape'): Promise<void> {
  if (how === 'escape') await page.keyboard.press('Escape')
  else await page.getByTestId('row-panel-close').click()
  await page.getByTestId('row-panel').waitFor({ state: 'detached' })
  await page.locator('[data-testid="row-panel-state"][data-state="closed"]').waitFor({ state: 'attached' })
}

interface SeenRow {
  line: number
  status: string
  text: string
}

const nextFrame = (page: Page): Promise<unknown> => page.waitForFunction(() => new Promise((r) => requestAnimationFrame(() => r(true))))

/**
 * Scrolls a virtual list from top to bottom, a screenful at a time (bounded), and returns every row it rendered on
 * the way (line, status attribute, visible text): what a user scrolling through would have seen.
 */
async function scanVirtual(page: Page, scrollerSel: string, rowSel: string, statusAttr: string, maxSteps: number): Promise<Map<number, SeenRow>> {
  const seen = new Map<number, SeenRow>()
  const scroller = page.locator(scrollerSel).first()
  const grab = async (): Promise<void> => {
    const rows = await page.locator(rowSel).evaluateAll(
      (els, attr) => els.map((e) => ({ line: Number(e.getAttribute('data-line')), status: e.getAttribute(attr) ?? '', text: (e as HTMLElement).innerText })),
      statusAttr,
    )
    for (const r of rows) seen.set(r.line, r)
  }
  await scroller.evaluate((el) => {
    el.scrollTop = 0
    el.dispatchEvent(new Event('scroll'))
  })
  for (let i = 0; i < maxSteps; i++) {
    await nextFrame(page)
    await nextFrame(page)
    await grab()
    const moved = await scroller.evaluate((el) => {
      const before = el.scrollTop
      // Overlap by a third of the viewport so no row can be skipped between two screens.
      el.scrollTop = before + Math.max(20, Math.floor((el.clientHeight * 2) / 3))
      el.dispatchEvent(new Event('scroll'))
      return el.scrollTop !== before
    })
    if (!moved) break
  }
  return seen
}

/** Every line the preview's virtual table shows when scrolled through, with its status. */
export async function collectPreviewLines(page: Page, maxSteps = 200): Promise<Map<number, string>> {
  const seen = await scanVirtual(page, '[data-testid="preview-scroll"]', '[data-testid="preview-row"]', 'data-status', maxSteps)
  return new Map([...seen].map(([line, r]) => [line, r.status]))
}

/** Every entry of the job's live log (a virtual list) seen when scrolled through: line → state and text. */
export async function collectLogRows(page: Page, maxSteps = 200): Promise<Map<number, { state: string; text: string }>> {
  const seen = await scanVirtual(page, '[data-testid="job-log-scroll"]', '[data-testid="job-log-row"]', 'data-state', maxSteps)
  return new Map([...seen].map(([line, r]) => [line, { state: r.status, text: r.text }]))
}
