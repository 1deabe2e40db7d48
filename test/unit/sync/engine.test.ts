import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../../electron/core/clock'
import { createPortalClient } from '../../../electron/core/portal/client'
import { JobStore } from '../../../electron/core/sync/store'
import { SyncEngine } from '../../../electron/core/sync/engine'
import { TOOL_ENTITY_TYPE } from '../../../electron/core/sync/keys'
import type { JobEvent } from '../../../electron/shared/jobs'
import { isTerminal } from '../../../electron/shared/jobs'
import { FakePortal } from './fake-portal'
import { row, rows } from './rows'

const T0 = 1_700_000_000_000
let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'b24-sync-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

function world(opts: { dedupe?: boolean; limitSec?: number } = {}) {
  const clock = new ManualClock(T0, true)
  const portal = new FakePortal(clock)
  if (opts.limitSec) portal.limitSec = opts.limitSec
  const client = createPortalClient({ kind: 'webhook', url: 'https://portal.test/rest/1/secretsecret/' }, { clock, transport: portal.transport, limits: opts.limitSec ? { operatingLimitSec: opts.limitSec } : {} })
  const store = new JobStore(dir, { clock })
  const make = async (sheet = rows(120), id?: string) => store.createDraft({ rows: sheet, profile: 'Main', source: 'chats.csv', dedupeTagging: opts.dedupe ?? true, id })
  const engine = async (job: Awaited<ReturnType<typeof make>>, extra: Partial<ConstructorParameters<typeof SyncEngine>[0]> = {}) => {
    const e = new SyncEngine({ job, client, clock, settleMs: 5_000, ...extra })
    const events: JobEvent[] = []
    e.onEvent((ev) => events.push(ev))
    return { e, events }
  }
  return { clock, portal, client, store, make, engine }
}

describe('sync engine', () => {
  it('creates every chat once, in batches, tagged with the tool key, and finishes with one terminal event', async () => {
    const w = world()
    const job = await w.make()
    const { e, events } = await w.engine(job)
    const end = await e.start()
    expect(end.type).toBe('finished')
    expect(w.portal.chats).toHaveLength(120)
    expect(w.portal.duplicates()).toEqual([])
    expect(w.portal.chats[0]).toMatchObject({ entityType: TOOL_ENTITY_TYPE, entityId: `${job.id}:k0` })
    expect(w.portal.log.filter((l) => l.method === 'batch').length).toBeLessThanOrEqual(4)
    expect(job.counts()).toMatchObject({ created: 120, planned: 0, sending: 0 })
    expect(events.filter(isTerminal)).toHaveLength(1)
    expect(events.at(-1)?.type).toBe('finished')
    const seqs = events.map((x) => x.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(new Set(seqs).size).toBe(seqs.length)
    const logged = events.flatMap((x) => (x.type === 'rows' ? x.rows : []))
    expect(logged).toHaveLength(120)
    expect(logged[0]).toMatchObject({ rowKey: 'k0', state: 'created', chatId: 1 })
  })

  it('resolves lost answers with im.chat.get instead of resending: no duplicates', async () => {
    const w = world()
    const job = await w.make(rows(100))
    w.portal.faults = ['reset-after-commit', 'html-after-commit', 'timeout-after-commit']
    const { e } = await w.engine(job)
    expect((await e.start()).type).toBe('finished')
    expect(w.portal.chats).toHaveLength(100)
    expect(w.portal.duplicates()).toEqual([])
    expect(w.portal.log.some((l) => JSON.stringify(l.body).includes('im.chat.get'))).toBe(true)
    expect(job.counts().created).toBe(100)
  })

  it('resends a batch that never ran (HTML before commit) once the lookup says the chats are absent', async () => {
    const w = world()
    const job = await w.make(rows(10))
    w.portal.faults = ['html-before-commit']
    const { e } = await w.engine(job)
    await e.start()
    expect(w.portal.chats).toHaveLength(10)
    expect(job.counts().created).toBe(10)
  })

  it('with tagging off, a lost answer ends as needs-checking and is never resent', async () => {
    const w = world({ dedupe: false })
    const job = await w.make(rows(10))
    w.portal.faults = ['reset-after-commit']
    const { e } = await w.engine(job)
    await e.start()
    expect(w.portal.chats).toHaveLength(10)
    expect(job.counts()['needs-checking']).toBe(10)
    expect(job.row('k0').errorMessage).toMatch(/tagging is off/)
    expect(w.portal.chats[0]?.entityType).toBeNull()
  })

  it('reports validation errors without sending them, and keeps portal errors per row', async () => {
    const w = world()
    const sheet = [row(0), row(1, { TITLE: 'BAD' }), row(2, {}, { status: 'error', problems: [{ field: 'COLOR', code: 'COLOR_UNKNOWN', severity: 'error', message: 'Unknown colour', messageRu: '' }] })]
    const job = await w.make(sheet)
    const { e } = await w.engine(job)
    await e.start()
    expect(w.portal.chats.map((c) => c.title)).toEqual(['Chat 0'])
    expect(job.row('k1')).toMatchObject({ state: 'failed', errorCode: 'WRONG_REQUEST', errorMessage: "Chat can't be created" })
    expect(job.row('k2')).toMatchObject({ state: 'failed', errorCode: 'VALIDATION' })
    expect(job.row('k2').errorMessage).toMatch(/COLOR_UNKNOWN/)
  })

  it('retry-failed re-sends only the rows that failed at the portal', async () => {
    const w = world()
    const sheet = [row(0), row(1, { TITLE: 'BAD' }), row(2, {}, { status: 'error' })]
    const job = await w.make(sheet)
    await (await w.engine(job)).e.start()
    const before = w.portal.log.length
    expect(await w.store.retryFailed(job.id)).toBe(1)
    const { e } = await w.engine(job)
    await e.start()
    const sent = w.portal.log.slice(before).map((l) => JSON.stringify(l.body))
    expect(sent.join()).toContain('TITLE=BAD')
    expect(sent.join()).not.toContain('Chat%200')
    expect(w.portal.chats).toHaveLength(1)
  })

  it('resolves e-mails before creating, adds the owner as a member and sets the owner', async () => {
    const w = world()
    const sheet = [
      row(0, { USERS: [3] }, { emails: ['ann@example.com'], owner: 'bob@example.com' }),
      row(1, {}, { emails: ['ghost@example.com'] }),
      row(2, {}, { owner: 1 }),
    ]
    const job = await w.make(sheet)
    const { e } = await w.engine(job, { verify: true })
    await e.start()
    const c = w.portal.chats[0]
    expect(c?.users.sort()).toEqual([1, 3, 7, 8])
    expect(c?.owner).toBe(8)
    expect(job.row('k0')).toMatchObject({ state: 'created', owner: 'done', verified: true })
    expect(job.row('k1')).toMatchObject({ state: 'failed', errorCode: 'USER_NOT_FOUND' })
    expect(job.row('k2')).toMatchObject({ state: 'created', verified: true })
    expect(w.portal.chats).toHaveLength(2)
  })

  it('skips a row whose own entity pair already has a chat', async () => {
    const w = world()
    w.portal.chats.push({ id: 1, title: 'Deal', users: [1], owner: 1, color: '', entityType: 'CRM', entityId: 'DEAL|1' })
    const job = await w.make([row(0, { ENTITY_TYPE: 'CRM', ENTITY_ID: 'DEAL|1' }), row(1, { ENTITY_TYPE: 'CRM', ENTITY_ID: 'DEAL|2' })])
    await (await w.engine(job)).e.start()
    expect(job.row('k0')).toMatchObject({ state: 'skipped', chatId: 1, errorCode: 'ALREADY_EXISTS' })
    expect(job.row('k1').state).toBe('created')
    expect(w.portal.chats).toHaveLength(2)
  })

  it('verification reports a chat that does not match', async () => {
    const w = world()
    const job = await w.make([row(0, { COLOR: 'PINK' }), row(1, { COLOR: 'RED' })])
    w.portal.forceColor = '#df532d'
    await (await w.engine(job, { verify: true })).e.start()
    expect(job.row('k0')).toMatchObject({ state: 'needs-checking', chatId: 1, errorCode: 'VERIFY_MISMATCH' })
    expect(job.row('k0').errorMessage).toMatch(/colour is #df532d, expected PINK/)
    expect(job.row('k1')).toMatchObject({ state: 'created', verified: true })
  })

  it('after a crash, rows caught mid-send are resolved first, after the settle time, and never duplicated', async () => {
    const w = world()
    const job = await w.make(rows(6))
    // Simulate a kill: rows k0..k3 were journaled as sending; the portal had created k0 and k1.
    await job.journal.append(['k0', 'k1', 'k2', 'k3'].map((key) => ({ k: 'row' as const, key, state: 'sending' as const, sentAt: T0, sends: 1, at: T0 })))
    for (const k of ['k0', 'k1']) w.portal.chats.push({ id: w.portal.chats.length + 1, title: k, users: [1], owner: 1, color: '', entityType: TOOL_ENTITY_TYPE, entityId: `${job.id}:${k}` })
    await w.store.closeAll()
    const reopened = await new JobStore(dir, { clock: w.clock }).load(job.id)
    expect(reopened.counts().sending).toBe(4)
    const { e } = await w.engine(reopened)
    await e.start()
    expect(w.clock.now()).toBeGreaterThanOrEqual(T0 + 5_000)
    expect(w.portal.chats).toHaveLength(6)
    expect(w.portal.duplicates()).toEqual([])
    expect(reopened.row('k0')).toMatchObject({ state: 'created', chatId: 1 })
  })

  it('pauses and resumes between batches, and cancel leaves unsent rows planned', async () => {
    const w = world()
    const job = await w.make(rows(200))
    const { e, events } = await w.engine(job)
    let pausedSeen!: () => void
    const paused = new Promise<void>((r) => (pausedSeen = r))
    e.onEvent((ev) => {
      if (ev.type === 'rows' && w.portal.chats.length >= 50 && !events.some((x) => x.type === 'paused')) e.pause()
      if (ev.type === 'paused') pausedSeen()
    })
    const done = e.start()
    await paused
    const atPause = w.portal.chats.length
    expect(atPause).toBeGreaterThanOrEqual(50)
    expect(atPause).toBeLessThan(200)
    // time passes, nothing is sent while paused
    await w.clock.advance(3_600_000)
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 1))
    expect(w.portal.chats.length).toBe(atPause)
    expect(job.state.status).toBe('paused')
    expect(e.snapshot()).toMatchObject({ status: 'paused', progress: { counts: { created: atPause } } })
    e.cancel()
    const end = await done
    expect(end.type).toBe('cancelled')
    expect(job.counts().planned).toBe(200 - atPause)
    expect(events.filter(isTerminal)).toHaveLength(1)
    // started again later, it finishes the rest
    const { e: again } = await w.engine(job)
    expect((await again.start()).type).toBe('finished')
    expect(w.portal.chats).toHaveLength(200)
  })

  it('an auth failure fails the job with the portal error and leaves the rows planned for later', async () => {
    const w = world()
    const job = await w.make(rows(5))
    w.portal.faults = [{ status: 401, error: 'NO_AUTH_FOUND', description: 'Wrong authorization data' }]
    const { e, events } = await w.engine(job)
    const end = await e.start()
    expect(end.type).toBe('failed')
    if (end.type === 'failed') expect(end.error).toMatchObject({ code: 'AUTH_REJECTED', portalError: 'NO_AUTH_FOUND' })
    expect(job.counts().planned).toBe(5)
    expect(events.filter(isTerminal)).toHaveLength(1)
  })

  it('re-queues rows blocked by OPERATION_TIME_LIMIT inside a batch and waits before sending again', async () => {
    const w = world()
    w.portal.limitSec = 3 // the client believes 480: 10 chats at 0.3 s use the real budget up
    const job = await w.make(rows(30))
    const { e } = await w.engine(job)
    await e.start()
    expect(w.portal.chats).toHaveLength(30)
    expect(job.counts().created).toBe(30)
    // the window had to roll over at least twice
    expect(w.clock.now() - T0).toBeGreaterThanOrEqual(2 * 600_000)
  })

  it('paces by the operating budget without a single 429 once it knows the costs', async () => {
    const w = world({ limitSec: 30 })
    const job = await w.make(rows(300))
    const { e, events } = await w.engine(job)
    await e.start()
    expect(w.portal.chats).toHaveLength(300)
    expect(w.portal.status429).toBe(0)
    const waits = events.filter((x) => x.type === 'progress' && x.progress.pacing.kind === 'operating')
    expect(waits.length).toBeGreaterThan(0)
    const eta = events.find((x) => x.type === 'progress' && x.progress.etaSec !== null && x.progress.etaSec > 600)
    expect(eta).toBeDefined()
  })
})
