import { afterAll, describe, expect, it } from 'vitest'
import { KeytarSecretStore } from '../../electron/keychain/keytar-store'
import { closeBrowser, openApp } from './harness'

const SECRET = 'e2eHookSecretZ8x4'
const service = `b24-chat-admin-e2e-conn-${process.pid}`

describe('Connections screen (real keychain, real backend)', () => {
  afterAll(async () => {
    await new KeytarSecretStore(service).delete('Acme portal').catch(() => false)
    await closeBrowser()
  })

  it('adds a webhook profile and lists it without its secret', async () => {
    const app = await openApp({ keychainService: service })
    try {
      const { page } = app
      await page.getByTestId('connections-view').waitFor()
      await page.getByTestId('sandbox-card').waitFor()
      await app.screenshot('connections-empty-light')

      await page.getByTestId('add-name').fill('Acme portal')
      await page.getByTestId('add-webhook').fill(`http://acme.bitrix24.com/rest/7/${SECRET}/`)
      await expect.poll(() => page.getByTestId('add-profile').innerText()).toMatch(/https/)
      await page.getByTestId('add-webhook').fill(`https://acme.bitrix24.com/rest/7/${SECRET}/`)
      await page.getByTestId('add-submit').click()

      const card = page.locator('[data-testid="profile-card"][data-profile="Acme portal"]')
      await card.waitFor()
      expect(await card.getByTestId('profile-portal').innerText()).toBe('https://acme.bitrix24.com/')
      expect(await card.getByTestId('profile-keychain').innerText()).toBe('Secret stored')
      // The secret is nowhere on the page: not in text, not in inputs, not in attributes.
      const html = await page.content()
      expect(html).not.toContain(SECRET)
      expect(await page.getByTestId('add-webhook').inputValue()).toBe('')
      // ...and it is in the real OS keychain.
      expect(await new KeytarSecretStore(service).get('Acme portal')).toContain(SECRET)
      await app.screenshot('connections-profile-added-light')
    } finally {
      await app.close()
    }
  })
})
