import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Backend } from '../../../electron/core/app/backend'
import type { BackendHost } from '../../../electron/core/app/backend'
import { KeytarSecretStore } from '../../../electron/keychain/keytar-store'
import { startSandbox } from '../../../electron/sandbox'
import type { JobEvent, TerminalJobEvent } from '../../../electron/shared/jobs'
import { isTerminal } from '../../../electron/shared/jobs'
import { SANDBOX_PROFILE } from '../../../electron/shared/profile'
import type { Result } from '../../../electron/shared/result'
import type { SheetRow } from '../../../electron/shared/sheet'

/** The real OS keychain (scripts/with-keyring.sh provides one), under a service name of this run only. */
const KEYCHAIN = `b24-chat-admin-test-backend-${process.pid}`

// The backend behind window.api, end to end in plain Node: real core, real sandbox over HTTPS, the real OS keychain.
const SAMPLE = resolve('resources/sample-chats.csv')

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  return r.value
}

describe('Backend (sandbox profile)', () => {
  let dir: string
  let backend: Backend
  const picked: { path: string | null } = { path: null }
  const opened: string[] = []
  const events: JobEvent[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'b24-backend-'))
    const host: BackendHost = {
      version: 't', platform: 'linux', locale: 'en-US',
      pickSheetFile: async () => picked.path,
      openExternal: async (url) => void opened.push(url),
    }
    backend = new Backend({ dataDir: dir, secrets: new KeytarSecretStore(KEYCHAIN), host, startSandbox: ({ stateFile }) => startSandbox({ port: 0, stateFile, latencyMs: 5 }) })
    backend.onJobEvent((e) => events.push(e))
  })
  afterAll(async () => {
    await backend.shutdown()
    await rm(dir, { recursive: true, force: true })
  })

  /** Every row of an open sheet, read page by page as the app does (pages of 7 here, to cross page edges). */
  const allRows = async (sheetId: string): Promise<SheetRow[]> => {
    const out: SheetRow[] = []
    for (;;) {
      const page = value(await backend.sheets.rows({ sheetId, offset: out.length, limit: 7 }))
      out.push(...page.rows)
      if (!page.rows.length || out.length >= page.total) return out
    }
  }

  const terminalOf = (jobId: string): Promise<TerminalJobEvent> =>
    new Promise((done) => {
      const found = events.find((e) => e.jobId === jobId && isTerminal(e))
      if (found) return done(found as TerminalJobEvent)
      const off = backend.onJobEvent((e) => {
        if (e.jobId === jobId && isTerminal(e)) {
          off()
          done(e)
        }
      })
    })

  it('lists the built-in sandbox profile first and starts the sandbox on demand', async () => {
    const before = value(await backend.profiles.list())
    expect(before[0]).toMatchObject({ name: SANDBOX_PROFILE, authKind: 'sandbox', hasSecret: true })
    const status = value(await backend.sandbox.start())
    expect(status.running).toBe(true)
    expect(status.portal).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/)
    const report = value(await backend.profiles.test({ profile: SANDBOX_PROFILE }))
    expect(report.canCreate).toBe(true)
    expect(report.user.id).toBe(1)
  })

  it('imports the sample sheet through the open dialog, sends it, and the sandbox holds exactly the sendable rows', async () => {
    picked.path = SAMPLE
    const sheet = value(await backend.sheets.openDialog())!
    // The overview comes without rows; they are read in pages, built on request.
    expect(sheet).not.toHaveProperty('rows')
    const rows = await allRows(sheet.sheetId)
    expect(rows.length).toBeGreaterThan(10)
    expect(rows).toHaveLength(sheet.summary.rows)
    expect(value(await backend.sheets.rows({ sheetId: sheet.sheetId, offset: 3, limit: 2 }))).toMatchObject({ offset: 3, total: rows.length, rows: rows.slice(3, 5) })
    expect(value(await backend.sheets.rows({ sheetId: sheet.sheetId, offset: rows.length, limit: 10 })).rows).toEqual([])
    expect(sheet.summary.error).toBeGreaterThan(0)
    const sendable = rows.filter((r) => r.status !== 'error').length

    const job = value(await backend.jobs.createFromSheet({ sheetId: sheet.sheetId, profile: SANDBOX_PROFILE, start: true }))
    const end = await terminalOf(job.id)
    expect(end.type).toBe('finished')
    // Offline validation cannot know that an e-mail has no active user; the engine finds out before creating
    // and refuses the row rather than letting the portal drop the member silently.
    const snap = value(await backend.jobs.snapshot({ jobId: job.id }))
    const unknownUser = snap.log.filter((l) => l.errorCode === 'USER_NOT_FOUND')
    expect(unknownUser.map((l) => l.line)).toEqual([rows.find((r) => r.cells.USERS?.includes('nobody@sandbox.test'))!.line])
    expect(end.progress.counts.created).toBe(sendable - unknownUser.length)
    expect(end.progress.counts.failed).toBe(rows.length - sendable + unknownUser.length)
    expect(snap.log.filter((l) => l.state === 'failed' && l.errorCode === 'VALIDATION')).toHaveLength(rows.length - sendable)

    const chats = value(await backend.sandbox.chats())
    expect(chats).toHaveLength(end.progress.counts.created)
    // Every created chat carries the tool's idempotency key or the row's own entity pair.
    expect(chats.every((c) => c.entityType)).toBe(true)

    const exported = value(await backend.jobs.exportResults({ jobId: job.id }))
    expect(exported.name).toBe('sample-chats-results.csv')
    expect(exported.text.split('\n')[0]).toMatch(/status,chat_id,chat_link,error_code,error_message/)
    expect(exported.text).toMatch(/\/online\/\?IM_DIALOG=chat\d+/)
  })

  it('Try the sample: the backend reads it from the resources folder, so its relative avatars resolve', async () => {
    const sheet = value(await backend.sheets.openSample())
    expect(sheet.meta).toMatchObject({ fileName: 'sample-chats.csv', dir: resolve('resources') })
    expect(sheet.fileProblems).toEqual([])
    const rows = await allRows(sheet.sheetId)
    expect(rows.filter((r) => r.problems.some((p) => p.code.startsWith('AVATAR_')))).toEqual([])
    expect(rows.filter((r) => r.avatar)).toHaveLength(5)
    expect(sheet.summary).toMatchObject({ rows: 12, ready: 10, error: 2 })
  })

  it('sheets.editCells: one batch, applied in one pass, with the new summary and meta; a bad key refuses it all', async () => {
    const sheet = value(await backend.sheets.openSample())
    const rows = await allRows(sheet.sheetId)
    const bad = rows.filter((r) => r.status === 'error')
    const edits = [
      { rowKey: bad[0]!.key, column: 'COLOR', value: 'PINK' },
      { rowKey: bad[1]!.key, column: 'TYPE', value: 'CHAT' },
    ]
    const refused = await backend.sheets.editCells({ sheetId: sheet.sheetId, edits: [...edits, { rowKey: 'r999', column: 'COLOR', value: 'RED' }] })
    expect(refused).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    const out = value(await backend.sheets.editCells({ sheetId: sheet.sheetId, edits }))
    expect(out).toMatchObject({ changed: 2, truncated: false, summary: { rows: 12, ready: 12, error: 0 } })
    expect(out.rows.map((r) => [r.key, r.status])).toEqual(bad.map((r) => [r.key, 'ready']))
    expect(out.meta.headers).toContain('Note')
  })

  it('composes a one-off chat with an avatar; the link opens in the portal', async () => {
    const png = await readFile(resolve('resources/avatars/support.png'))
    const avatar = value(await backend.compose.prepareAvatar({ name: 'support.png', bytes: new Uint8Array(png) }))
    expect(avatar.mime).toBe('image/png')
    const created = value(await backend.compose.create({ profile: SANDBOX_PROFILE, form: { title: 'Night shift', users: [5, 'user7@sandbox.test'], color: 'MINT', avatar: avatar.base64, type: 'OPEN' } }))
    const chat = value(await backend.sandbox.chats()).find((c) => c.id === created.chatId)!
    expect(chat).toMatchObject({ title: 'Night shift', type: 'OPEN', color: 'MINT' })
    expect(chat.avatar).toMatchObject({ mime: 'image/png' })
    expect(chat.users).toEqual(expect.arrayContaining([1, 5, 7]))
    value(await backend.shell.openChat({ profile: SANDBOX_PROFILE, chatId: created.chatId }))
    expect(opened.at(-1)).toBe(created.link)
  })

  it('rejects a compose with errors, at the field, without creating anything', async () => {
    const before = value(await backend.sandbox.chats()).length
    const r = await backend.compose.create({ profile: SANDBOX_PROFILE, form: { title: 'x'.repeat(300), users: [2] } })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toMatchObject({ code: 'VALIDATION', field: 'TITLE' })
    expect(value(await backend.sandbox.chats())).toHaveLength(before)
  })

  it('keeps drafts across a restart and syncs them once the sandbox is back', async () => {
    await backend.sandbox.stop()
    const bytes = new TextEncoder().encode('TITLE,USERS\nNight desk,"2, 3"\nWeekend desk,4\nHoliday desk,5\n')
    const sheet = value(await backend.sheets.import({ name: 'desks.csv', bytes }))
    const draft = value(await backend.jobs.createFromSheet({ sheetId: sheet.sheetId, profile: SANDBOX_PROFILE, start: false }))
    expect(draft.status).toBe('draft')
    await backend.shutdown()

    const host: BackendHost = { version: 't', platform: 'linux', locale: 'en-US', pickSheetFile: async () => null, openExternal: async () => {} }
    backend = new Backend({ dataDir: dir, secrets: new KeytarSecretStore(KEYCHAIN), host, startSandbox: ({ stateFile }) => startSandbox({ port: 0, stateFile, latencyMs: 5 }) })
    backend.onJobEvent((e) => events.push(e))
    const jobs = value(await backend.jobs.list())
    expect(jobs.find((j) => j.id === draft.id)).toMatchObject({ status: 'draft', actions: ['start', 'remove'] })
    const chatsBefore = value(await backend.sandbox.start()).chats
    expect(chatsBefore).toBeGreaterThan(0) // the sandbox kept its chats across the restart

    value(await backend.jobs.start({ jobId: draft.id }))
    const end = await terminalOf(draft.id)
    expect(end.type).toBe('finished')
    expect(end.progress.counts.created).toBe(3)
    expect(value(await backend.sandbox.chats())).toHaveLength(chatsBefore + 3)
  })
})
