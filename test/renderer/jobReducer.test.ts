import { describe, expect, it } from 'vitest'
import { applyJobEvent, catchUp, fromSnapshot, fromSummary, mergeLog, withSummary } from '../../renderer/src/stores/jobReducer'
import type { JobState } from '../../renderer/src/stores/jobReducer'
import { emptyCounts } from '../../electron/shared/jobs'
import type { JobEvent, JobProgress, JobRowLog, JobSnapshot, JobSummary } from '../../electron/shared/jobs'

const progress = (created: number, total = 10): JobProgress => ({
  counts: { ...emptyCounts(), created, planned: total - created },
  total,
  chatsPerSec: 2,
  etaSec: 5,
  pacing: { kind: 'sending' },
})
const summary = (over: Partial<JobSummary> = {}): JobSummary => ({ id: 'j1', profile: 'P', source: 'a.csv', status: 'queued', createdAt: 1, progress: progress(0), actions: [], ...over })
const snap = (seq: number, over: Partial<JobSnapshot> = {}): JobSnapshot => ({ ...summary(), seq, log: [], ...over })
const row = (key: string, state: JobRowLog['state'], at = 1, chatId?: number): JobRowLog => ({ rowKey: key, line: Number(key.slice(1)) + 1, state, at, ...(chatId ? { chatId } : {}) })

const ev = {
  started: (seq: number, total = 10): JobEvent => ({ type: 'started', jobId: 'j1', seq, at: 100, total }),
  progress: (seq: number, created: number): JobEvent => ({ type: 'progress', jobId: 'j1', seq, at: 100 + seq, progress: progress(created) }),
  rows: (seq: number, rows: JobRowLog[]): JobEvent => ({ type: 'rows', jobId: 'j1', seq, at: 100 + seq, rows }),
  finished: (seq: number): JobEvent => ({ type: 'finished', jobId: 'j1', seq, at: 999, progress: progress(10) }),
}

const run = (events: JobEvent[], from: JobState = fromSummary(summary())): JobState => events.reduce(applyJobEvent, from)

describe('applyJobEvent', () => {
  it('applies events in seq order: started → progress → finished', () => {
    const s = run([ev.started(1), ev.progress(2, 4), ev.finished(3)])
    expect(s.summary.status).toBe('finished')
    expect(s.summary.progress.counts.created).toBe(10)
    expect(s.summary.finishedAt).toBe(999)
    expect(s.seq).toBe(3)
  })

  it('ignores a duplicate or stale seq (the older progress never overwrites the newer one)', () => {
    const s = run([ev.started(1), ev.progress(3, 7), ev.progress(2, 4), ev.progress(3, 1)])
    expect(s.summary.progress.counts.created).toBe(7)
    expect(s.seq).toBe(3)
  })

  it('returns the very same object for an ignored event (no needless re-render)', () => {
    const s = run([ev.started(1), ev.progress(2, 4)])
    expect(applyJobEvent(s, ev.progress(2, 9))).toBe(s)
    expect(applyJobEvent(s, { ...ev.progress(5, 9), jobId: 'other' })).toBe(s)
  })

  it('after a terminal event ignores everything but a new run', () => {
    const done = run([ev.started(1), ev.finished(2)])
    const late = applyJobEvent(done, ev.progress(3, 2))
    expect(late.summary.status).toBe('finished')
    expect(late.summary.progress.counts.created).toBe(10)
    const rerun = applyJobEvent(done, ev.started(4, 3))
    expect(rerun.summary.status).toBe('running')
    expect(rerun.summary.finishedAt).toBeUndefined()
    expect(rerun.summary.progress.total).toBe(3)
  })

  it('a failed event keeps the error to show', () => {
    const s = run([ev.started(1), { type: 'failed', jobId: 'j1', seq: 2, at: 5, progress: progress(3), error: { code: 'AUTH_REJECTED', message: 'The webhook was rejected.' } }])
    expect(s.summary.status).toBe('failed')
    expect(s.summary.error?.code).toBe('AUTH_REJECTED')
  })

  it('pause and resume flip the status', () => {
    const s = run([ev.started(1), { type: 'paused', jobId: 'j1', seq: 2, at: 3 }])
    expect(s.summary.status).toBe('paused')
    expect(applyJobEvent(s, { type: 'resumed', jobId: 'j1', seq: 3, at: 4 }).summary.status).toBe('running')
  })

  it('does not mutate the state it was given', () => {
    const s = run([ev.started(1)])
    const frozen = JSON.stringify(s)
    run([ev.progress(2, 5), ev.rows(3, [row('r1', 'created', 2, 55)]), ev.finished(4)], s)
    expect(JSON.stringify(s)).toBe(frozen)
  })
})

describe('log', () => {
  it('keeps one entry per row, the latest state, the most recently updated last', () => {
    const s = run([ev.started(1), ev.rows(2, [row('r1', 'sending'), row('r2', 'sending')]), ev.rows(3, [row('r1', 'created', 3, 501)]), ev.rows(4, [row('r3', 'failed', 4)])])
    expect(s.log.map((r) => `${r.rowKey}:${r.state}`)).toEqual(['r2:sending', 'r1:created', 'r3:failed'])
    expect(s.log.find((r) => r.rowKey === 'r1')?.chatId).toBe(501)
  })

  it('mergeLog collapses repeats inside one batch', () => {
    expect(mergeLog([], [row('r1', 'sending'), row('r1', 'created', 2, 9)]).map((r) => r.state)).toEqual(['created'])
  })
})

describe('snapshot catch-up', () => {
  it('a reloaded window adopts the snapshot, then replays only the buffered events newer than it', () => {
    const snapshot = snap(5, { status: 'running', progress: progress(5), log: [row('r1', 'created', 1, 11)] })
    const buffered = [ev.progress(4, 3), ev.progress(6, 6), ev.rows(7, [row('r2', 'created', 2, 12)]), ev.progress(5, 1)]
    const s = catchUp(undefined, snapshot, buffered)
    expect(s.seq).toBe(7)
    expect(s.summary.progress.counts.created).toBe(6)
    expect(s.log.map((r) => r.chatId)).toEqual([11, 12])
  })

  it('buffered events are applied in seq order even if they arrived out of order', () => {
    const s = catchUp(undefined, snap(1, { status: 'running' }), [ev.progress(3, 8), ev.progress(2, 2)])
    expect(s.summary.progress.counts.created).toBe(8)
  })

  it('an older snapshot never rolls back a newer live state', () => {
    const live = run([ev.started(1), ev.progress(2, 4), ev.progress(9, 9)])
    const s = catchUp(live, snap(3, { status: 'running', progress: progress(1) }))
    expect(s).toBe(live)
  })

  it('a snapshot at the same seq wins (a command changed the status without an event)', () => {
    const live = run([ev.started(1)])
    const s = catchUp(live, snap(1, { status: 'paused' }))
    expect(s.summary.status).toBe('paused')
  })

  it('a terminal snapshot followed by stale buffered progress stays terminal', () => {
    const s = catchUp(undefined, snap(4, { status: 'finished', progress: progress(10) }), [ev.progress(3, 2), ev.progress(5, 2)])
    expect(s.summary.status).toBe('finished')
    expect(s.summary.progress.counts.created).toBe(10)
  })

  it('fromSnapshot splits seq and log from the summary', () => {
    const s = fromSnapshot(snap(12, { log: [row('r1', 'created')] }))
    expect(s.seq).toBe(12)
    expect('seq' in s.summary).toBe(false)
    expect(s.log).toHaveLength(1)
  })
})

describe('withSummary', () => {
  it('adopts list summaries until events or a snapshot have been applied', () => {
    const a = withSummary(undefined, summary({ status: 'draft' }))
    expect(a.summary.status).toBe('draft')
    const b = withSummary(a, summary({ status: 'queued' }))
    expect(b.summary.status).toBe('queued')
    const live = applyJobEvent(b, ev.started(1))
    expect(withSummary(live, summary({ status: 'queued' }))).toBe(live)
  })
})
