import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { isReactive, isProxy } from 'vue'
import { setApiForTests } from '../../renderer/src/api'
import { indexOfLine, summarize, toPreviewRow, useSheetStore } from '../../renderer/src/stores/sheet'
import { useJobsStore } from '../../renderer/src/stores/jobs'
import { useProfilesStore } from '../../renderer/src/stores/profiles'
import { useSettingsStore } from '../../renderer/src/stores/settings'
import { emptyCounts } from '../../electron/shared/jobs'
import type { JobEvent } from '../../electron/shared/jobs'
import { SANDBOX_PROFILE } from '../../electron/shared/profile'
import { FakeApi, makeCsv, validateCells, webhookProfile, sandboxProfile } from './helpers/fakeApi'
import { settle } from './helpers/mount'

let fake: FakeApi
beforeEach(() => {
  fake = new FakeApi({ profiles: [sandboxProfile(), webhookProfile()] })
  setApiForTests(fake.api())
  setActivePinia(createPinia())
})

const file = (name: string, text: string): File => new File([text], name, { type: 'text/csv' })

describe('preview rows', () => {
  it('show ids until a live check, then names; unresolved e-mails are marked', () => {
    const row = validateCells('k', 2, { Title: 'A', Color: 'RED', Users: '1 2 zed@example.com' })
    expect(toPreviewRow(row).members).toBe('1, 2, zed@example.com')
    const checked = { ...row, live: { resolved: { 'zed@example.com': null }, names: { 1: 'Anna Admin', 2: 'Boris Petrov' } } }
    expect(toPreviewRow(checked).members).toBe('Anna Admin, Boris Petrov, ✗ zed@example.com')
  })

  it('carry the real Bitrix24 hex, or none when the server picks the colour', () => {
    expect(toPreviewRow(validateCells('k', 2, { Title: 'A', Color: 'MINT', Users: '1' })).colorHex).toBe('#4ba984')
    expect(toPreviewRow(validateCells('k', 2, { Title: 'A', Color: '', Users: '1' })).colorHex).toBeNull()
    const bad = toPreviewRow(validateCells('k', 2, { Title: 'A', Color: 'Fuchsia', Users: '1' }), 'Color')
    expect(bad.colorInvalid).toBe('Fuchsia')
    expect(bad.colorHex).toBeNull()
    expect(toPreviewRow(validateCells('k', 2, { Title: 'A', Color: '', Users: '1' }), 'Color').colorInvalid).toBeNull()
  })
})

describe('sheet store', () => {
  it('send plan: the caller always gets its own answer; the preview shows the latest request\'s', async () => {
    const sheet = useSheetStore()
    await sheet.importFile(file('chats.csv', makeCsv(3)))
    fake.createdBefore.set('k1', { match: 'already-created', chatId: 9, source: 'history' })
    // Send now asks the portal; a background re-plan (after an edit) starts before that answer is in.
    const asked = sheet.refreshPlan(SANDBOX_PROFILE, { portal: true })
    fake.createdBefore.set('k2', { match: 'already-created', chatId: 10, source: 'history' })
    const later = sheet.refreshPlan(SANDBOX_PROFILE)
    const [mine, theirs] = await Promise.all([asked, later])
    expect(mine?.toCreate).not.toBeUndefined()
    expect(theirs?.toCreate).toBe(1)
    expect(sheet.plan).toBe(theirs)
    expect([...sheet.sent.keys()]).toEqual(['k1', 'k2'])
    expect(sheet.counts).toMatchObject({ ready: 1, created: 2, changed: 0 })
  })

  it('imports a dropped file with its bytes and name, and keeps the big row array out of deep reactivity', async () => {
    const sheet = useSheetStore()
    await sheet.importFile(file('chats.csv', makeCsv(1000, (i) => i % 10 === 0)))
    const call = fake.callsTo('sheets.import')[0]
    expect(call?.arg).toMatchObject({ name: 'chats.csv', bytes: `<${makeCsv(1000, (i) => i % 10 === 0).length} bytes>` })
    expect(sheet.summary).toEqual({ rows: 1000, ready: 900, warning: 0, error: 100 })
    expect(sheet.step).toBe('mapping')
    expect(isReactive(sheet.rows)).toBe(false)
    expect(isProxy(sheet.rows[0])).toBe(false)
  })

  it('reads the rows of a big sheet in pages after the import, in sheet order', async () => {
    const sheet = useSheetStore()
    await sheet.importFile(file('big.csv', makeCsv(12_001, (i) => i % 1000 === 0)))
    expect(fake.callsTo('sheets.rows').map((c) => c.arg)).toEqual([
      { sheetId: sheet.sheet?.sheetId, offset: 0, limit: 5000 },
      { sheetId: sheet.sheet?.sheetId, offset: 5000, limit: 5000 },
      { sheetId: sheet.sheet?.sheetId, offset: 10_000, limit: 5000 },
    ])
    expect(sheet.rows).toHaveLength(12_001)
    expect(sheet.rows.at(-1)?.line).toBe(12_002)
    expect(summarize(sheet.rows)).toEqual(sheet.summary)
    expect(sheet.busy).toBe('')
  })

  it('a sheet whose rows cannot be read leaves the previous preview in place', async () => {
    const sheet = useSheetStore()
    await sheet.importFile(file('a.csv', makeCsv(3)))
    const before = sheet.rows
    fake.failNext('sheets.rows', { code: 'NOT_FOUND', message: 'The sheet is no longer open.', messageRu: 'Лист больше не открыт.' })
    const first = sheet.sheet?.sheetId
    await expect(sheet.importFile(file('b.csv', makeCsv(5)))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(sheet.rows).toBe(before)
    expect(sheet.sheet?.sheetId).toBe(first)
    // The old sheet stays open in the backend (its rows can still be edited); the half-loaded new one is closed.
    expect(fake.callsTo('sheets.close').map((c) => c.arg)).toEqual([{ sheetId: 's2' }])
    expect(fake.sheets.has(first!)).toBe(true)
    expect(sheet.busy).toBe('')
  })

  it('filters by status', async () => {
    const sheet = useSheetStore()
    await sheet.importFile(file('c.csv', makeCsv(20, (i) => i < 3)))
    sheet.filter = 'error'
    expect(sheet.filteredRows.map((r) => r.line)).toEqual([2, 3, 4])
    sheet.filter = 'ready'
    expect(sheet.filteredRows).toHaveLength(17)
  })

  it('an inline edit sends one edit batch and replaces just that row, updating the counts; undo and redo replay it', async () => {
    const sheet = useSheetStore()
    await sheet.importFile(file('c.csv', makeCsv(5, (i) => i === 1)))
    const bad = sheet.rows[1]!
    expect(bad.status).toBe('error')
    const before = sheet.rows
    const updated = await sheet.editCell(bad.key, 'Color', 'PINK')
    expect(fake.callsTo('sheets.editCells')[0]?.arg).toEqual({ sheetId: sheet.sheet?.sheetId, edits: [{ rowKey: bad.key, column: 'Color', value: 'PINK' }] })
    expect(updated.status).toBe('ready')
    expect(sheet.rows).not.toBe(before)
    expect(sheet.rows[1]?.colorHex).toBe('#f76187')
    expect(sheet.rows[0]).toBe(before[0])
    expect(sheet.summary).toEqual({ rows: 5, ready: 5, warning: 0, error: 0 })
    expect(sheet.rowByKey(updated.key)?.line).toBe(bad.line)
    expect(summarize(sheet.rows)).toEqual(sheet.summary)
    // Undo puts the old text back (through the backend), redo applies the edit again.
    expect(sheet.canUndo).toBe(true)
    await sheet.undo()
    expect(fake.callsTo('sheets.editCells')[1]?.arg).toMatchObject({ edits: [{ rowKey: bad.key, column: 'Color', value: 'BLURPLE' }] })
    expect(sheet.rows[1]?.status).toBe('error')
    expect(sheet.summary.error).toBe(1)
    expect([sheet.canUndo, sheet.canRedo]).toEqual([false, true])
    await sheet.redo()
    expect(sheet.rows[1]?.colorHex).toBe('#f76187')
    expect([sheet.canUndo, sheet.canRedo]).toEqual([true, false])
  })

  it('a file that cannot be read, or has no rows, stays at step 1 (nothing moves on to the mapping)', async () => {
    const sheet = useSheetStore()
    await sheet.importFile(file('empty.csv', 'Title,Color,Users\n'))
    expect(sheet.sheet).toBeNull()
    expect(sheet.step).toBe('file')
    expect(sheet.rejected?.meta.fileName).toBe('empty.csv')
    await sheet.openSample()
    expect(sheet.rejected).toBeNull()
    expect(sheet.step).toBe('mapping')
    expect(sheet.sheet?.meta.fileName).toBe('sample-chats.csv')
  })

  it('the mapping step re-imports only when the mapping changed', async () => {
    const sheet = useSheetStore()
    await sheet.importFile(file('c.csv', makeCsv(3)))
    await sheet.confirmMapping()
    expect(fake.callsTo('sheets.reimport')).toHaveLength(0)
    expect(sheet.step).toBe('preview')
    sheet.step = 'mapping'
    sheet.setMapping('DESCRIPTION', 'Title')
    await sheet.confirmMapping()
    expect(fake.callsTo('sheets.reimport')[0]?.arg).toMatchObject({ options: { mapping: { TITLE: 'Title', COLOR: 'Color', USERS: 'Users', DESCRIPTION: 'Title' } } })
  })

  it('opening a new file closes the previous sheet in the backend', async () => {
    const sheet = useSheetStore()
    await sheet.importFile(file('a.csv', makeCsv(2)))
    const first = sheet.sheet?.sheetId
    await sheet.openDialog()
    expect(fake.callsTo('sheets.close')[0]?.arg).toEqual({ sheetId: first })
  })
})

describe('settings store', () => {
  it('rolls back a change the backend refuses', async () => {
    const settings = useSettingsStore()
    await settings.load()
    fake.failNext('settings.set', { code: 'VALIDATION', message: 'No.' })
    await expect(settings.set({ theme: 'dark' })).rejects.toBeTruthy()
    expect(settings.settings.theme).toBe('system')
    expect(settings.error?.code).toBe('VALIDATION')
  })
})

describe('profiles store: why sync is blocked', () => {
  it('sandbox stopped → start it; failed preflight → the reason; healthy → nothing', async () => {
    const profiles = useProfilesStore()
    await profiles.load()
    fake.sandbox.running = false
    await profiles.refreshSandbox()
    expect(profiles.syncBlocker(SANDBOX_PROFILE)).toMatchObject({ key: 'outbox.syncDisabled.sandboxStopped', action: 'startSandbox' })
    await profiles.startSandbox()
    expect(profiles.syncBlocker(SANDBOX_PROFILE)).toBeNull()

    expect(profiles.syncBlocker('Company')).toBeNull()
    fake.failNext('profiles.test', { code: 'NETWORK', message: 'The portal did not answer.' })
    await profiles.test('Company')
    expect(profiles.syncBlocker('Company')).toMatchObject({ key: 'outbox.syncDisabled.preflightFailed', action: 'test' })
    await profiles.test('Company')
    expect(profiles.syncBlocker('Company')).toBeNull()
    expect(profiles.syncBlocker('Gone')).toMatchObject({ key: 'outbox.syncDisabled.noProfile' })
  })
})

describe('jobs store', () => {
  const progress = (created: number) => ({ counts: { ...emptyCounts(), created, planned: 10 - created }, total: 10, chatsPerSec: 1, etaSec: 9, pacing: { kind: 'sending' as const } })

  it('buffers events that arrive while the snapshot is on its way, then replays the newer ones', async () => {
    fake.addJob({ id: 'j1', status: 'running', progress: progress(3) }, [], 5)
    const jobs = useJobsStore()
    const off = jobs.subscribe()
    // An event for a job the window does not know yet triggers a snapshot; more events arrive before it lands.
    fake.emit({ type: 'progress', jobId: 'j1', seq: 4, at: 1, progress: progress(2) })
    fake.emit({ type: 'progress', jobId: 'j1', seq: 6, at: 2, progress: progress(6) })
    fake.emit({ type: 'rows', jobId: 'j1', seq: 7, at: 3, rows: [{ rowKey: 'r1', line: 2, state: 'created', chatId: 77, at: 3 }] })
    await settle()
    expect(fake.callsTo('jobs.snapshot')).toHaveLength(1)
    const s = jobs.states.j1!
    expect(s.seq).toBe(7)
    expect(s.summary.progress.counts.created).toBe(6)
    expect(s.log.map((r) => r.chatId)).toEqual([77])
    // Live from now on, stale ones ignored.
    fake.emit({ type: 'progress', jobId: 'j1', seq: 6, at: 4, progress: progress(1) })
    fake.emit({ type: 'finished', jobId: 'j1', seq: 8, at: 5, progress: progress(10) })
    expect(jobs.states.j1?.summary.status).toBe('finished')
    expect(jobs.history.map((j) => j.id)).toEqual(['j1'])
    off()
    expect(fake.listeners.size).toBe(0)
  })

  it('a command is followed by a snapshot, so the window shows what the backend did', async () => {
    fake.addJob({ id: 'd1', status: 'draft' })
    const jobs = useJobsStore()
    await jobs.load()
    await jobs.start('d1')
    expect(fake.callsTo('jobs.start')[0]?.arg).toEqual({ jobId: 'd1' })
    expect(fake.callsTo('jobs.snapshot')[0]?.arg).toEqual({ jobId: 'd1' })
    expect(jobs.states.d1?.summary.status).toBe('queued')
  })

  it('subscriptions are reference counted: the bridge listener goes away with the last one', () => {
    const jobs = useJobsStore()
    const a = jobs.subscribe()
    const b = jobs.subscribe()
    expect(fake.listeners.size).toBe(1)
    a()
    a()
    expect(fake.listeners.size).toBe(1)
    b()
    expect(fake.listeners.size).toBe(0)
  })

  it('removing a job drops it from the lists', async () => {
    fake.addJob({ id: 'd1', status: 'draft' })
    const jobs = useJobsStore()
    await jobs.load()
    jobs.select('d1')
    await jobs.remove('d1')
    expect(jobs.all).toHaveLength(0)
    expect(jobs.selectedId).toBeNull()
  })

  it('ignores events of other shapes for unknown jobs gracefully (snapshot NOT_FOUND)', async () => {
    const jobs = useJobsStore()
    jobs.subscribe()
    const ev: JobEvent = { type: 'paused', jobId: 'ghost', seq: 1, at: 0 }
    fake.emit(ev)
    await settle()
    expect(jobs.states.ghost).toBeUndefined()
  })
})

describe('indexOfLine ("Go to line")', () => {
  const rows = [2, 3, 7, 9, 40].map((line) => ({ line }))
  it('finds the line, else the next line shown, else the last row', () => {
    expect(indexOfLine(rows, 7)).toBe(2)
    expect(indexOfLine(rows, 2)).toBe(0)
    expect(indexOfLine(rows, 1)).toBe(0)
    expect(indexOfLine(rows, 8)).toBe(3)
    expect(indexOfLine(rows, 40)).toBe(4)
    expect(indexOfLine(rows, 1000)).toBe(4)
    expect(indexOfLine([], 5)).toBe(-1)
  })
})
