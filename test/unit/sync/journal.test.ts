import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../../electron/core/clock'
import { Journal } from '../../../electron/core/sync/journal'
import type { JournalEntry } from '../../../electron/core/sync/journal'
import { JobStore, jobIdFor } from '../../../electron/core/sync/store'
import { exportResultsCsv, neutralise } from '../../../electron/core/sync/export'
import { row } from './rows'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'b24-journal-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})
const init = () => ({ status: 'draft' as const, rows: {} })

describe('journal', () => {
  it('survives a torn last line (killed mid-write): the half-written transition never happened', async () => {
    const j = await Journal.open(dir, init)
    await j.append([{ k: 'row', key: 'a', state: 'sending', sentAt: 1, at: 1 }])
    await j.append([{ k: 'row', key: 'a', state: 'created', chatId: 9, at: 2 }, { k: 'row', key: 'b', state: 'sending', at: 2 }])
    await j.close()
    await appendFile(join(dir, 'journal.jsonl'), '{"k":"row","key":"b","state":"crea')
    const again = await Journal.open(dir, init)
    expect(again.state.rows).toMatchObject({ a: { state: 'created', chatId: 9 }, b: { state: 'sending' } })
    // it compacted on open, so appends start on a clean line
    expect(await readFile(join(dir, 'journal.jsonl'), 'utf8')).toBe('')
    await again.append([{ k: 'row', key: 'b', state: 'created', chatId: 10, at: 3 }])
    await again.close()
    expect((await Journal.open(dir, init)).state.rows.b).toMatchObject({ state: 'created', chatId: 10 })
  })

  it('replaying entries already folded into the snapshot changes nothing (crash during compaction)', async () => {
    const entries: JournalEntry[] = [
      { k: 'row', key: 'a', state: 'sending', at: 1 },
      { k: 'row', key: 'a', state: 'created', chatId: 1, at: 2 },
      { k: 'job', status: 'finished', at: 3 },
    ]
    const j = await Journal.open(dir, init)
    await j.append(entries)
    await j.compact()
    await j.close()
    // the old journal is still there next to the new snapshot
    await writeFile(join(dir, 'journal.jsonl'), entries.map((e) => JSON.stringify(e)).join('\n') + '\n')
    const again = await Journal.open(dir, init)
    expect(again.state).toMatchObject({ status: 'finished', rows: { a: { state: 'created', chatId: 1 } } })
  })
})

describe('job store', () => {
  it('keeps drafts on disk, lists them, and removes them', async () => {
    const store = new JobStore(dir, { clock: new ManualClock() })
    const job = await store.createDraft({ rows: [row(0), row(1)], profile: 'Main', source: 'a.csv' })
    expect(job.summary()).toMatchObject({ status: 'draft', profile: 'Main', progress: { total: 2, counts: { planned: 2 } } })
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
})

describe('results export', () => {
  it('neutralises cells a spreadsheet would execute', () => {
    for (const bad of ['=1+1', '+7', '-2', '@SUM(A1)', '\tx', '\rx']) expect(neutralise(bad)).toBe(`'${bad}`)
    expect(neutralise('Plain')).toBe('Plain')
  })

  it('gives the original columns plus status, chat id, link and the portal error', async () => {
    const store = new JobStore(dir, { clock: new ManualClock() })
    const job = await store.createDraft({ rows: [row(0, {}, { cells: { Title: '=HYPERLINK("x")', Note: 'a, "b"' } }), row(1)], profile: 'Main', source: 'a.csv', headers: ['Title', 'Note'] })
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
  })
})
