/**
 * Issue 10, "What was seen", as journeys in Chromium on the real backend, sandbox portal and keychain, at 1280×800,
 * with screenshots of each new state in light and dark, English and Russian. Each journey ends with the portal's
 * truth (`/_sandbox/chats` through the running sandbox): every chat once, none lost.
 * (a) re-send after a send, (b) an edited copy of the file re-opened, (c) Compose double click, (d) the portal
 * stopped and restarted mid-run on a new port, (e) quit and resume.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeBrowser, openApp } from './harness'
import type { AppSession, HarnessOptions } from './harness'
import { closePanel, dataCount, duplicatesOf, go, openSheet, sandboxChats, sendNow, setLanguage, shootBoth, startSandboxFromUi } from './journey'

const service = `b24-chat-admin-e2e-once-${process.pid}`
const VIEWPORT = { width: 1280, height: 800 }
/** The sample: 12 rows, 2 with errors (lines 11, 12), one whose e-mail has no user (line 13, refused by the portal). */
const SAMPLE_ROWS = 12
const SAMPLE_SENDABLE = 10
const SAMPLE_CREATED = 9

let tmp = ''
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'b24-e2e-once-'))
})
afterAll(async () => {
  await closeBrowser()
  if (tmp) await rm(tmp, { recursive: true, force: true })
})

const open = (opts: HarnessOptions = {}): Promise<AppSession> => openApp({ keychainService: service, viewport: VIEWPORT, ...opts })
const row = (page: Page, line: number) => page.locator(`[data-testid="preview-row"][data-line="${line}"]`)
/** Opens a row's drawer by clicking its line number. */
const openRow = (page: Page, line: number) => row(page, line).locator('td').nth(1).click()
const sentRows = (page: Page, match: string) => page.locator(`[data-testid="preview-row"][data-sent="${match}"]`)
const sheetFile = async (name: string, lines: string[]): Promise<string> => {
  const file = join(tmp, name)
  await writeFile(file, `${lines.join('\n')}\n`)
  return file
}
/** The job on screen has ended (finished) and its figures are shown. */
const finished = (page: Page, timeout = 60_000) => page.locator('[data-testid="job-detail"][data-status="finished"]').waitFor({ timeout })
/** The port the sandbox portal listens on now. */
async function sandboxPort(app: AppSession): Promise<string> {
  const r = await app.backend.sandbox.status()
  if (!r.ok || !r.value.portal) throw new Error('the sandbox is not running')
  return new URL(r.value.portal).port
}

describe('issue 10 journeys: exactly once across sends, windows and runs', () => {
  it('(a) re-send after a send: the sheet marks what was created, Send now offers only the rest, the fixed row is created once', async () => {
    const J = 'x10a-resend'
    const app = await open()
    try {
      const { page } = app
      await page.getByTestId('connections-view').waitFor()
      await startSandboxFromUi(page)
      await go(page, 'import')
      await page.getByTestId('try-sample').click()
      await page.getByTestId('mapping-continue').click()
      await page.getByTestId('preview-table').waitFor()
      expect(await dataCount(page, 'import-row-count')).toBe(SAMPLE_ROWS)

      // The first send: the confirmation names the count and the portal.
      const first = await sendNow(page)
      expect(first.count).toBe(SAMPLE_SENDABLE)
      expect(first.title).toBe(`Create ${SAMPLE_SENDABLE} chats on 127.0.0.1:${await sandboxPort(app)}?`)
      expect(first.portal).toBe(`127.0.0.1:${await sandboxPort(app)}`)
      await finished(page)
      expect(await dataCount(page, 'job-count-created')).toBe(SAMPLE_CREATED)
      expect(await sandboxChats(app)).toHaveLength(SAMPLE_CREATED)

      // Back on Import the sheet is still open, and now tells the truth.
      await go(page, 'import')
      await expect.poll(() => sentRows(page, 'already-created').count()).toBe(SAMPLE_CREATED)
      expect(await row(page, 2).getByTestId('row-sent').innerText()).toMatch(/^Already created → chat \d+ · /)
      expect(await row(page, 2).getByTestId('row-sent-tag').innerText()).toBe('Created')
      expect(await page.getByTestId('plan-summary').innerText()).toBe(`Created before: ${SAMPLE_CREATED} — not created again. Send now creates: 1.`)
      expect(await page.getByTestId('status-filter-created').innerText()).toBe(`Created · ${SAMPLE_CREATED}`)
      await shootBoth(app, J, 'marked')
      await page.getByTestId('status-filter-created').click()
      await expect.poll(() => page.getByTestId('preview-table').getAttribute('data-rows')).toBe(String(SAMPLE_CREATED))
      // Ready is what a send would create: the row the portal refused (an e-mail with no user), alone.
      await page.getByTestId('status-filter-ready').click()
      await expect.poll(() => page.getByTestId('preview-table').getAttribute('data-rows')).toBe('1')
      expect(await row(page, 13).getAttribute('data-sent')).toBe('no')
      await page.getByTestId('status-filter-all').click()

      // The link opens the chat (a sandbox chat: inside the app).
      const chatId = Number(await row(page, 2).getByTestId('row-sent').getAttribute('data-chat-id'))
      await row(page, 2).getByTestId('row-sent').click()
      await page.locator(`[data-testid="sandbox-chat-focus"][data-chat-id="${chatId}"]`).waitFor()
      expect(await page.getByTestId('sandbox-chat-focus').innerText()).toContain('Sales — North-West')
      await go(page, 'import')
      await expect.poll(() => sentRows(page, 'already-created').count()).toBe(SAMPLE_CREATED)

      // Fix line 11 (a colour that is no Bitrix24 colour): it becomes a row to create.
      await openRow(page, 11)
      const panel = page.locator('[data-testid="row-panel"][data-line="11"]')
      await panel.getByTestId('cell-input-COLOR').fill('MINT')
      await panel.getByTestId('cell-apply-COLOR').click()
      await page.locator('[data-testid="row-panel"][data-line="11"][data-status="ready"]').waitFor()
      await closePanel(page)
      await expect.poll(() => page.getByTestId('plan-summary').getAttribute('data-create')).toBe('2')

      // Send now: only the fixed row and the refused one; the fixed row is created, nothing else again.
      const second = await sendNow(page, 'create', () => shootBoth(app, J, 'confirm'))
      expect(second).toMatchObject({ count: 2, title: `Create 2 chats on 127.0.0.1:${await sandboxPort(app)}?` })
      await finished(page)
      expect(await dataCount(page, 'job-count-created')).toBe(1)
      expect(await dataCount(page, 'job-count-skipped')).toBe(SAMPLE_CREATED)
      const chats = await sandboxChats(app)
      expect(chats).toHaveLength(SAMPLE_CREATED + 1)
      expect(duplicatesOf(chats)).toEqual([])
      expect(chats.filter((c) => c.title === 'Partners')).toHaveLength(1)

      // And the sheet again: created rows marked, Send now offers the one row the portal keeps refusing.
      await go(page, 'import')
      await expect.poll(() => sentRows(page, 'already-created').count()).toBe(SAMPLE_CREATED + 1)
      expect(await page.getByTestId('plan-summary').getAttribute('data-create')).toBe('1')

      // The same screens in Russian.
      await setLanguage(page, 'ru')
      await go(page, 'import')
      await expect.poll(() => sentRows(page, 'already-created').count()).toBe(SAMPLE_CREATED + 1)
      expect(await row(page, 2).getByTestId('row-sent').innerText()).toMatch(/^Уже создан → чат \d+ · /)
      expect(await page.getByTestId('plan-summary').innerText()).toBe(`Созданы раньше: ${SAMPLE_CREATED + 1} — повторно не создаются. «Отправить сейчас» создаст: 1.`)
      await shootBoth(app, J, 'marked-ru')
      const ru = await sendNow(page, 'cancel', () => shootBoth(app, J, 'confirm-ru'))
      expect(ru.title).toBe(`Создать 1 чат на 127.0.0.1:${await sandboxPort(app)}?`)
      expect(await sandboxChats(app)).toHaveLength(SAMPLE_CREATED + 1)
    } finally {
      await app.close()
    }
  })

  it('(b) an edited copy of the file re-opened: unchanged rows are already created, a changed one is skipped unless a copy is asked for', async () => {
    const J = 'x10b-edited'
    const app = await open()
    try {
      const { page } = app
      await page.getByTestId('connections-view').waitFor()
      await startSandboxFromUi(page)
      const original = await sheetFile('teams.csv', ['TITLE,USERS,DESCRIPTION', 'Alpha,"2, 3",First team', 'Beta,4,Second team', 'Gamma,5,Third team'])
      await openSheet(app, original)
      expect((await sendNow(page)).count).toBe(3)
      await finished(page)
      expect(await sandboxChats(app)).toHaveLength(3)

      // An edited copy: rows moved, Beta's description changed, a title re-typed with other spacing, Delta new.
      const edited = await sheetFile('teams (edited).csv', ['TITLE,USERS,DESCRIPTION', 'Gamma,5,Third team', ' alpha ,"2, 3",First team', 'Beta,4,Second team (new lead)', 'Delta,6,Fourth team'])
      await openSheet(app, edited)
      await expect.poll(() => sentRows(page, 'already-created').count()).toBe(2)
      const beta = row(page, 4)
      expect(await beta.getAttribute('data-sent')).toBe('created-with-other-values')
      expect(await beta.getAttribute('data-choice')).toBe('skip')
      expect(await beta.getByTestId('row-sent').innerText()).toMatch(/^Created earlier as chat \d+ with other values: Description · /)
      expect(await row(page, 5).getAttribute('data-sent')).toBe('no')
      expect(await page.getByTestId('status-filter-changed').innerText()).toBe('Changed · 1')
      await shootBoth(app, J, 'preview')
      await page.getByTestId('status-filter-changed').click()
      await expect.poll(() => page.getByTestId('preview-table').getAttribute('data-rows')).toBe('1')
      await shootBoth(app, J, 'changed-filter')
      await page.getByTestId('status-filter-all').click()

      // Skipped by default: only Delta is created.
      expect((await sendNow(page)).count).toBe(1)
      await finished(page)
      let chats = await sandboxChats(app)
      expect(chats.map((c) => c.title).sort()).toEqual(['Alpha', 'Beta', 'Delta', 'Gamma'])

      // A copy on request: the choice in the row, then Send now creates exactly that one.
      await go(page, 'import')
      await expect.poll(() => sentRows(page, 'already-created').count()).toBe(3)
      await row(page, 4).getByTestId('row-choice').click()
      await page.locator('.n-base-select-option', { hasText: /^New chat$/ }).click()
      await expect.poll(() => row(page, 4).getAttribute('data-choice')).toBe('copy')
      await expect.poll(() => page.getByTestId('plan-summary').getAttribute('data-create')).toBe('1')
      await shootBoth(app, J, 'copy-chosen')
      const copy = await sendNow(page)
      expect(copy.count).toBe(1)
      await finished(page)
      chats = await sandboxChats(app)
      expect(chats.map((c) => c.title).sort()).toEqual(['Alpha', 'Beta', 'Beta', 'Delta', 'Gamma'])
      expect(chats.filter((c) => c.title === 'Beta').map((c) => c.description).sort()).toEqual(['Second team', 'Second team (new lead)'])
      expect(duplicatesOf(chats)).toEqual([])

      // In Russian: the row and its drawer.
      await setLanguage(page, 'ru')
      await openSheet(app, edited)
      await expect.poll(() => row(page, 4).getAttribute('data-sent')).toBe('created-with-other-values')
      expect(await row(page, 4).getByTestId('row-sent').innerText()).toMatch(/^Создан ранее как чат \d+ с другими значениями: Описание · /)
      await shootBoth(app, J, 'preview-ru')
      await openRow(page, 4)
      await page.getByTestId('panel-sent').waitFor()
      expect(await page.getByTestId('panel-sent').innerText()).toContain('Пропустить строку: не создавать её снова')
      await shootBoth(app, J, 'drawer-ru')
      await closePanel(page)
    } finally {
      await app.close()
    }
  })

  it('(c) Compose double click makes one chat; the same form again says "Already created → chat N"; a copy only on request', async () => {
    const J = 'x10c-compose'
    const app = await open()
    try {
      const { page } = app
      await page.getByTestId('connections-view').waitFor()
      await startSandboxFromUi(page)
      await go(page, 'compose')
      const title = 'Night shift (e2e)'
      await page.getByTestId('compose-title').fill(title)
      await expect.poll(() => page.getByTestId('compose-create').isEnabled()).toBe(true)
      await page.getByTestId('compose-create').dblclick()
      const result = page.locator('[data-testid="compose-result"][data-already="no"]')
      await result.waitFor({ timeout: 30_000 })
      const chatId = Number(await result.getAttribute('data-chat-id'))
      expect(await sandboxChats(app)).toHaveLength(1)
      // One-shot: the same form cannot be sent again from here.
      expect(await page.getByTestId('compose-create').isDisabled()).toBe(true)
      expect(await page.getByTestId('compose-blocked-reason').innerText()).toBe(`This chat is created (chat ${chatId}). Change the form, or press Create another.`)
      await shootBoth(app, J, 'created')

      // Create another, typed the same: the chat is found, nothing is created.
      await page.getByTestId('compose-another').click()
      expect(await page.getByTestId('compose-title').inputValue()).toBe('')
      await page.getByTestId('compose-title').fill(title)
      await expect.poll(() => page.getByTestId('compose-create').isEnabled()).toBe(true)
      await page.getByTestId('compose-create').click()
      await page.locator(`[data-testid="compose-result"][data-already="yes"][data-chat-id="${chatId}"]`).waitFor()
      expect(await page.getByTestId('compose-already').innerText()).toBe(`Already created → chat ${chatId}`)
      expect(await sandboxChats(app)).toHaveLength(1)
      await shootBoth(app, J, 'already')

      // Asked for explicitly, a copy is made.
      await page.getByTestId('compose-copy').click()
      const copy = page.locator('[data-testid="compose-result"][data-already="no"]')
      await copy.waitFor()
      expect(Number(await copy.getAttribute('data-chat-id'))).not.toBe(chatId)
      const chats = await sandboxChats(app)
      expect(chats.filter((c) => c.title === title)).toHaveLength(2)

      // In Russian.
      await setLanguage(page, 'ru')
      await go(page, 'compose')
      await page.getByTestId('compose-another').click()
      await page.getByTestId('compose-title').fill(title)
      await expect.poll(() => page.getByTestId('compose-create').isEnabled()).toBe(true)
      await page.getByTestId('compose-create').dblclick()
      await page.locator('[data-testid="compose-result"][data-already="yes"]').waitFor()
      expect(await page.getByTestId('compose-already').innerText()).toMatch(/^Уже создан → чат \d+$/)
      expect(await sandboxChats(app)).toHaveLength(2)
      await shootBoth(app, J, 'already-ru')
    } finally {
      await app.close()
    }
  })

  it('(d) the portal stopped and restarted on a new port mid-run: the job waits, goes on by itself, and its counts are the portal\'s', async () => {
    const J = 'x10d-portal'
    const ROWS = 120
    const app = await open({
      sandboxLatencyMs: 60,
      tuning: { client: { maxAttempts: 2, timeoutMs: 3_000 }, backoffMs: [1_500, 4_000, 8_000], engine: { settleMs: 300, sizing: { maxBatch: 10 } } },
    })
    try {
      const { page } = app
      await page.getByTestId('connections-view').waitFor()
      await startSandboxFromUi(page)
      const before = await sandboxPort(app)
      const lines = ['TITLE,USERS']
      for (let i = 1; i <= ROWS; i++) lines.push(`Shift ${i},"2, 3"`)
      await openSheet(app, await sheetFile('shifts.csv', lines))
      expect((await sendNow(page)).count).toBe(ROWS)
      await page.getByTestId('outbox-view').waitFor()
      await expect.poll(() => dataCount(page, 'job-count-created'), { timeout: 30_000 }).toBeGreaterThanOrEqual(20)

      // The portal goes away mid-run.
      await go(page, 'connections')
      await page.getByTestId('sandbox-toggle').click()
      await page.locator('[data-testid="sandbox-card"][data-running="no"]').waitFor()
      await go(page, 'outbox')
      await page.locator('[data-testid="job-detail"][data-status="waiting-for-portal"]').waitFor({ timeout: 30_000 })
      expect(await page.getByTestId('job-status').innerText()).toBe('Waiting for the portal')
      await expect.poll(() => page.locator('[data-testid="job-state-detail"] .state-line').innerText()).toMatch(/^Portal unreachable — next try in \d+ s, attempt \d+$/)
      expect(await page.getByTestId('job-pause').isVisible()).toBe(true)
      expect(await page.getByTestId('job-cancel').isVisible()).toBe(true)
      await shootBoth(app, J, 'waiting')
      await setLanguage(page, 'ru')
      await go(page, 'outbox')
      await page.locator('[data-testid="job-detail"][data-status="waiting-for-portal"]').waitFor()
      await expect.poll(() => page.locator('[data-testid="job-state-detail"] .state-line').innerText()).toMatch(/^Портал недоступен — (повтор через \d+ с|пробуем снова), попытка \d+$/)
      await shootBoth(app, J, 'waiting-ru')
      await setLanguage(page, 'en')

      // The portal is back on another port: the job picks it up and finishes by itself, no click needed.
      await startSandboxFromUi(page)
      expect(await sandboxPort(app)).not.toBe(before)
      await go(page, 'outbox')
      await finished(page)
      expect(await dataCount(page, 'job-count-created')).toBe(ROWS)
      expect(await page.getByTestId('job-count-sending').count()).toBe(0)
      expect(await page.getByTestId('job-count-planned').count()).toBe(0)
      const chats = await sandboxChats(app)
      expect(chats).toHaveLength(ROWS)
      expect(duplicatesOf(chats)).toEqual([])
      await shootBoth(app, J, 'finished')
    } finally {
      await app.close()
    }
  })

  it('(e) quit and resume: the job is paused with Resume after the restart, and finishes with no duplicate and no loss', async () => {
    const J = 'x10e-quit'
    const ROWS = 80
    const dataDir = await mkdtemp(join(tmp, 'data-'))
    const opts: HarnessOptions = { dataDir, sandboxLatencyMs: 40, tuning: { engine: { settleMs: 300, sizing: { maxBatch: 10 } } } }
    let jobId: string
    let app = await open(opts)
    try {
      const { page } = app
      await page.getByTestId('connections-view').waitFor()
      await startSandboxFromUi(page)
      const lines = ['TITLE']
      for (let i = 1; i <= ROWS; i++) lines.push(`Room ${i}`)
      await openSheet(app, await sheetFile('rooms.csv', lines))
      expect((await sendNow(page)).count).toBe(ROWS)
      await page.getByTestId('outbox-view').waitFor()
      jobId = (await page.getByTestId('job-detail').getAttribute('data-job-id')) ?? ''
      await expect.poll(() => dataCount(page, 'job-count-created'), { timeout: 30_000 }).toBeGreaterThanOrEqual(10)
    } finally {
      // Quit mid-run (the window closes; the backend shuts down as on window-all-closed).
      await app.close()
    }

    app = await open(opts)
    try {
      const { page } = app
      await page.getByTestId('connections-view').waitFor()
      await go(page, 'outbox')
      const detail = page.locator(`[data-testid="job-detail"][data-job-id="${jobId}"][data-status="paused"]`)
      await detail.waitFor()
      expect(await page.getByTestId('job-status').innerText()).toBe('Paused')
      expect(await page.getByTestId('job-resume').isVisible()).toBe(true)
      expect(await page.getByTestId('job-pause').count()).toBe(0)
      // Stopped mid-run: part of the rows are created, the rest wait; rows that were on the wire are looked up first.
      expect(await dataCount(page, 'job-count-created')).toBeLessThan(ROWS)
      const onTheWire = await dataCount(page, 'job-count-sending').catch(() => 0)
      if (onTheWire > 0) expect(await page.getByTestId('job-in-doubt').getAttribute('data-count')).toBe(String(onTheWire))
      // The sandbox of the new start is not running yet: Resume says why and offers to start it.
      expect(await page.getByTestId('sync-blocked-reason').innerText()).toContain('The sandbox portal is stopped.')
      await shootBoth(app, J, 'paused')
      await setLanguage(page, 'ru')
      await go(page, 'outbox')
      await detail.waitFor()
      expect(await page.getByTestId('job-resume').innerText()).toBe('Продолжить')
      await shootBoth(app, J, 'paused-ru')
      await setLanguage(page, 'en')
      await go(page, 'outbox')
      await page.getByTestId('sync-blocked-fix').click()
      await expect.poll(() => page.getByTestId('job-resume').isEnabled()).toBe(true)
      await page.getByTestId('job-resume').click()
      await finished(page)
      expect(await dataCount(page, 'job-count-created')).toBe(ROWS)
      const chats = await sandboxChats(app)
      expect(chats).toHaveLength(ROWS)
      expect(duplicatesOf(chats)).toEqual([])
      expect(new Set(chats.map((c) => c.title)).size).toBe(ROWS)
    } finally {
      await app.close()
    }
  })
})
