import './helpers/resizeObserver'
import { afterEach, describe, expect, it } from 'vitest'
import ImportView from '../../renderer/src/views/ImportView.vue'
import { allByTestId, bodyText, byTestId, click, mountView, settle, typeInto } from './helpers/mount'
import type { Mounted } from './helpers/mount'
import { FakeApi, makeCsv } from './helpers/fakeApi'
import { useSheetStore } from '../../renderer/src/stores/sheet'

let m: Mounted | undefined
afterEach(() => {
  m?.wrapper.unmount()
  m = undefined
  document.body.innerHTML = ''
})

async function drop(name = 'chats.csv'): Promise<void> {
  const zone = byTestId('import-view')!
  const file = new File([makeCsv(3)], name, { type: 'text/csv' })
  const ev = new Event('drop', { bubbles: true, cancelable: true }) as DragEvent
  Object.defineProperty(ev, 'dataTransfer', { value: { files: [file] } })
  zone.dispatchEvent(ev)
  for (let i = 0; i < 300 && !byTestId('mapping-step'); i++) {
    await new Promise((r) => setTimeout(r, 10))
    await settle()
  }
}

/** The dialog's own state (its content may stay in the DOM while the leave transition has nowhere to run). */
const dialogOpen = (): boolean => byTestId('avatar-folders-open')?.dataset.open === 'true'

describe('Avatar folders', () => {
  it('asks once when avatars are outside the sheet’s folder; Allow sends exactly the listed folders and reads the sheet again', async () => {
    const fake = new FakeApi()
    fake.avatarFoldersDefault = { sheetFolder: '/home/me/sheets', picked: null, allowed: ['/home/me/sheets'], outside: [{ folder: '/srv/pics', rows: 2 }, { folder: '/tmp', rows: 1 }], unresolved: 0, canPick: true }
    m = await mountView(ImportView, { fake })
    await drop()
    expect(dialogOpen()).toBe(true)
    expect(byTestId('avatar-folders-base')?.textContent).toBe('the sheet’s folder: /home/me/sheets')
    expect(allByTestId('avatar-folders-outside-item').map((li) => li.textContent?.replace(/\s+/g, ' ').trim())).toEqual(['/srv/pics rows: 2', '/tmp rows: 1'])
    const rowsBefore = fake.callsTo('sheets.rows').length
    await click(byTestId('avatar-folders-allow'))
    expect(fake.callsTo('sheets.allowAvatarFolders').map((c) => c.arg)).toEqual([{ sheetId: expect.any(String), folders: ['/srv/pics', '/tmp'] }])
    expect(fake.callsTo('sheets.rows').length).toBeGreaterThan(rowsBefore)
    expect(bodyText()).toContain('Folders allowed for this sheet: 2. Avatars read again.')
    await settle()
    expect(byTestId('avatar-folders-open')?.textContent?.trim()).toBe('Avatar folders')
  })

  it('"Not now" closes it; it does not ask again for the same sheet, and the file bar says what is left', async () => {
    const fake = new FakeApi()
    fake.avatarFoldersDefault = { sheetFolder: '/s', picked: null, allowed: ['/s'], outside: [{ folder: '/x', rows: 4 }], unresolved: 0, canPick: true }
    m = await mountView(ImportView, { fake })
    await drop()
    await click(byTestId('avatar-folders-not-now'))
    await new Promise((r) => setTimeout(r, 300))
    await settle()
    expect(fake.callsTo('sheets.allowAvatarFolders')).toEqual([])
    expect(byTestId('avatar-folders-open')?.textContent?.trim()).toBe('Avatar folders: 1 to check')
    expect(dialogOpen()).toBe(false)
    // A re-read of the same sheet (another encoding) asks the backend again but does not open the dialog again.
    const asked = fake.callsTo('sheets.avatarFolders').length
    await useSheetStore().reimport({ encoding: 'windows-1251' })
    await settle()
    expect(fake.callsTo('sheets.avatarFolders').length).toBe(asked + 1)
    await new Promise((r) => setTimeout(r, 300))
    await settle()
    expect(dialogOpen()).toBe(false)
    await click(byTestId('avatar-folders-open'))
    expect(dialogOpen()).toBe(true)
  })

  it('browser mode: no folder dialog, a typed path instead; rows without a folder are counted', async () => {
    const fake = new FakeApi()
    fake.avatarFoldersDefault = { sheetFolder: null, picked: null, allowed: [], outside: [], unresolved: 7, canPick: false }
    m = await mountView(ImportView, { fake })
    await drop()
    expect(dialogOpen()).toBe(true)
    expect(byTestId('avatar-folders-base')?.textContent).toBe('no folder yet: this sheet was opened without one')
    expect(byTestId('avatar-folders-unresolved')?.textContent).toContain('Rows whose relative avatar path has no folder to be read from: 7')
    expect(byTestId('avatar-folders-choose')).toBeNull()
    await typeInto(byTestId('avatar-folders-typed'), '  /home/me/avatars ')
    await click(byTestId('avatar-folders-use'))
    expect(fake.callsTo('sheets.setAvatarFolder').map((c) => c.arg)).toEqual([{ sheetId: expect.any(String), folder: '/home/me/avatars' }])
    expect(bodyText()).toContain('Avatars are now read from /home/me/avatars.')
    expect(byTestId('avatar-folders-base')?.textContent).toBe('/home/me/avatars (chosen for this sheet)')
  })

  it('desktop: "Choose folder…" asks the host’s dialog (no folder in the call); a cancelled dialog changes nothing', async () => {
    const fake = new FakeApi()
    fake.avatarFoldersDefault = { sheetFolder: null, picked: null, allowed: [], outside: [], unresolved: 2, canPick: true }
    m = await mountView(ImportView, { fake })
    await drop()
    fake.pickedAvatarFolder = null
    await click(byTestId('avatar-folders-choose'))
    expect(fake.callsTo('sheets.setAvatarFolder').map((c) => c.arg)).toEqual([{ sheetId: expect.any(String) }])
    expect(bodyText()).not.toContain('Avatars are now read from')
    fake.pickedAvatarFolder = '/picked/here'
    await click(byTestId('avatar-folders-choose'))
    expect(bodyText()).toContain('Avatars are now read from /picked/here.')
  })

  it('says it in Russian', async () => {
    const fake = new FakeApi()
    fake.avatarFoldersDefault = { sheetFolder: '/s', picked: null, allowed: ['/s'], outside: [{ folder: '/x', rows: 1 }], unresolved: 0, canPick: true }
    m = await mountView(ImportView, { fake, lang: 'ru' })
    await drop()
    expect(bodyText()).toContain('Откуда берутся картинки аватаров')
    expect(byTestId('avatar-folders-allow')?.textContent).toContain('Разрешить эти папки')
  })
})
