import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ManualClock } from '../../../electron/core/clock'
import { Journal } from '../../../electron/core/sync/journal'
import { JobStore } from '../../../electron/core/sync/store'
import { rows } from './rows'

// Issue 10 "Seen" 8: mutants that passed every unit test. Each test here fails when its guard is removed
// (scripts/mutants.ts: journal-no-datasync, snapshot-wrong-name, retry-replans-needs-checking).
let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'b24-issue10-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

describe('a journal append', () => {
  it('resolves only after its bytes were flushed to the disk (datasync), so nothing is sent on an unwritten entry', async () => {
    const probe = await open(join(dir, 'probe'), 'w')
    const FileHandleProto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> }
    await probe.close()
    let release!: () => void
    const flushed = new Promise<void>((r) => (release = r))
    let reached!: () => void
    const flushing = new Promise<void>((r) => (reached = r))
    const spy = vi.spyOn(FileHandleProto, 'datasync').mockImplementation(() => {
      reached()
      return flushed
    })
    try {
      const j = await Journal.open(dir, () => ({ status: 'draft', rows: {} }))
      let done = false
      const appended = j.append([{ k: 'row', key: 'a', state: 'sending', at: 1 }]).then(() => (done = true))
      // Without datasync the append resolves first and the spy was never called.
      await Promise.race([flushing, appended])
      expect(spy).toHaveBeenCalledTimes(1)
      expect(done).toBe(false)
      release()
      await appended
      expect(done).toBe(true)
      await j.close()
    } finally {
      spy.mockRestore()
    }
  })
})

describe('the journal snapshot', () => {
  it('is what a reopened job starts from: created rows stay created after compaction (never resent)', async () => {
    const j = await Journal.open(dir, () => ({ status: 'draft', rows: {} }))
    await j.append([{ k: 'row', key: 'a', state: 'sending', at: 1 }, { k: 'row', key: 'a', state: 'created', chatId: 7, at: 2 }])
    await j.compact() // the journal is emptied; the snapshot alone holds the row now
    await j.close()
    const again = await Journal.open(dir, () => ({ status: 'draft', rows: {} }))
    expect(again.state.rows.a).toMatchObject({ state: 'created', chatId: 7 })
    await again.close()
  })
})

describe('retry failed rows', () => {
  it('re-plans rows that failed at the portal, never rows that need checking (their chat may exist)', async () => {
    const store = new JobStore(dir, { clock: new ManualClock() })
    const job = await store.createDraft({ rows: rows(3), profile: 'Main', source: 'a.csv' })
    await job.journal.append([
      { k: 'row', key: 'k0', state: 'failed', errorCode: 'PORTAL_ERROR', errorMessage: 'refused', at: 1 },
      { k: 'row', key: 'k1', state: 'needs-checking', at: 1 },
      { k: 'row', key: 'k2', state: 'created', chatId: 3, at: 1 },
    ])
    expect(await store.retryFailed(job.id)).toBe(1)
    const after = await store.load(job.id)
    expect(after.row('k0').state).toBe('planned')
    expect(after.row('k1').state).toBe('needs-checking')
    expect(after.row('k2').state).toBe('created')
    await store.closeAll()
  })
})
