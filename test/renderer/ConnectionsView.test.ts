import './helpers/resizeObserver'
import { afterEach, describe, expect, it } from 'vitest'
import ConnectionsView from '../../renderer/src/views/ConnectionsView.vue'
import { allByTestId, bodyText, buttonWithText, byTestId, click, expectToastFollowsRussian, mountView, typeInto } from './helpers/mount'
import type { Mounted } from './helpers/mount'
import { webhookProfile, sandboxProfile } from './helpers/fakeApi'

let m: Mounted | undefined
afterEach(() => {
  m?.wrapper.unmount()
  m = undefined
  document.body.innerHTML = ''
})

const SECRET = 'abcDEF123456secret'

describe('Connections', () => {
  it('lists profiles with portal, acting user, plan and keychain status, and never a secret', async () => {
    m = await mountView(ConnectionsView, { profiles: [sandboxProfile(), webhookProfile('Company'), { ...webhookProfile('Broken'), hasSecret: false, keychainError: 'no Secret Service running' }] })
    const cards = allByTestId('profile-card')
    expect(cards.map((c) => c.dataset.profile)).toEqual(['Company', 'Broken'])
    expect(cards[0]?.textContent).toContain('https://company.bitrix24.com/')
    expect(cards[0]?.textContent).toContain('Olga Admin (id 7)')
    expect(cards[0]?.textContent).toContain('Enterprise')
    expect(cards[0]?.querySelector('[data-testid=profile-keychain]')?.textContent).toContain('Secret stored')
    expect(cards[1]?.querySelector('[data-testid=profile-keychain]')?.textContent).toContain('Keychain unavailable')
    expect(cards[1]?.textContent).toContain('no Secret Service running')
    expect(byTestId('sandbox-card')?.dataset.running).toBe('yes')
  })

  it('a keychain that cannot be read is explained in the UI language', async () => {
    const broken = { ...webhookProfile('Broken'), hasSecret: false, keychainError: 'The OS keychain is locked.', keychainErrorRu: 'Хранилище паролей ОС заблокировано.' }
    m = await mountView(ConnectionsView, { profiles: [broken], lang: 'ru' })
    expect(byTestId('profile-keychain-detail')?.textContent).toContain('Хранилище паролей ОС заблокировано.')
    expect(bodyText()).not.toContain('The OS keychain is locked.')
  })

  it('validates a pasted webhook URL instantly, adds the profile, and clears the secret from the form', async () => {
    m = await mountView(ConnectionsView)
    const submit = byTestId('add-submit') as HTMLButtonElement
    await typeInto(byTestId('add-name'), 'Company')
    await typeInto(byTestId('add-webhook'), 'http://portal.example/rest/1/abc/')
    expect(bodyText()).toContain('The webhook must use https://')
    expect(submit.disabled).toBe(true)
    await typeInto(byTestId('add-webhook'), `https://portal.example/rest/12/${SECRET}/`)
    expect(bodyText()).toContain('Looks right: portal https://portal.example/, acting as user 12.')
    expect((byTestId('add-webhook') as HTMLInputElement).type).toBe('password')
    expect(submit.disabled).toBe(false)
    await click(submit)
    expect(m.fake.callsTo('profiles.add')[0]?.arg).toMatchObject({ kind: 'webhook', name: 'Company', webhookUrl: `https://portal.example/rest/12/${SECRET}/` })
    expect((byTestId('add-webhook') as HTMLInputElement).value).toBe('')
    expect(allByTestId('profile-card').map((c) => c.dataset.profile)).toEqual(['Company'])
    expect(bodyText()).not.toContain(SECRET)
  })

  it('shows a backend refusal in words, without keeping the secret', async () => {
    m = await mountView(ConnectionsView)
    m.fake.failNext('profiles.add', { code: 'KEYCHAIN_UNAVAILABLE', message: 'The system keychain is not available: no Secret Service running.' })
    await typeInto(byTestId('add-name'), 'X')
    await typeInto(byTestId('add-webhook'), `https://portal.example/rest/1/${SECRET}/`)
    await click(byTestId('add-submit'))
    expect(byTestId('error-alert')?.textContent).toContain('no Secret Service running')
    expect(byTestId('error-alert')?.textContent).toContain('unlock the system keychain')
    expect((byTestId('add-webhook') as HTMLInputElement).value).toBe('')
  })

  it('Test connection shows the acting user, granted scopes and what is missing in plain words', async () => {
    m = await mountView(ConnectionsView, { profiles: [sandboxProfile(), webhookProfile('Company')] })
    await click(byTestId('profile-test'))
    const report = byTestId('preflight-report')
    expect(report?.textContent).toContain('Connected. Chats can be created.')
    expect(byTestId('preflight-user')?.textContent).toBe('Anna Admin (id 1)')
    // "Acting as: Anna…", with the space the template's line break used to swallow.
    expect(byTestId('preflight-summary')?.textContent).toContain('Acting as: Anna Admin (id 1)')
    expect(byTestId('preflight-scopes')?.textContent).toContain('im')
    expect(byTestId('preflight-missing')?.textContent).toContain('Chats cannot be created as a bot.')
  })

  it('the built-in sandbox and its user are named in the UI language', async () => {
    m = await mountView(ConnectionsView, { profiles: [sandboxProfile()] })
    expect(byTestId('connections-view')?.textContent).toContain('Sandbox administrator (id 1)')
    expect(byTestId('connections-view')?.textContent).not.toContain('Sandbox Admin')
  })

  it('removing asks first, then removes', async () => {
    m = await mountView(ConnectionsView, { profiles: [sandboxProfile(), webhookProfile('Company')] })
    await click(byTestId('profile-remove'))
    expect(bodyText()).toContain('Remove profile “Company”?')
    expect(m.fake.callsTo('profiles.remove')).toHaveLength(0)
    const confirm = Array.from(document.querySelectorAll('.n-dialog button')).find((b) => b.textContent?.trim() === 'Remove')
    await click(confirm ?? null)
    expect(m.fake.callsTo('profiles.remove')[0]?.arg).toEqual({ profile: 'Company' })
    expect(allByTestId('profile-card')).toHaveLength(0)
  })

  it('starts and stops the sandbox portal', async () => {
    m = await mountView(ConnectionsView, { sandboxRunning: false })
    expect(byTestId('sandbox-status')?.textContent).toContain('Stopped')
    expect((byTestId('sandbox-test') as HTMLButtonElement).disabled).toBe(true)
    await click(buttonWithText('Start sandbox'))
    expect(m.fake.callsTo('sandbox.start')).toHaveLength(1)
    expect(byTestId('sandbox-status')?.textContent).toContain('Running at https://127.0.0.1:8443/')
  })

  it('a toast on screen follows a change of language, like the rest of the window', async () => {
    m = await mountView(ConnectionsView, { sandboxRunning: false })
    await click(buttonWithText('Start sandbox'))
    await expectToastFollowsRussian(m, 'The sandbox portal is running.', 'Песочница запущена.')
  })

  it('speaks Russian', async () => {
    m = await mountView(ConnectionsView, { lang: 'ru' })
    expect(bodyText()).toContain('Подключения')
    expect(bodyText()).toContain('Песочница')
    await typeInto(byTestId('add-webhook'), 'not a url')
    expect(bodyText()).toContain('Это не URL.')
  })
})
