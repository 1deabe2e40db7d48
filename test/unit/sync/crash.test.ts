/**
 * Issue 10 §7: the whole job — lock, journal, snapshot compaction, history — on a disk that crashes (or fills up)
 * at every single write point. Each crash is followed by a "reboot" (only what was durable survives, torn or lost)
 * and a resume by a new process: no chat is ever made twice, none is lost, every row ends final.
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../electron/core/clock'
import { CrashFs } from '../../helpers/crash-fs'
import { FakePortal } from './fake-portal'
import { rows } from './rows'
import { T0, world } from './world'

const N = 24
const ENGINE = { sizing: { maxBatch: 6 }, compactEvery: 9, settleMs: 1_000 }

async function firstRun(fs: CrashFs, portal: FakePortal, clock: ManualClock, dedupe: boolean) {
  const x = await world({ fs, dir: '/data', portal, clock, dedupe, engine: ENGINE })
  const job = await x.make(rows(N), { id: 'jcrash' })
  return { x, job }
}

async function fresh(dedupe = true) {
  const fs = new CrashFs()
  await fs.mkdir('/data')
  const clock = new ManualClock(T0, true)
  const portal = new FakePortal(clock)
  const { x, job } = await firstRun(fs, portal, clock, dedupe)
  return { fs, clock, portal, x, job }
}

/** Runs the job once more in a "new process" on the same disk and portal, to its end. */
async function resume(fs: CrashFs, portal: FakePortal, clock: ManualClock, dedupe: boolean) {
  const x = await world({ fs, dir: '/data', portal, clock, dedupe, engine: ENGINE, pid: 5151, deadPids: [4242] })
  const { end } = await x.sync('jcrash')
  return { end, job: await x.store.load('jcrash') }
}

describe('a crash at every write point', () => {
  it('counts the write points of a clean run', async () => {
    const w = await fresh()
    const before = w.fs.ops
    const { end } = await w.x.sync(w.job.id)
    expect(end?.type).toBe('finished')
    expect(w.fs.ops - before).toBeGreaterThan(40)
    expect(w.portal.chats).toHaveLength(N)
  })

  for (const mode of ['torn', 'lost'] as const) {
    it(`(${mode}) every crash point resumes with no duplicate and no loss`, async () => {
      const probe = await fresh()
      const p0 = probe.fs.ops
      await probe.x.sync(probe.job.id)
      const points = probe.fs.ops - p0
      for (let k = 1; k <= points; k++) {
        const w = await fresh()
        w.fs.failAt(k, 'crash')
        await w.x.sync(w.job.id).catch(() => undefined)
        const where = `${mode} crash at #${k} ${w.fs.opLog[w.fs.opLog.length - 1] ?? ''}`
        expect(w.fs.crashed, where).toBe(true)
        w.fs.reboot(mode)
        const { end, job } = await resume(w.fs, w.portal, w.clock, true)
        expect(end?.type, where).toBe('finished')
        expect(w.portal.duplicates(), where).toEqual([])
        expect(w.portal.chats, where).toHaveLength(N)
        expect(job.counts(), where).toMatchObject({ planned: 0, sending: 0, failed: 0, 'needs-checking': 0 })
        expect(job.counts().created + job.counts().skipped, where).toBe(N)
      }
    }, 120_000)
  }

  it('(lost, tagging off) every crash point resumes without a duplicate: rows in doubt are set aside, never resent', async () => {
    const probe = await fresh(false)
    const p0 = probe.fs.ops
    await probe.x.sync(probe.job.id)
    const points = probe.fs.ops - p0
    for (let k = 1; k <= points; k++) {
      const w = await fresh(false)
      w.fs.failAt(k, 'crash')
      await w.x.sync(w.job.id).catch(() => undefined)
      w.fs.reboot('lost')
      const { job } = await resume(w.fs, w.portal, w.clock, false)
      const where = `crash at #${k} ${w.fs.opLog[k - 1] ?? ''}`
      expect(w.portal.titleDuplicates(), where).toEqual([])
      const c = job.counts()
      expect(c.planned + c.sending, where).toBe(0)
      // every chat on the portal is either recorded or flagged for checking
      expect(c.created + c['needs-checking'], where).toBeGreaterThanOrEqual(w.portal.chats.length)
    }
  }, 120_000)

  it('nothing leaves before its sending entry is durable (checked by the portal at every im.chat.add)', async () => {
    const w = await fresh()
    const job = w.job
    const titleToKey = new Map(job.record.rows.map((r) => [r.params.TITLE, r.key]))
    let checked = 0
    w.portal.onCreate = (params) => {
      const key = titleToKey.get(String(params.TITLE))
      // What a power cut now would leave of the journal: the durable bytes only.
      const durable = `${w.fs.durableText('/data/jobs/jcrash/journal.prev.jsonl') ?? ''}${w.fs.durableText('/data/jobs/jcrash/journal.jsonl') ?? ''}${w.fs.durableText('/data/jobs/jcrash/state.json') ?? ''}`
      // A journal entry, or the row in a compacted snapshot (state.json).
      expect(durable, `row ${key}`).toMatch(new RegExp(`"key":"${key}","state":"sending"|"${key}":\\{"state":"sending"`))
      checked++
    }
    await w.x.sync(job.id)
    expect(checked).toBe(N)
  })

  it('a full disk at any write point stops the job with a plain message; after freeing space it resumes with no duplicate', async () => {
    const probe = await fresh()
    const p0 = probe.fs.ops
    await probe.x.sync(probe.job.id)
    const points = probe.fs.ops - p0
    let diskFull = 0
    for (let k = 1; k <= points; k++) {
      for (const kind of ['enospc', 'short'] as const) {
        const w = await fresh()
        w.fs.failAt(k, kind)
        const { end } = await w.x.sync(w.job.id).catch(() => ({ end: null }))
        const where = `${kind} at #${k} ${w.fs.opLog[k - 1] ?? ''}`
        if (end?.type === 'failed') {
          expect(end.error.code, where).toBe('STORAGE')
          if (end.error.message.startsWith('The disk is full')) diskFull++
        }
        w.fs.capacity = Number.POSITIVE_INFINITY
        const again = await resume(w.fs, w.portal, w.clock, true)
        expect(again.end?.type, where).toBe('finished')
        expect(w.portal.duplicates(), where).toEqual([])
        expect(w.portal.chats, where).toHaveLength(N)
      }
    }
    expect(diskFull).toBeGreaterThan(10)
  }, 120_000)
})
