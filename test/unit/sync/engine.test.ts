import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { JobStore } from '../../../electron/core/sync/store'
import { lookupChunk, MIN_LOOKUP_CHUNK } from '../../../electron/core/sync/engine'
import { entityIdFor } from '../../../electron/core/sync/identity'
import { TOOL_ENTITY_TYPE } from '../../../electron/core/sync/keys'
import { CreatedHistory } from '../../../electron/core/sync/history'
import { nodeFs } from '../../../electron/core/fsutil'
import type { DurableFs } from '../../../electron/core/fsutil'
import { isTerminal } from '../../../electron/shared/jobs'
import { row, rows } from './rows'
import { settle, T0, tempWorlds } from './world'

const w = tempWorlds()
const creatingBatches = (log: { method: string; body: Record<string, unknown> }[]) => log.filter((l) => l.method === 'batch' && JSON.stringify(l.body).includes('im.chat.add'))

describe('sync engine', () => {
  it('creates every chat once, in batches, tagged with the row identity, and finishes with one terminal event', async () => {
    const x = await w({ concurrency: 1 })
    const job = await x.make()
    const { end, events } = await x.sync(job.id)
    expect(end?.type).toBe('finished')
    expect(x.portal.chats).toHaveLength(120)
    expect(x.portal.duplicates()).toEqual([])
    expect(x.portal.chats[0]).toMatchObject({ entityType: TOOL_ENTITY_TYPE, entityId: entityIdFor('title:chat 0#0') })
    expect(creatingBatches(x.portal.log).length).toBeLessThanOrEqual(3)
    const after = await x.store.load(job.id)
    expect(after.counts()).toMatchObject({ created: 120, planned: 0, sending: 0 })
    expect(events.filter(isTerminal)).toHaveLength(1)
    expect(events.at(-1)?.type).toBe('finished')
    const seqs = events.map((e) => e.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(new Set(seqs).size).toBe(seqs.length)
    const logged = events.flatMap((e) => (e.type === 'rows' ? e.rows : []))
    expect(logged).toHaveLength(120)
    expect(logged[0]).toMatchObject({ rowKey: 'k0', state: 'created', chatId: 1 })
  })

  it('resolves lost answers with im.chat.get instead of resending: no duplicates', async () => {
    const x = await w()
    const job = await x.make(rows(100))
    x.portal.faults = ['reset-after-commit', 'html-after-commit', 'timeout-after-commit']
    const { end } = await x.sync(job.id)
    expect(end?.type).toBe('finished')
    expect(x.portal.chats).toHaveLength(100)
    expect(x.portal.duplicates()).toEqual([])
    expect((await x.store.load(job.id)).counts().created).toBe(100)
  })

  it('resends a batch that never ran (HTML before commit) once the lookup says the chats are absent', async () => {
    const x = await w()
    const job = await x.make(rows(10))
    x.portal.faults = ['html-before-commit']
    await x.sync(job.id)
    expect(x.portal.chats).toHaveLength(10)
    expect((await x.store.load(job.id)).counts().created).toBe(10)
  })

  it('with tagging off, a lost answer ends as needs-checking and is never resent', async () => {
    const x = await w({ dedupe: false, concurrency: 1 })
    const job = await x.make(rows(10))
    x.portal.faults = ['reset-after-commit']
    await x.sync(job.id)
    expect(x.portal.chats).toHaveLength(10)
    const after = await x.store.load(job.id)
    expect(after.counts()['needs-checking']).toBe(10)
    expect(after.row('k0').errorMessage).toMatch(/tagging is off/)
    expect(x.portal.chats[0]?.entityType).toBeNull()
  })

  it('reports validation errors without sending them, and keeps portal errors per row', async () => {
    const x = await w()
    const sheet = [row(0), row(1, { TITLE: 'BAD' }), row(2, {}, { status: 'error', problems: [{ field: 'COLOR', code: 'COLOR_UNKNOWN', severity: 'error', message: 'Unknown colour', messageRu: '' }] })]
    const job = await x.make(sheet)
    await x.sync(job.id)
    expect(x.portal.chats.map((c) => c.title)).toEqual(['Chat 0'])
    const after = await x.store.load(job.id)
    expect(after.row('k1')).toMatchObject({ state: 'failed', errorCode: 'WRONG_REQUEST', errorMessage: "Chat can't be created" })
    expect(after.row('k2')).toMatchObject({ state: 'failed', errorCode: 'VALIDATION' })
    expect(after.row('k2').errorMessage).toMatch(/COLOR_UNKNOWN/)
  })

  it('resolves e-mails before creating, adds the owner as a member and sets the owner', async () => {
    const x = await w({ engine: { verify: true } })
    const sheet = [row(0, { USERS: [3] }, { emails: ['ann@example.com'], owner: 'bob@example.com' }), row(1, {}, { emails: ['ghost@example.com'] }), row(2, {}, { owner: 1 })]
    const job = await x.make(sheet)
    await x.sync(job.id)
    const c = x.portal.chats.find((chat) => chat.title === 'Chat 0')
    expect(c?.users.sort()).toEqual([1, 3, 7, 8])
    expect(c?.owner).toBe(8)
    const after = await x.store.load(job.id)
    expect(after.row('k0')).toMatchObject({ state: 'created', owner: 'done', verified: true })
    expect(after.row('k1')).toMatchObject({ state: 'failed', errorCode: 'USER_NOT_FOUND' })
    expect(after.row('k2')).toMatchObject({ state: 'created', verified: true })
    expect(x.portal.chats).toHaveLength(2)
  })

  it('skips a row whose own entity pair already has a chat', async () => {
    const x = await w()
    x.portal.chats.push({ id: 1, title: 'Deal', users: [1], owner: 1, color: '', entityType: 'CRM', entityId: 'DEAL|1' })
    const job = await x.make([row(0, { ENTITY_TYPE: 'CRM', ENTITY_ID: 'DEAL|1' }), row(1, { ENTITY_TYPE: 'CRM', ENTITY_ID: 'DEAL|2' })])
    await x.sync(job.id)
    const after = await x.store.load(job.id)
    expect(after.row('k0')).toMatchObject({ state: 'skipped', chatId: 1, errorCode: 'ALREADY_EXISTS' })
    expect(after.row('k1').state).toBe('created')
    expect(x.portal.chats).toHaveLength(2)
  })

  it('120 rows with their own entity pairs sync: every lookup batch holds at most 50 commands', async () => {
    const x = await w()
    const sheet = Array.from({ length: 120 }, (_, i) => row(i, { ENTITY_TYPE: 'CRM', ENTITY_ID: `DEAL|${i}` }))
    const job = await x.make(sheet)
    const { end } = await x.sync(job.id)
    expect(end?.type).toBe('finished')
    expect(x.portal.chats).toHaveLength(120)
    expect(x.portal.duplicates()).toEqual([])
    for (const l of x.portal.log.filter((e) => e.method === 'batch')) expect(Object.keys(l.body.cmd as object).length).toBeLessThanOrEqual(50)
  })

  it('verification reports a chat that does not match', async () => {
    const x = await w({ engine: { verify: true } })
    const job = await x.make([row(0, { COLOR: 'PINK' }), row(1, { COLOR: 'RED' })])
    x.portal.forceColor = '#df532d'
    await x.sync(job.id)
    const after = await x.store.load(job.id)
    expect(after.row('k0')).toMatchObject({ state: 'needs-checking', chatId: 1, errorCode: 'VERIFY_MISMATCH' })
    expect(after.row('k0').errorMessage).toMatch(/colour is #df532d, expected PINK/)
    expect(after.row('k1')).toMatchObject({ state: 'created', verified: true })
  })

  it('after a crash, rows caught mid-send are resolved first, after the settle time, and never duplicated', async () => {
    const x = await w({ history: false })
    const job = await x.make(rows(6))
    // Simulate a kill: rows k0..k3 were journaled as sending; the portal had created k0 and k1.
    const writer = await x.store.openWriter(job.id)
    await writer.journal.append(['k0', 'k1', 'k2', 'k3'].map((key) => ({ k: 'row' as const, key, state: 'sending' as const, sentAt: T0, sends: 1, at: T0 })))
    for (const k of ['k0', 'k1']) {
      const r = writer.rowByKey(k)!
      x.portal.chats.push({ id: x.portal.chats.length + 1, title: k, users: [1], owner: 1, color: '', entityType: TOOL_ENTITY_TYPE, entityId: entityIdFor(writer.identityOf(r)) })
    }
    await x.store.closeAll()
    const reopened = await new JobStore(x.dir, { clock: x.clock }).load(job.id)
    expect(reopened.counts().sending).toBe(4)
    await x.sync(job.id)
    expect(x.clock.now()).toBeGreaterThanOrEqual(T0 + 5_000)
    expect(x.portal.chats).toHaveLength(6)
    expect(x.portal.duplicates()).toEqual([])
    expect((await x.store.load(job.id)).row('k0')).toMatchObject({ state: 'created', chatId: 1 })
  })

  it('re-queues rows blocked by OPERATION_TIME_LIMIT inside a batch and waits before sending again', async () => {
    const x = await w()
    x.portal.limitSec = 3 // the client believes 480: 10 chats at 0.3 s use the real budget up
    const job = await x.make(rows(30))
    await x.sync(job.id)
    expect(x.portal.chats).toHaveLength(30)
    expect((await x.store.load(job.id)).counts().created).toBe(30)
    expect(x.clock.now() - T0).toBeGreaterThanOrEqual(2 * 600_000)
  })

  it('paces by the operating budget without a single 429 once it knows the costs', async () => {
    const x = await w({ limitSec: 30 })
    const job = await x.make(rows(300))
    const { events } = await x.sync(job.id)
    expect(x.portal.chats).toHaveLength(300)
    expect(x.portal.status429).toBe(0)
    expect(events.filter((e) => e.type === 'progress' && e.progress.pacing.kind === 'operating').length).toBeGreaterThan(0)
    expect(events.find((e) => e.type === 'progress' && e.progress.etaSec !== null && e.progress.etaSec > 600)).toBeDefined()
  })

  it('under the real pacer, several batches in flight lose their answers and each resolves its own rows: nothing resent', async () => {
    const x = await w({ concurrency: 4 })
    const job = await x.make(rows(60))
    // The first three creating batches lose their answers after the portal made the chats; the fourth answers.
    x.portal.createFaults = ['reset-after-commit', 'html-after-commit', 'timeout-after-commit']
    x.portal.holdCreates = true
    const { r, events } = x.runner(job.id, { engine: { sizing: { maxBatch: 20 } } })
    await r.start()
    await x.portal.untilCreating(4)
    expect(x.client.pacer.inFlightLimit()).toBe(4) // the pacer's own allowance, not a stub
    const sent = creatingBatches(x.portal.log).map((l) => new Set(Object.values(l.body.cmd as Record<string, string>).map((c) => new URLSearchParams(c.slice(c.indexOf('?') + 1)).get('ENTITY_ID'))))
    // 60 rows, all in the last round on the 4 allowed in flight: split, half the work per lane (⌈60 / 8⌉)
    expect(sent.map((b) => b.size)).toEqual([8, 8, 8, 8])
    expect(sent.some((b) => b.has(null))).toBe(false)
    const lost = sent.slice(0, 3)
    const before = x.portal.log.length
    x.portal.releaseCreates()
    const end = await r.done()
    expect(end?.type).toBe('finished')
    expect(x.portal.maxCreatingAtOnce).toBe(4)
    expect(x.portal.chats).toHaveLength(60)
    expect(x.portal.duplicates()).toEqual([])
    const after = await x.store.load(job.id)
    expect(after.counts()).toMatchObject({ created: 60, sending: 0, planned: 0 })
    expect(after.record.rows.every((row) => after.row(row.key).sends === 1)).toBe(true) // no row was sent twice
    // Every lookup of a lost row after the answers came back belongs to one lost batch: each resolved its own.
    const ids = (l: { body: Record<string, unknown> }) => Object.values((l.body.cmd ?? {}) as Record<string, string>).filter((c) => c.startsWith('im.chat.get')).map((c) => new URLSearchParams(c.slice(c.indexOf('?') + 1)).get('ENTITY_ID'))
    const resolving = x.portal.log.slice(before).map(ids).filter((list) => list.some((id) => lost.some((b) => b.has(id))))
    expect(resolving.length).toBeGreaterThanOrEqual(3)
    for (const list of resolving) expect(lost.filter((b) => list.every((id) => b.has(id)))).toHaveLength(1)
    for (const b of lost) expect(resolving.some((list) => list.some((id) => b.has(id)))).toBe(true)
    expect(events.filter(isTerminal)).toHaveLength(1)
  })

  it('the first round: rows looked up on every lane at once, before any create', async () => {
    const x = await w({ concurrency: 4 })
    const job = await x.make(rows(150))
    let logAtFirstCreate = -1
    void x.portal.untilCreating(1).then(() => (logAtFirstCreate = x.portal.log.length))
    x.portal.holdCreates = true
    const { r } = x.runner(job.id)
    await r.start()
    await x.portal.untilCreating(4)
    // 150 rows over 4 lanes: four lookups of 38, 38, 37, 37 (not 50, 50, 50 on three lanes while the fourth waits)
    const sizes = (list: typeof x.portal.log) => list.map((l) => Object.keys(l.body.cmd as object).length)
    const lookups = x.portal.log.slice(0, logAtFirstCreate).filter((l) => l.method === 'batch' && !JSON.stringify(l.body).includes('im.chat.add'))
    expect(sizes(lookups)).toHaveLength(4)
    expect(sizes(lookups).every((n) => n === 37 || n === 38)).toBe(true)
    // and the round's four batches share the rows equally: all 150 are the last round, split to half the work
    // left per lane (⌈150 / 8⌉ = 19, 18 once the first batches are under way), so the lanes that free first take
    // the rest in smaller pieces
    const creating = sizes(creatingBatches(x.portal.log))
    expect(creating).toHaveLength(4)
    expect(creating.every((n) => n === 18 || n === 19)).toBe(true)
    x.portal.releaseCreates()
    expect((await r.done())?.type).toBe('finished')
    expect(x.portal.chats).toHaveLength(150)
    expect(x.portal.duplicates()).toEqual([])
  })

  it('batches ready together are journaled in one durable write before the first of them runs', async () => {
    // 60 rows on 16 lanes: batches of 4; a lookup of 10 rows makes two batches ready at once
    const x = await w({ concurrency: 16 })
    const job = await x.make(rows(60))
    let onDiskAtFirstCreate = -1
    void x.portal.untilCreating(1).then(() => {
      const text = readFileSync(join(x.dir, 'jobs', job.id, 'journal.jsonl'), 'utf8')
      onDiskAtFirstCreate = text.split('\n').filter((l) => l.includes('"state":"sending"')).length
    })
    const { end } = await x.sync(job.id)
    expect(end?.type).toBe('finished')
    expect(creatingBatches(x.portal.log).every((l) => Object.keys(l.body.cmd as object).length <= 4)).toBe(true)
    expect(onDiskAtFirstCreate).toBeGreaterThanOrEqual(8)
    expect(x.portal.chats).toHaveLength(60)
    expect(x.portal.duplicates()).toEqual([])
  })

  it('a run ends only when the created-chats history holds every chat it made', async () => {
    // The history's appends are not awaited where the rows are journaled; a slow disk must not let the run end
    // (the CLI exit, the lock released) before the last of them is written.
    const slowHistory: DurableFs = {
      ...nodeFs,
      open: async (path, flags, mode) => {
        if (path.endsWith('created.jsonl') && flags === 'a') await new Promise((r) => setTimeout(r, 30))
        return nodeFs.open(path, flags, mode)
      },
    }
    const x = await w({ concurrency: 4, fs: slowHistory })
    const job = await x.make(rows(60))
    const { end } = await x.sync(job.id)
    expect(end?.type).toBe('finished')
    const onDisk = new CreatedHistory(x.dir)
    await onDisk.refresh()
    expect(job.record.rows.filter((r) => !onDisk.knowsRow(job.id, r.key))).toEqual([])
  })

  it('a lookup request is split over the lanes, but not below ten rows', () => {
    expect(lookupChunk(150, 4, 50)).toBe(38)
    expect(lookupChunk(1000, 16, 50)).toBe(50)
    expect(lookupChunk(40, 16, 50)).toBe(MIN_LOOKUP_CHUNK)
    expect(lookupChunk(3, 16, 50)).toBe(3)
    expect(lookupChunk(0, 4, 50)).toBe(1)
  })

  it('a batch goes with what the budget affords now when that is at least half of it, beside the batch in flight', async () => {
    // budget 25 s (the client allows itself 24.4); before any answer a call is reserved at the prior 0.5 s + 20 %
    const x = await w({ concurrency: 2, limitSec: 25 })
    const job = await x.make(rows(100))
    x.portal.holdCreates = true
    const { r } = x.runner(job.id)
    await r.start()
    await x.portal.untilCreating(2) // the second left while the first held 15 s: it did not wait for its answer
    const sizes = creatingBatches(x.portal.log).map((l) => Object.keys(l.body.cmd as object).length)
    // 25: the engine's batch (100 rows in the last round on 2 lanes, half the work per lane); then the budget
    // affords ⌊(24.4 − 15) / 0.6⌋ = 15 of the next 25, at least half: it goes with 15
    expect(sizes).toEqual([25, 15])
    x.portal.releaseCreates()
    const end = await r.done()
    expect(end?.type).toBe('finished')
    expect(x.portal.chats).toHaveLength(100)
    expect(x.portal.status429).toBe(0)
  })

  it('keeps several creating batches in flight when the pacer allows it, and each chat is still made once', async () => {
    const x = await w()
    x.client.pacer.inFlightLimit = () => 3
    const job = await x.make(rows(400))
    x.portal.holdCreates = true
    const { r, events } = x.runner(job.id, { engine: { sizing: { maxBatch: 20 } } })
    await r.start()
    await x.portal.untilCreating(3)
    await settle(100)
    expect(x.portal.creatingNow).toBe(3) // never more than the pacer allows
    // Faults on the answers of the next batches: lost answers are resolved by each batch on its own.
    x.portal.faults = ['reset-after-commit', 'html-after-commit', 'qle']
    x.portal.releaseCreates()
    const end = await r.done()
    expect(end?.type).toBe('finished')
    expect(x.portal.maxCreatingAtOnce).toBe(3)
    expect(x.portal.chats).toHaveLength(400)
    expect(x.portal.duplicates()).toEqual([])
    expect((await x.store.load(job.id)).counts()).toMatchObject({ created: 400, sending: 0, planned: 0 })
    expect(events.filter(isTerminal)).toHaveLength(1)
  })
})
