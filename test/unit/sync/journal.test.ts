import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../../electron/core/clock'
import { Journal } from '../../../electron/core/sync/journal'
import type { JobStateData, JournalEntry } from '../../../electron/core/sync/journal'
import { JobStore, jobIdFor } from '../../../electron/core/sync/store'
import { exportResultsCsv, neutralise } from '../../../electron/core/sync/export'
import { CrashFs } from '../../helpers/crash-fs'
import { row } from './rows'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'b24-journal-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})
const init = (): JobStateData => ({ status: 'draft', rows: {} })
const W = { writable: true }

const rowEntry = (key: string, state: 'sending' | 'created', at: number, chatId?: number): JournalEntry => ({ k: 'row', key, state, at, ...(chatId ? { chatId } : {}) })

describe('journal', () => {
  it('a torn last line is damage: the state before it is kept and reported, and appends start on a clean line', async () => {
    const j = await Journal.open(dir, init, W)
    await j.append([rowEntry('a', 'sending', 1)])
    await j.append([rowEntry('a', 'created', 2, 9), rowEntry('b', 'sending', 2)])
    await j.close()
    await appendFile(join(dir, 'journal.jsonl'), '1234abcd {"k":"row","key":"b","state":"crea')
    const reader = await Journal.open(dir, init)
    expect(reader.damage?.reason).toMatch(/torn last line/)
    const again = await Journal.open(dir, init, W)
    expect(again.damage?.reason).toMatch(/torn last line/)
    expect(again.state.rows).toMatchObject({ a: { state: 'created', chatId: 9 }, b: { state: 'sending' } })
    await again.append([rowEntry('b', 'created', 3, 10)])
    await again.close()
    const third = await Journal.open(dir, init, W)
    expect(third.damage).toBeNull()
    expect(third.state.rows.b).toMatchObject({ state: 'created', chatId: 10 })
  })

  it('a line whose checksum fails is damage, even in the middle; the sound lines around it still count', async () => {
    const j = await Journal.open(dir, init, W)
    await j.append([rowEntry('a', 'sending', 1)])
    await j.append([rowEntry('b', 'sending', 2)])
    await j.append([rowEntry('c', 'sending', 3)])
    await j.close()
    const text = await readFile(join(dir, 'journal.jsonl'), 'utf8')
    await writeFile(join(dir, 'journal.jsonl'), text.replace('"key":"b"', '"key":"x"'))
    const again = await Journal.open(dir, init)
    expect(again.damage?.reason).toMatch(/1 damaged line/)
    expect(Object.keys(again.state.rows).sort()).toEqual(['a', 'c'])
  })

  it('replaying entries already folded into the snapshot changes nothing (crash during compaction)', async () => {
    const entries: JournalEntry[] = [rowEntry('a', 'sending', 1), rowEntry('a', 'created', 2, 1), { k: 'job', status: 'finished', at: 3 }]
    const j = await Journal.open(dir, init, W)
    await j.append(entries)
    const before = await readFile(join(dir, 'journal.jsonl'), 'utf8')
    await j.compact()
    await j.close()
    // the old segment is back in place next to the new snapshot
    await writeFile(join(dir, 'journal.jsonl'), before)
    const again = await Journal.open(dir, init)
    expect(again.state).toMatchObject({ status: 'finished', rows: { a: { state: 'created', chatId: 1 } } })
  })

  it('a damaged state.json is rebuilt from the previous snapshot and both journal segments, with nothing lost', async () => {
    const j = await Journal.open(dir, init, W)
    await j.append([rowEntry('a', 'created', 1, 1)])
    await j.compact()
    await j.append([rowEntry('b', 'created', 2, 2)])
    await j.compact()
    await j.append([rowEntry('c', 'created', 3, 3)])
    await j.close()
    const full = (await Journal.open(dir, init)).state
    expect(Object.keys(full.rows).sort()).toEqual(['a', 'b', 'c'])
    const snap = await readFile(join(dir, 'state.json'), 'utf8')
    await writeFile(join(dir, 'state.json'), snap.slice(0, Math.floor(snap.length / 2)))
    const rebuilt = await Journal.open(dir, init, W)
    expect(rebuilt.rebuilt).toBe(true)
    expect(rebuilt.damage).toBeNull()
    expect(rebuilt.state.rows).toEqual(full.rows)
    await rebuilt.close()
    // and the writer wrote a sound snapshot again
    const after = await Journal.open(dir, init)
    expect(after.rebuilt).toBe(false)
    expect(after.state.rows).toEqual(full.rows)
  })

  it('reopened after compactions, the state is exactly what it was, with no damage and no rebuild', async () => {
    const j = await Journal.open(dir, init, W)
    for (let i = 0; i < 5; i++) {
      await j.append([rowEntry(`r${i}`, 'sending', i), rowEntry(`r${i}`, 'created', i, i + 1)])
      await j.compact()
    }
    await j.append([{ k: 'job', status: 'paused', at: 9, seq: 42 }])
    const state = structuredClone(j.state)
    await j.close()
    const again = await Journal.open(dir, init, W)
    expect(again.damage).toBeNull()
    expect(again.rebuilt).toBe(false)
    expect(again.state).toEqual(state)
    expect(again.state.seq).toBe(42)
  })

  it('a truncated journal whose lines are whole loses entries silently (the portal lookup covers it): a missing generation does not', async () => {
    const j = await Journal.open(dir, init, W)
    await j.append([rowEntry('a', 'created', 1, 1)])
    await j.compact()
    await j.append([rowEntry('b', 'created', 2, 2)])
    await j.close()
    // state.json gone and the previous segment gone: generation 0 cannot be replayed
    await rm(join(dir, 'state.json'))
    await rm(join(dir, 'journal.prev.jsonl'))
    const again = await Journal.open(dir, init)
    expect(again.damage?.reason).toMatch(/generation 0 of the journal is missing/)
  })

  it('reads a journal of the format before checksums (version 1) and converts it', async () => {
    await writeFile(join(dir, 'state.json'), JSON.stringify({ status: 'running', rows: { a: { state: 'created', chatId: 4, at: 1 } } }))
    await writeFile(join(dir, 'journal.jsonl'), `${JSON.stringify(rowEntry('b', 'sending', 2))}\n`)
    const j = await Journal.open(dir, init, W)
    expect(j.damage).toBeNull()
    expect(j.state.rows).toMatchObject({ a: { state: 'created', chatId: 4 }, b: { state: 'sending' } })
    await j.close()
    expect((await readFile(join(dir, 'state.json'), 'utf8')).startsWith('{')).toBe(false)
  })

  it('a reader never writes; appends need the writer', async () => {
    const j = await Journal.open(dir, init)
    expect(() => j.append([rowEntry('a', 'sending', 1)])).toThrow(/reading only/)
  })

  it('nothing is applied before it is durable: a full disk rejects the append with a plain message and later appends too', async () => {
    const fs = new CrashFs()
    await fs.mkdir('/job')
    const j = await Journal.open('/job', init, { fs, writable: true })
    await j.append([rowEntry('a', 'sending', 1)])
    fs.failAt(1, 'short')
    await expect(j.append([rowEntry('b', 'sending', 2)])).rejects.toMatchObject({ appError: { code: 'STORAGE', message: 'The disk is full: free space and press Resume; nothing was sent twice.' } })
    expect(j.state.rows.b).toBeUndefined()
    fs.capacity = Number.POSITIVE_INFINITY
    await expect(j.append([rowEntry('c', 'sending', 3)])).rejects.toMatchObject({ appError: { code: 'STORAGE' } })
    // the half-written line was cut off: the journal reads clean
    const again = await Journal.open('/job', init, { fs })
    expect(again.damage).toBeNull()
    expect(Object.keys(again.state.rows)).toEqual(['a'])
  })

  it('a crash at any write point of appends and compactions reopens to a state that holds every durable append', async () => {
    const script = async (j: Journal, done: string[]): Promise<void> => {
      for (let i = 0; i < 4; i++) {
        await j.append([rowEntry(`r${i}`, 'sending', i)])
        done.push(`r${i}`)
        if (i % 2 === 1) await j.compact()
      }
    }
    const probe = new CrashFs()
    await probe.mkdir('/job')
    const pj = await Journal.open('/job', init, { fs: probe, writable: true })
    const p0 = probe.ops
    await script(pj, [])
    const points = probe.ops - p0
    expect(points).toBeGreaterThan(20)
    for (const mode of ['torn', 'lost'] as const) {
      for (let k = 1; k <= points; k++) {
        const fs = new CrashFs()
        await fs.mkdir('/job')
        const j = await Journal.open('/job', init, { fs, writable: true })
        const done: string[] = []
        fs.failAt(k, 'crash')
        await expect(script(j, done)).rejects.toBeDefined()
        expect(fs.crashed).toBe(true)
        fs.reboot(mode)
        const again = await Journal.open('/job', init, { fs, writable: true })
        const where = `${mode} crash at ${fs.opLog[k - 1]} (#${k})`
        // every append that returned is there, whatever the crash; nothing is invented
        for (const key of done) expect(again.state.rows[key]?.state, where).toBe('sending')
        for (const key of Object.keys(again.state.rows)) expect(key, where).toMatch(/^r[0-3]$/)
        await again.append([rowEntry('z', 'sending', 9)])
        await again.close()
        expect((await Journal.open('/job', init, { fs })).state.rows.z, where).toBeDefined()
      }
    }
  })

  it('an append is durable once it returns: a power cut right after keeps it (only fdatasync makes it so)', async () => {
    const fs = new CrashFs()
    await fs.mkdir('/job')
    const j = await Journal.open('/job', init, { fs, writable: true })
    await j.append([rowEntry('a', 'sending', 1)])
    fs.failAt(1, 'crash') // the next operation is the write of the second append
    await expect(j.append([rowEntry('b', 'sending', 2)])).rejects.toBeInstanceOf(Object)
    fs.reboot('lost')
    const again = await Journal.open('/job', init, { fs })
    expect(Object.keys(again.state.rows)).toEqual(['a'])
  })
})

describe('job store', () => {
  it('keeps drafts on disk, lists them, and removes them', async () => {
    const store = new JobStore(dir, { clock: new ManualClock() })
    const job = await store.createDraft({ rows: [row(0), row(1)], profile: 'Main', source: 'a.csv' })
    expect(job.summary()).toMatchObject({ status: 'draft', profile: 'Main', progress: { total: 2, counts: { planned: 2 } }, actions: ['start', 'remove'] })
    await store.closeAll()
    const other = new JobStore(dir)
    expect((await other.list()).map((j) => j.id)).toEqual([job.id])
    await other.remove(job.id)
    expect(await other.list()).toEqual([])
  })

  it('derives the same job id from the same sheet content and profile only', () => {
    expect(jobIdFor('abc', 'Main')).toBe(jobIdFor('abc', 'Main'))
    expect(jobIdFor('abc', 'Main')).not.toBe(jobIdFor('abc', 'Other'))
    expect(jobIdFor('abc', 'Main')).not.toBe(jobIdFor('abd', 'Main'))
  })

  it('retry entries re-plan only rows that failed at the portal: never needs-checking or validation rows', async () => {
    const store = new JobStore(dir, { clock: new ManualClock() })
    const draft = await store.createDraft({ rows: [row(0), row(1), row(2), row(3, {}, { status: 'error' })], profile: 'Main', source: 'a.csv' })
    const job = await store.openWriter(draft.id)
    await job.journal.append([
      { k: 'row', key: 'k0', state: 'failed', errorCode: 'WRONG_REQUEST', at: 1 },
      { k: 'row', key: 'k1', state: 'needs-checking', errorCode: 'OUTCOME_UNKNOWN', at: 1 },
      { k: 'row', key: 'k2', state: 'created', chatId: 5, at: 1 },
    ])
    expect(job.retryEntries(2).map((e) => (e.k === 'row' ? e.key : ''))).toEqual(['k0'])
    expect(job.failedAtPortal()).toBe(1)
    await store.closeWriter(draft.id)
  })

  it('a reader sees what another writer wrote since (the app while b24chat sends)', async () => {
    const reader = new JobStore(dir)
    const writer = new JobStore(dir)
    const draft = await writer.createDraft({ rows: [row(0)], profile: 'Main', source: 'a.csv' })
    expect((await reader.load(draft.id)).row('k0').state).toBe('planned')
    const w = await writer.openWriter(draft.id)
    await w.journal.append([{ k: 'row', key: 'k0', state: 'created', chatId: 3, at: 5 }])
    expect((await reader.load(draft.id)).row('k0')).toMatchObject({ state: 'created', chatId: 3 })
    await writer.closeAll()
    await reader.closeAll()
  })
})

describe('results export', () => {
  it('neutralises cells a spreadsheet would execute', () => {
    for (const bad of ['=1+1', '+7', '-2', '@SUM(A1)', '\tx', '\rx']) expect(neutralise(bad)).toBe(`'${bad}`)
    expect(neutralise('Plain')).toBe('Plain')
  })

  it('gives the original columns plus status, chat id, link and the portal error', async () => {
    const store = new JobStore(dir, { clock: new ManualClock() })
    const draft = await store.createDraft({ rows: [row(0, {}, { cells: { Title: '=HYPERLINK("x")', Note: 'a, "b"' } }), row(1)], profile: 'Main', source: 'a.csv', headers: ['Title', 'Note'] })
    const job = await store.openWriter(draft.id)
    await job.journal.append([
      { k: 'job', status: 'finished', at: 1, portal: 'https://portal.test/' },
      { k: 'row', key: 'k0', state: 'created', chatId: 42, at: 1 },
      { k: 'row', key: 'k1', state: 'failed', errorCode: 'WRONG_REQUEST', errorMessage: "Chat can't be created", at: 1 },
    ])
    const csv = exportResultsCsv(job)
    const lines = csv.replace(/^\ufeff/, '').trimEnd().split('\r\n')
    expect(lines[0]).toBe('Title,Note,status,chat_id,chat_link,error_code,error_message')
    expect(lines[1]).toBe(`"'=HYPERLINK(""x"")","a, ""b""",created,42,https://portal.test/online/?IM_DIALOG=chat42,,`)
    expect(lines[2]).toBe(`Chat 1,,failed,,,WRONG_REQUEST,Chat can't be created`)
    await store.closeAll()
  })
})
