/**
 * Issue 10, "What was seen", played through the Backend object (what window.api calls), on the real sandbox over
 * HTTPS: re-send after a send, an edited copy of the file, Compose twice, the portal stopped and restarted
 * mid-run, quit and resume, and a second data folder on the same portal. Each ends with the portal's truth: no
 * chat made twice, every row accounted for.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Backend } from '../../../electron/core/app/backend'
import type { BackendDeps, BackendHost, SandboxHandle } from '../../../electron/core/app/backend'
import { MemorySecretStore } from '../../helpers/memory-secret-store'
import { startSandbox } from '../../../electron/sandbox'
import type { Sandbox } from '../../../electron/sandbox'
import type { JobEvent, TerminalJobEvent } from '../../../electron/shared/jobs'
import { isTerminal } from '../../../electron/shared/jobs'
import { SANDBOX_PROFILE } from '../../../electron/shared/profile'
import type { Result } from '../../../electron/shared/result'
import type { SandboxChatView } from '../../../electron/shared/ipc'

const SAMPLE = resolve('resources/sample-chats.csv')
const host: BackendHost = { version: 't', platform: 'linux', locale: 'en-US', pickSheetFile: async () => null, openExternal: async () => {} }

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  return r.value
}

/** Entity pairs (and tool-tagged titles) that more than one chat carries. */
function duplicates(chats: SandboxChatView[]): string[] {
  const seen = new Map<string, number>()
  for (const c of chats) {
    const k = c.entityType ? `${c.entityType}|${c.entityId}` : `title|${c.title}`
    seen.set(k, (seen.get(k) ?? 0) + 1)
  }
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k)
}

interface Harness {
  backend: Backend
  events: JobEvent[]
  terminal(jobId: string): Promise<TerminalJobEvent>
  until(pred: (e: JobEvent) => boolean): Promise<JobEvent>
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined)
})

async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'b24-once-'))
  cleanups.push(() => rm(d, { recursive: true, force: true }))
  return d
}

function harness(dataDir: string, extra: Partial<BackendDeps> = {}): Harness {
  const backend = new Backend({
    dataDir,
    secrets: new MemorySecretStore(),
    host,
    startSandbox: ({ stateFile }) => startSandbox({ port: 0, stateFile, latencyMs: 5 }),
    ...extra,
  })
  cleanups.push(() => backend.shutdown())
  const events: JobEvent[] = []
  const waiters: { pred: (e: JobEvent) => boolean; done: (e: JobEvent) => void }[] = []
  backend.onJobEvent((e) => {
    events.push(e)
    for (const w of [...waiters]) {
      if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.done(e)
      }
    }
  })
  const until = (pred: (e: JobEvent) => boolean): Promise<JobEvent> => {
    const found = events.find(pred)
    if (found) return Promise.resolve(found)
    return new Promise((done) => waiters.push({ pred, done }))
  }
  return {
    backend,
    events,
    until,
    terminal: (jobId) => until((e) => e.jobId === jobId && isTerminal(e)) as Promise<TerminalJobEvent>,
  }
}

const sample = async () => ({ name: 'sample-chats.csv', bytes: new Uint8Array(await readFile(SAMPLE)), path: SAMPLE })

describe('exactly once across sends (Backend, sandbox portal)', () => {
  it('re-send after a send: the sheet tells the truth, only rows not created are sent, a copy only on request', async () => {
    const { backend, terminal } = harness(await tmp())
    value(await backend.sandbox.start())
    const sheet = value(await backend.sheets.import(await sample()))
    const plan0 = value(await backend.sheets.sendPlan({ sheetId: sheet.sheetId, profile: SANDBOX_PROFILE }))
    expect(plan0).toMatchObject({ alreadyCreated: 0, createdWithOtherValues: 0, portalChecked: true, rows: [] })
    expect(plan0.confirm.en).toMatch(new RegExp(`^Create ${plan0.toCreate} chats on 127\\.0\\.0\\.1:\\d+\\?$`))
    // The count the user confirmed must still hold.
    const stale = await backend.jobs.createFromSheet({ sheetId: sheet.sheetId, profile: SANDBOX_PROFILE, start: true, expectCreate: plan0.toCreate + 1 })
    expect(stale.ok).toBe(false)

    const job1 = value(await backend.jobs.createFromSheet({ sheetId: sheet.sheetId, profile: SANDBOX_PROFILE, start: true, expectCreate: plan0.toCreate }))
    const end1 = await terminal(job1.id)
    expect(end1.type).toBe('finished')
    const created1 = end1.progress.counts.created
    expect(created1).toBeGreaterThan(5)
    const chats1 = value(await backend.sandbox.chats())
    expect(chats1).toHaveLength(created1)

    // The open sheet learns what was created.
    const plan1 = value(await backend.sheets.sendPlan({ sheetId: sheet.sheetId, profile: SANDBOX_PROFILE }))
    expect(plan1.alreadyCreated).toBe(created1)
    expect(plan1.toCreate).toBe(plan0.toCreate - created1) // the row whose e-mail has no user, still unsent
    expect(plan1.rows.every((r) => r.match === 'already-created' && r.source === 'history' && r.choice === 'skip' && r.link.includes(`chat${r.chatId}`))).toBe(true)

    // Fix a row (issue: "Fix line 5 … Send now → 9 created, 8 of them duplicates").
    const sales = plan1.rows.find((r) => r.line === 2)!
    value(await backend.sheets.editCell({ sheetId: sheet.sheetId, rowKey: sales.rowKey, column: 'DESCRIPTION', value: 'Regional sales team (new description)' }))
    const plan2 = value(await backend.sheets.sendPlan({ sheetId: sheet.sheetId, profile: SANDBOX_PROFILE }))
    expect(plan2.rows.find((r) => r.rowKey === sales.rowKey)).toMatchObject({ match: 'created-with-other-values', fields: ['DESCRIPTION'], chatId: sales.chatId, canCopy: true })
    const job2 = value(await backend.jobs.createFromSheet({ sheetId: sheet.sheetId, profile: SANDBOX_PROFILE, start: true }))
    const end2 = await terminal(job2.id)
    expect(end2.type).toBe('finished')
    expect(end2.progress.counts.created).toBe(0)
    expect(value(await backend.sandbox.chats())).toHaveLength(created1)
    const snap = value(await backend.jobs.snapshot({ jobId: job2.id }))
    expect(snap.log.find((l) => l.rowKey === sales.rowKey)).toMatchObject({ state: 'skipped', chatId: sales.chatId, errorCode: 'ALREADY_CREATED' })

    // Asked for explicitly, a copy is made, and tracked under its own identity.
    const own = plan2.rows.find((r) => !r.canCopy)
    expect(own).toBeDefined() // rows with their own ENTITY pair cannot be copied
    const plan3 = value(await backend.sheets.sendPlan({ sheetId: sheet.sheetId, profile: SANDBOX_PROFILE, copies: [sales.rowKey, own!.rowKey] }))
    expect(plan3.copies).toBe(1)
    expect(plan3.rows.find((r) => r.rowKey === own!.rowKey)?.choice).toBe('skip')
    const job3 = value(await backend.jobs.createFromSheet({ sheetId: sheet.sheetId, profile: SANDBOX_PROFILE, start: true }))
    expect((await terminal(job3.id)).progress.counts.created).toBe(1)
    const chats3 = value(await backend.sandbox.chats())
    expect(chats3).toHaveLength(created1 + 1)
    expect(duplicates(chats3)).toEqual([])
    expect(chats3.filter((c) => c.title === 'Sales — North-West')).toHaveLength(2)

    // What is left to send is the one row whose e-mail has no user on the portal (refused before creating).
    const plan4 = value(await backend.sheets.sendPlan({ sheetId: sheet.sheetId, profile: SANDBOX_PROFILE, copies: [] }))
    expect(plan4.toCreate).toBe(1)
  }, 60_000)

  it('an edited copy of the file (rows moved, one changed, one added) creates only the new row', async () => {
    const { backend, terminal } = harness(await tmp())
    value(await backend.sandbox.start())
    const bytes = (text: string) => new TextEncoder().encode(text)
    const first = value(await backend.sheets.import({ name: 'teams.csv', bytes: bytes('TITLE,USERS,MESSAGE\nAlpha,2,Hi\nBeta,3,Hello\nGamma,4,Hey\n') }))
    const j1 = value(await backend.jobs.createFromSheet({ sheetId: first.sheetId, profile: SANDBOX_PROFILE, start: true }))
    expect((await terminal(j1.id)).progress.counts.created).toBe(3)
    value(await backend.sheets.close({ sheetId: first.sheetId }))

    const edited = value(await backend.sheets.import({ name: 'teams (edited).csv', bytes: bytes('TITLE,USERS,MESSAGE\nGamma,4,Hey\n alpha ,2,Hi there\nBeta,3,Hello\nDelta,5,New\n') }))
    const plan = value(await backend.sheets.sendPlan({ sheetId: edited.sheetId, profile: SANDBOX_PROFILE }))
    expect(plan.toCreate).toBe(1)
    expect(plan.rows.map((r) => [r.line, r.match, r.fields ?? []])).toEqual([
      [2, 'already-created', []],
      [3, 'created-with-other-values', ['MESSAGE']],
      [4, 'already-created', []],
    ])
    const j2 = value(await backend.jobs.createFromSheet({ sheetId: edited.sheetId, profile: SANDBOX_PROFILE, start: true, expectCreate: 1 }))
    const end = await terminal(j2.id)
    expect(end.progress.counts).toMatchObject({ created: 1, skipped: 3 })
    const chats = value(await backend.sandbox.chats())
    expect(chats.map((c) => c.title).sort()).toEqual(['Alpha', 'Beta', 'Delta', 'Gamma'])
    // Sent in full: Send now has nothing left to do, and says so before anything is sent.
    const plan2 = value(await backend.sheets.sendPlan({ sheetId: edited.sheetId, profile: SANDBOX_PROFILE }))
    expect(plan2.toCreate).toBe(0)
    expect(plan2.confirm.en).toMatch(/^Nothing to create on 127\.0\.0\.1:\d+/)
    const again = await backend.jobs.createFromSheet({ sheetId: edited.sheetId, profile: SANDBOX_PROFILE, start: true })
    expect(again.ok).toBe(false)
    if (!again.ok) expect(again.error).toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/^Nothing to create/) })
  }, 30_000)

  it('Compose is one-shot: the same chat again returns the existing one; Create another makes a new one', async () => {
    const { backend } = harness(await tmp())
    value(await backend.sandbox.start())
    const form = { title: 'Night shift', users: [5, 6], color: 'MINT' as const }
    const a = value(await backend.compose.create({ profile: SANDBOX_PROFILE, form }))
    expect(a.alreadyCreated).toBeFalsy()
    const b = value(await backend.compose.create({ profile: SANDBOX_PROFILE, form }))
    expect(b).toMatchObject({ alreadyCreated: true, chatId: a.chatId, link: a.link })
    expect(b.createdAt).toBeTypeOf('number')
    const c = value(await backend.compose.create({ profile: SANDBOX_PROFILE, form: { ...form, users: [5, 6, 7] } }))
    expect(c).toMatchObject({ alreadyCreated: true, chatId: a.chatId, differs: ['USERS'] })
    expect(value(await backend.sandbox.chats())).toHaveLength(1)
    const d = value(await backend.compose.create({ profile: SANDBOX_PROFILE, form, copy: true }))
    expect(d.alreadyCreated).toBeFalsy()
    expect(d.chatId).not.toBe(a.chatId)
    expect(value(await backend.sandbox.chats())).toHaveLength(2)
    // A double click (or two windows) on a new chat: the second waits for the first and finds its chat.
    const other = { title: 'Day shift', users: [5] }
    const [e, f] = (await Promise.all([backend.compose.create({ profile: SANDBOX_PROFILE, form: other }), backend.compose.create({ profile: SANDBOX_PROFILE, form: other })])).map(value)
    expect(e!.alreadyCreated).toBeFalsy()
    expect(f).toMatchObject({ alreadyCreated: true, chatId: e!.chatId })
    expect(value(await backend.sandbox.chats()).filter((x) => x.title === 'Day shift')).toHaveLength(1)
  }, 30_000)

  it('Compose with the portal unreachable answers at once; the chat waits in the Outbox for the portal', async () => {
    const { backend } = harness(await tmp(), { tuning: { client: { maxAttempts: 1, timeoutMs: 2_000 }, backoffMs: [60_000] } })
    value(await backend.profiles.add({ kind: 'webhook', name: 'Gone', webhookUrl: 'https://127.0.0.1:9/rest/1/abcdefghijkl/', plan: 'standard', dedupeTagging: true }))
    const r = await backend.compose.create({ profile: 'Gone', form: { title: 'Offline chat', users: [2] } })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toMatchObject({ code: 'NETWORK', message: expect.stringMatching(/waits in the Outbox/) })
    const queued = value(await backend.jobs.list()).find((j) => j.source === 'Compose: Offline chat')!
    expect(queued).toMatchObject({ status: 'waiting-for-portal', actions: ['pause', 'cancel'], detail: { kind: 'portal-unreachable', attempt: 1 } })
    value(await backend.jobs.cancel({ jobId: queued.id }))
  }, 30_000)

  it('the portal stopped and restarted (new port) mid-run: the job waits, resolves, and ends with the portal truth', async () => {
    const { backend, events, terminal, until } = harness(await tmp(), {
      startSandbox: ({ stateFile }) => startSandbox({ port: 0, stateFile, latencyMs: 40 }),
      tuning: { client: { maxAttempts: 2, timeoutMs: 3_000 }, backoffMs: [200, 400], engine: { settleMs: 300, sizing: { maxBatch: 10 } } },
    })
    const before = value(await backend.sandbox.start()).portal
    const lines = ['TITLE,USERS']
    for (let i = 0; i < 120; i++) lines.push(`Shift ${i},"2, 3"`)
    const sheet = value(await backend.sheets.import({ name: 'shifts.csv', bytes: new TextEncoder().encode(`${lines.join('\n')}\n`) }))
    const job = value(await backend.jobs.createFromSheet({ sheetId: sheet.sheetId, profile: SANDBOX_PROFILE, start: true }))
    await until((e) => e.jobId === job.id && e.type === 'rows' && events.filter((x) => x.type === 'rows').flatMap((x) => (x.type === 'rows' ? x.rows : [])).length >= 20)
    value(await backend.sandbox.stop())
    const waiting = await until((e) => e.jobId === job.id && e.type === 'status' && e.status === 'waiting-for-portal')
    expect(waiting.type === 'status' && waiting.detail?.kind === 'portal-unreachable' && waiting.detail.attempt).toBeGreaterThanOrEqual(1)
    const listed = value(await backend.jobs.list()).find((j) => j.id === job.id)!
    expect(listed.status).toBe('waiting-for-portal')
    expect(listed.actions).toEqual(['pause', 'cancel'])
    const after = value(await backend.sandbox.start()).portal
    expect(after).not.toBe(before)
    const end = await terminal(job.id)
    expect(end.type).toBe('finished')
    expect(end.progress.counts).toMatchObject({ created: 120, sending: 0, planned: 0 })
    const chats = value(await backend.sandbox.chats())
    expect(chats).toHaveLength(120)
    expect(duplicates(chats)).toEqual([])
    const seqs = events.filter((e) => e.jobId === job.id).map((e) => e.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
  }, 90_000)

  it('quit pauses for real: the next start lists the job paused with Resume, and resuming finishes it with no duplicate', async () => {
    const dir = await tmp()
    const tuning = { engine: { settleMs: 300, sizing: { maxBatch: 10 } } }
    const slow = ({ stateFile }: { stateFile: string }) => startSandbox({ port: 0, stateFile, latencyMs: 40 })
    const a = harness(dir, { startSandbox: slow, tuning })
    value(await a.backend.sandbox.start())
    const lines = ['TITLE']
    for (let i = 0; i < 80; i++) lines.push(`Room ${i}`)
    const sheet = value(await a.backend.sheets.import({ name: 'rooms.csv', bytes: new TextEncoder().encode(`${lines.join('\n')}\n`) }))
    const job = value(await a.backend.jobs.createFromSheet({ sheetId: sheet.sheetId, profile: SANDBOX_PROFILE, start: true }))
    await a.until((e) => e.jobId === job.id && e.type === 'rows')
    expect(a.backend.runningJobCount()).toBe(1)
    // Send now again while that job is on the wire: refused (its rows in flight could be made twice).
    const again = await a.backend.jobs.createFromSheet({ sheetId: sheet.sheetId, profile: SANDBOX_PROFILE, start: true })
    expect(again.ok).toBe(false)
    if (!again.ok) expect(again.error).toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/^This sheet is still being sent/) })
    expect(value(await a.backend.jobs.list())).toHaveLength(1)
    await a.backend.shutdown()
    expect(a.events.some((e) => e.jobId === job.id && isTerminal(e))).toBe(false)
    expect(a.events.filter((e) => e.jobId === job.id).at(-1)?.type).toBe('paused')
    expect(existsSync(join(dir, 'jobs', job.id, 'lock'))).toBe(false)

    const b = harness(dir, { startSandbox: slow, tuning })
    const listed = value(await b.backend.jobs.list()).find((j) => j.id === job.id)!
    expect(listed).toMatchObject({ status: 'paused', actions: ['resume', 'cancel'] })
    expect(listed.progress.counts.created).toBeLessThan(80)
    value(await b.backend.sandbox.start())
    const resumed = value(await b.backend.jobs.resume({ jobId: job.id }))
    expect(resumed.status).toBe('running')
    const end = await b.terminal(job.id)
    expect(end.type).toBe('finished')
    expect(end.progress.counts.created).toBe(80)
    const chats = value(await b.backend.sandbox.chats())
    expect(chats).toHaveLength(80)
    expect(duplicates(chats)).toEqual([])
    // the seq went on from where the first process left it
    const firstSeq = b.events.find((e) => e.jobId === job.id)!.seq
    expect(firstSeq).toBeGreaterThan(Math.max(...a.events.filter((e) => e.jobId === job.id).map((e) => e.seq)))
  }, 90_000)

  it('a second data folder on the same portal finds the chats on the portal and creates none again', async () => {
    const sb: Sandbox = await startSandbox({ port: 0, latencyMs: 5 })
    cleanups.push(() => sb.close())
    const shared = async (): Promise<SandboxHandle> => ({ origin: sb.origin, webhookUrl: sb.webhookUrl, caPem: sb.caPem, chats: () => sb.chats(), close: async () => {} })
    const a = harness(await tmp(), { startSandbox: shared })
    value(await a.backend.sandbox.start())
    const sa = value(await a.backend.sheets.import(await sample()))
    const ja = value(await a.backend.jobs.createFromSheet({ sheetId: sa.sheetId, profile: SANDBOX_PROFILE, start: true }))
    const created = (await a.terminal(ja.id)).progress.counts.created
    expect(sb.chats()).toHaveLength(created)

    const b = harness(await tmp(), { startSandbox: shared })
    value(await b.backend.sandbox.start())
    const sbSheet = value(await b.backend.sheets.import(await sample()))
    const plan = value(await b.backend.sheets.sendPlan({ sheetId: sbSheet.sheetId, profile: SANDBOX_PROFILE }))
    expect(plan.alreadyCreated).toBe(created)
    expect(plan.rows.every((r) => r.source === 'portal')).toBe(true)
    // A plan from this data folder's history alone (after an edit, or the job the user confirms) still counts
    // what the portal holds: the count the user confirmed is the one the job is made with.
    const later = value(await b.backend.sheets.sendPlan({ sheetId: sbSheet.sheetId, profile: SANDBOX_PROFILE, portal: false }))
    expect(later).toMatchObject({ toCreate: plan.toCreate, alreadyCreated: created, portalChecked: false })
    const jb = value(await b.backend.jobs.createFromSheet({ sheetId: sbSheet.sheetId, profile: SANDBOX_PROFILE, start: true, expectCreate: plan.toCreate }))
    const end = await b.terminal(jb.id)
    expect(end.progress.counts.created).toBe(0)
    expect(end.progress.counts.skipped).toBe(created)
    expect(sb.chats()).toHaveLength(created)
  }, 60_000)
})
