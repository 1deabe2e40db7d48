/**
 * Journey (b): compose one chat with members found by search, a colour swatch and an avatar file → "Create now" →
 * the created chat's id and link show → the sandbox chat has that title, colour, members and avatar.
 */
import { resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { fullName, makeUser } from '../../electron/sandbox/users'
import { closeBrowser, openApp } from './harness'
import type { AppSession } from './harness'
import { go, sandboxChats, shootBoth, startSandboxFromUi } from './journey'

const AVATAR = resolve(import.meta.dirname, '../../resources/avatars/support.png') // 200×200 PNG
const service = `b24-chat-admin-e2e-compose-${process.pid}`
const J = 'b-compose'
const TITLE = 'E2E — квартальный отчёт'

/** Members picker: type the e-mail, wait for the portal's answer (name · e-mail, with the user id) and choose it. */
async function addMember(app: AppSession, id: number): Promise<void> {
  const { page } = app
  const u = makeUser(id)
  const picker = page.getByTestId('compose-members')
  await picker.click()
  await picker.locator('input').pressSequentially(u.email)
  const option = page.locator(`[data-testid="compose-members-option"][data-value="${id}"]`)
  await option.waitFor()
  expect(await option.innerText()).toContain(`${fullName(u)} · ${u.email}`)
  await option.click()
  // The chosen member shows as a tag with the portal's name for them.
  const tag = picker.locator(`[data-testid="compose-members-tag"][data-value="${id}"]`)
  await tag.waitFor()
  expect(await tag.innerText()).toContain(fullName(u))
}

describe('journey (b): compose a chat with an avatar', () => {
  afterAll(async () => {
    await closeBrowser()
  })

  it('creates it once; the sandbox chat carries the title, colour, members and avatar', async () => {
    const app = await openApp({ keychainService: service })
    try {
      const { page } = app
      await page.getByTestId('connections-view').waitFor()
      await startSandboxFromUi(page)

      await go(page, 'compose')
      // Nothing can be created yet: no members. The empty title is previewed as the portal's own, in words.
      await page.getByTestId('compose-create').waitFor()
      await expect.poll(() => page.getByTestId('chat-card-title').innerText()).toBe('Chat #… — the portal picks the colour and the name')
      await page.getByTestId('color-RED').click()
      await expect.poll(() => page.getByTestId('chat-card-title').innerText()).toBe('Red Chat #… — named by the portal')
      await page.getByTestId('color-AUTO').click()
      // Entity type and id sit on one line, with hints instead of naive-ui's "Please Input".
      const [typeBox, idBox] = await Promise.all([page.getByTestId('compose-entity-type').boundingBox(), page.getByTestId('compose-entity-id').boundingBox()])
      expect(Math.abs((typeBox?.y ?? 0) - (idBox?.y ?? 1e9))).toBeLessThanOrEqual(1)
      expect(await page.getByTestId('compose-entity-type').getAttribute('placeholder')).toBe('e.g. CRM')
      expect(await page.locator('input[placeholder="Please Input"], textarea[placeholder="Please Input"]').count()).toBe(0)
      await shootBoth(app, J, 'compose-empty')

      await addMember(app, 5)
      await addMember(app, 6)
      await page.keyboard.press('Escape')
      await page.getByTestId('compose-title').fill(TITLE)
      await page.getByTestId('compose-description').fill('Created by the e2e journey (b)')
      await page.getByTestId('color-AZURE').click()
      expect(await page.getByTestId('color-AZURE').getAttribute('aria-checked')).toBe('true')
      await page.getByTestId('compose-avatar-input').setInputFiles(AVATAR)
      await page.getByTestId('compose-avatar-thumb').waitFor()
      expect(await page.getByTestId('compose-avatar-info').innerText()).toMatch(/^200×200 px/)

      // The chat-card preview shows what will be created.
      await expect.poll(() => page.getByTestId('chat-card-title').innerText()).toBe(TITLE)
      await page.getByTestId('chat-card-avatar').waitFor()
      expect(await page.getByTestId('chat-card-members').innerText()).toBe('Members: 2')
      await expect.poll(() => page.getByTestId('compose-create').isEnabled()).toBe(true)
      expect(await page.getByTestId('compose-blocked-reason').count()).toBe(0)
      await shootBoth(app, J, 'compose-filled')

      expect(await sandboxChats(app)).toHaveLength(0)
      await page.getByTestId('compose-create').click()
      const result = page.getByTestId('compose-result')
      await result.waitFor({ timeout: 30_000 })
      const chatId = Number(await result.getAttribute('data-chat-id'))
      expect(chatId).toBeGreaterThan(0)
      expect(await result.innerText()).toContain(`Chat ${chatId} created.`)
      // A sandbox chat opens inside the app (its own certificate would raise a warning in a browser).
      expect(await page.getByTestId('compose-chat-link').innerText()).toBe(`Open chat ${chatId} in Sandbox chats`)
      await shootBoth(app, J, 'compose-created')
      await page.getByTestId('compose-chat-link').click()
      await page.locator(`[data-testid="sandbox-chat-focus"][data-chat-id="${chatId}"]`).waitFor()
      expect(await page.locator(`[data-testid="sandbox-chat-row"][data-chat-id="${chatId}"]`).getAttribute('data-focused')).toBe('yes')
      expect(await page.getByTestId('sandbox-chat-focus').innerText()).toContain(TITLE)
      await shootBoth(app, J, 'sandbox-chat-opened')
      await go(page, 'compose')

      // ---- what the sandbox holds -------------------------------------------------------------------------
      const chats = await sandboxChats(app)
      expect(chats).toHaveLength(1)
      const chat = chats[0]!
      expect(chat.id).toBe(chatId)
      expect(chat.title).toBe(TITLE)
      expect(chat.color).toBe('AZURE')
      expect(chat.type).toBe('CHAT')
      expect(chat.users).toEqual(expect.arrayContaining([5, 6]))
      expect(chat.avatar).toEqual({ mime: 'image/png', width: 200, height: 200 })

      // The Sandbox chats screen lists it too.
      await go(page, 'sandboxChats')
      const row = page.locator(`[data-testid="sandbox-chat-row"][data-chat-id="${chatId}"]`)
      await row.waitFor()
      expect(await row.innerText()).toContain(TITLE)
      await shootBoth(app, J, 'sandbox-chats')
    } finally {
      await app.close()
    }
  })
})
