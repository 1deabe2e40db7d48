import './helpers/resizeObserver'
import { afterEach, describe, expect, it } from 'vitest'
import App from '../../renderer/src/App.vue'
import SettingsView from '../../renderer/src/views/SettingsView.vue'
import { useAppStore } from '../../renderer/src/stores/app'
import { bodyText, byTestId, click, expectToastFollowsRussian, mountView, settle, toastText } from './helpers/mount'
import type { Mounted } from './helpers/mount'

let m: Mounted | undefined
afterEach(() => {
  m?.wrapper.unmount()
  m = undefined
  document.body.innerHTML = ''
})

const radio = (testid: string): Element | null => byTestId(testid)?.querySelector('input') ?? byTestId(testid)

describe('Settings and the app shell', () => {
  it('switching the language to Russian changes every screen’s text and is saved', async () => {
    m = await mountView(App)
    expect(byTestId('nav')?.textContent).toContain('Connections')
    await click(byTestId('nav-settings'))
    expect(byTestId('settings-view')).not.toBeNull()
    await click(radio('settings-language-ru'))
    expect(m.fake.callsTo('settings.set')[0]?.arg).toEqual({ language: 'ru' })
    expect(byTestId('nav')?.textContent).toContain('Подключения')
    expect(byTestId('nav')?.textContent).toContain('Исходящие и задания')
    expect(bodyText()).toContain('Защитная метка от дублей')
    expect(document.documentElement.lang).toBe('ru')
    await click(byTestId('nav-connections'))
    expect(byTestId('connections-view')?.textContent).toContain('Добавить портал')
  })

  it('an error toast says what the backend said, in both languages, and follows a change of language', async () => {
    m = await mountView(SettingsView)
    m.fake.failNext('settings.set', {
      code: 'INTERNAL',
      message: 'The settings file could not be written.',
      messageRu: 'Не удалось записать файл настроек.',
      portalError: 'DISK_FULL',
      portalDescription: 'No space left',
    })
    await click(byTestId('settings-dedupe'))
    // Its own Russian text and the portal's words, not the generic sentence for its code with the English after it.
    await expectToastFollowsRussian(m, 'The settings file could not be written. (DISK_FULL: No space left)', 'Не удалось записать файл настроек. (DISK_FULL: No space left)')
    expect(toastText()).not.toContain('Внутренняя ошибка приложения')
  })

  it('"As the system" follows the OS locale from app.info', async () => {
    m = await mountView(App, { locale: 'ru-RU' })
    expect(byTestId('nav')?.textContent).toContain('Подключения')
  })

  it('theme: forced dark by the setting, otherwise following the OS', async () => {
    m = await mountView(App)
    const app = useAppStore()
    expect(app.dark).toBe(false)
    app.osDark = true
    expect(app.dark).toBe(true)
    await click(byTestId('nav-settings'))
    await click(radio('settings-theme-light'))
    expect(app.dark).toBe(false)
    expect(m.fake.settings.theme).toBe('light')
  })

  it('explains duplicate protection, its side effect, and shows the data folder read-only', async () => {
    m = await mountView(SettingsView)
    expect(bodyText()).toContain('a retry can never create a second chat')
    expect(byTestId('settings-dedupe-side-effect')?.textContent).toContain('without the portal’s automatic greeting message')
    const dir = byTestId('settings-data-dir') as HTMLInputElement
    expect(dir.value).toBe('/tmp/b24-data')
    expect(dir.readOnly).toBe(true)
    expect(byTestId('settings-pacing-value')?.textContent).toBe('90% of the limits')
  })

  it('changing the data folder records the choice and says a restart applies it', async () => {
    m = await mountView(SettingsView)
    m.fake.pickedDataDir = '/srv/b24-chat-data'
    await click(byTestId('settings-data-dir-change'))
    await settle()
    expect(m.fake.callsTo('app.chooseDataDir')).toHaveLength(1)
    expect(byTestId('settings-data-dir-notice')?.textContent).toContain('will use /srv/b24-chat-data from its next start')
    // A cancelled dialog says nothing new.
    m.fake.pickedDataDir = null
    await click(byTestId('settings-data-dir-change'))
    await settle()
    expect(byTestId('settings-data-dir-notice')).toBeNull()
  })

  it('toggles are saved', async () => {
    m = await mountView(SettingsView)
    await click(byTestId('settings-verify'))
    expect(m.fake.callsTo('settings.set')[0]?.arg).toEqual({ verifyAfterCreate: true })
    await click(byTestId('settings-dedupe'))
    expect(m.fake.settings.dedupeTagging).toBe(false)
  })

  it('Ctrl+O anywhere opens the import file dialog', async () => {
    m = await mountView(App)
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'o', ctrlKey: true }))
    await settle()
    expect(byTestId('import-view')).not.toBeNull()
    expect(m.fake.callsTo('sheets.openDialog')).toHaveLength(1)
  })
})
