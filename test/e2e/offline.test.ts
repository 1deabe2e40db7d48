/**
 * Journey (c): offline prep. With the sandbox portal stopped, import the sample sheet and save it as a draft →
 * restart the app on the same data folder → the draft is still in Outbox & jobs → start the sandbox → Sync → each
 * chat is created exactly once.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { closeBrowser, openApp } from './harness'
import { dataCount, go, openSheet, sandboxChats, shootBoth, startSandboxFromUi } from './journey'

const SAMPLE = resolve(import.meta.dirname, '../../resources/sample-chats.csv')
const service = `b24-chat-admin-e2e-offline-${process.pid}`
const J = 'c-offline'
const STOPPED_REASON = 'The sandbox portal is stopped. Start it to sync.'
/** sample-chats.csv: 12 rows, 2 with errors, one member unknown to the sandbox (refused at send time). */
const ROWS = 12
const BAD = 2
const EXPECTED_CREATED = 9 // 10 valid rows, one refused (nobody@sandbox.test)

describe('journey (c): offline prep, restart, sync', () => {
  let dataDir = ''
  afterAll(async () => {
    await closeBrowser()
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  })

  it('keeps the draft across a restart and creates each chat once when synced', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'b24-e2e-offline-'))

    // ---- session 1: portal offline, prepare the work ----------------------------------------------------------
    let app = await openApp({ keychainService: service, dataDir })
    let jobId: string
    try {
      const { page } = app
      await page.getByTestId('connections-view').waitFor()
      // The sandbox holds nothing and is offline.
      await startSandboxFromUi(page)
      await page.getByTestId('sandbox-toggle').click()
      await page.locator('[data-testid="sandbox-card"][data-running="no"]').waitFor()
      await shootBoth(app, J, 'connections-stopped')

      await openSheet(app, SAMPLE)
      expect(await dataCount(page, 'import-row-count')).toBe(ROWS)
      // Sending needs the portal; saving a draft does not.
      await expect.poll(() => page.getByTestId('send-blocked-reason').innerText()).toBe(STOPPED_REASON)
      expect(await page.getByTestId('send-now').isDisabled()).toBe(true)
      expect(await page.getByTestId('save-draft').isEnabled()).toBe(true)
      await shootBoth(app, J, 'preview-offline')
      await page.getByTestId('save-draft').click()
      await page.getByText(`Saved as a draft in the outbox (rows: ${ROWS - BAD}).`).waitFor()

      await go(page, 'outbox')
      const item = page.locator('[data-testid="outbox-active"] [data-testid="job-item"]')
      await expect.poll(() => item.count()).toBe(1)
      expect(await item.getAttribute('data-status')).toBe('draft')
      jobId = (await item.getAttribute('data-job-id')) ?? ''
      expect(jobId).not.toBe('')
      await item.click()
      await page.locator(`[data-testid="job-detail"][data-job-id="${jobId}"][data-status="draft"]`).waitFor()
      expect(await page.getByTestId('sync-blocked-reason').innerText()).toContain(STOPPED_REASON)
      expect(await page.getByTestId('job-sync').isDisabled()).toBe(true)
      await shootBoth(app, J, 'outbox-draft-offline')
    } finally {
      await app.close()
    }

    // ---- session 2: the app restarted on the same data folder ----------------------------------------------
    app = await openApp({ keychainService: service, dataDir })
    try {
      const { page } = app
      await page.getByTestId('connections-view').waitFor()
      await go(page, 'outbox')
      const item = page.locator(`[data-testid="outbox-active"] [data-testid="job-item"][data-job-id="${jobId}"]`)
      await item.waitFor()
      expect(await item.getAttribute('data-status')).toBe('draft')
      expect(await page.locator('[data-testid="outbox-active"] [data-testid="job-item"]').count()).toBe(1)
      expect(await item.innerText()).toContain('sample-chats.csv')
      await item.click()
      const detail = page.locator(`[data-testid="job-detail"][data-job-id="${jobId}"]`)
      await detail.waitFor()
      // The rows with errors are listed as not sent; the progress runs over those that can be sent, none yet.
      expect(await detail.getByTestId('job-progress').getAttribute('data-rows')).toBe(String(ROWS))
      expect(await detail.getByTestId('job-progress').getAttribute('data-total')).toBe(String(ROWS - BAD))
      expect(await detail.getByTestId('job-progress').getAttribute('data-done')).toBe('0')
      expect(await dataCount(page, 'job-count-not-sent')).toBe(BAD)
      expect(await page.getByTestId('job-retry').count()).toBe(0)
      expect(await page.getByTestId('job-sync').isDisabled()).toBe(true)
      await shootBoth(app, J, 'outbox-after-restart')

      // Start the sandbox on Connections, come back, Sync.
      await startSandboxFromUi(page)
      const before = (await sandboxChats(app)).length
      expect(before).toBe(0)
      await go(page, 'outbox')
      await page.locator(`[data-testid="job-item"][data-job-id="${jobId}"]`).click()
      await detail.waitFor()
      await expect.poll(() => page.getByTestId('job-sync').isEnabled()).toBe(true)
      expect(await page.getByTestId('sync-blocked-reason').count()).toBe(0)
      await page.getByTestId('job-sync').click()
      await page.locator(`[data-testid="job-detail"][data-job-id="${jobId}"][data-status="finished"]`).waitFor({ timeout: 60_000 })
      const created = await dataCount(page, 'job-count-created')
      expect(created).toBe(EXPECTED_CREATED)
      // Every row accounted for: created, refused by the portal (1), not sent (BAD).
      expect(await dataCount(page, 'job-count-failed')).toBe(1)
      expect(await dataCount(page, 'job-count-not-sent')).toBe(BAD)
      expect(created + 1 + BAD).toBe(ROWS)
      expect(await page.getByTestId('job-done').innerText()).toBe(`${ROWS - BAD} / ${ROWS - BAD}`)
      // The finished job moved to the history.
      await page.locator(`[data-testid="outbox-history"] [data-testid="job-item"][data-job-id="${jobId}"][data-status="finished"]`).waitFor()
      expect(await page.locator('[data-testid="outbox-active"] [data-testid="job-item"]').count()).toBe(0)
      await shootBoth(app, J, 'outbox-synced')

      // ---- each chat created once -------------------------------------------------------------------------
      const chats = await sandboxChats(app)
      expect(chats.length - before).toBe(created)
      const pairs = chats.filter((c) => c.entityType).map((c) => `${c.entityType}|${c.entityId}`)
      expect(new Set(pairs).size).toBe(pairs.length)
      // Rows with their own entity keep it; the rest carry the app's duplicate-protection tag (derived from the
      // row's identity, not the job), so a second send of the same row — from any job — is recognised.
      expect(pairs).toHaveLength(chats.length)
      expect(pairs.filter((p) => !p.startsWith('B24CHATADMIN|')).sort()).toEqual(['ACME_PROJECT|phoenix', 'CRM|DEAL|1663'])
      expect(pairs.filter((p) => /^B24CHATADMIN\|c1-[0-9a-f]{40}$/.test(p))).toHaveLength(created - 2)
      expect(new Set(chats.map((c) => c.title)).size).toBe(chats.length)

      await go(page, 'sandboxChats')
      await expect.poll(() => dataCount(page, 'sandbox-chats-count')).toBe(created)
      await shootBoth(app, J, 'sandbox-chats')
    } finally {
      await app.close()
    }
  })
})
