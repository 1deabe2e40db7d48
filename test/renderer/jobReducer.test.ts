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

describe('the runner\'s statuses (issue 10)', () => {
  const status = (seq: number, st: JobSummary['status'], extra: Partial<Extract<JobEvent, { type: 'status' }>> = {}): JobEvent => ({ type: 'status', jobId: 'j1', seq, at: 100 + seq, status: st, ...extra })

  it('a status event sets the status, what it waits for, and the commands the runner allows now', () => {
    const s = run([ev.started(1), status(2, 'pausing', { detail: { kind: 'in-flight', chats: 50 }, actions: ['cancel'] })])
    expect(s.summary).toMatchObject({ status: 'pausing', detail: { kind: 'in-flight', chats: 50 }, actions: ['cancel'] })
    const p = applyJobEvent(s, { type: 'paused', jobId: 'j1', seq: 3, at: 5, actions: ['resume', 'cancel'] })
    expect(p.summary).toMatchObject({ status: 'paused', actions: ['resume', 'cancel'] })
    expect(p.summary.detail).toBeUndefined()
  })

  it('waiting for the portal, attempt after attempt, then running again', () => {
    const error = { code: 'NETWORK' as const, message: 'connect ECONNREFUSED 127.0.0.1:8443' }
    const s = run([
      ev.started(1),
      status(2, 'waiting-for-portal', { detail: { kind: 'portal-unreachable', attempt: 1, nextTryAt: 5_000, error }, actions: ['pause', 'cancel'] }),
      status(3, 'waiting-for-portal', { detail: { kind: 'portal-unreachable', attempt: 2, nextTryAt: null, error } }),
    ])
    expect(s.summary.status).toBe('waiting-for-portal')
    expect(s.summary.detail).toEqual({ kind: 'portal-unreachable', attempt: 2, nextTryAt: null, error })
    // An event without commands keeps the last ones.
    expect(s.summary.actions).toEqual(['pause', 'cancel'])
    const back = run([status(4, 'resolving', { detail: { kind: 'resolving', rows: 12 } }), status(5, 'running')], s)
    expect(back.summary.status).toBe('running')
    expect(back.summary.detail).toBeUndefined()
  })

  it('a terminal event brings its commands: a cancelled job with unsent rows offers to send them', () => {
    const s = run([ev.started(1), status(2, 'cancelling', { detail: { kind: 'in-flight', chats: 40 }, actions: [] }), { type: 'cancelled', jobId: 'j1', seq: 3, at: 9, progress: progress(4), actions: ['send-unsent', 'remove'] }])
    expect(s.summary).toMatchObject({ status: 'cancelled', actions: ['send-unsent', 'remove'] })
    expect(s.summary.detail).toBeUndefined()
  })

  it('the seq goes on across runs and restarts: the resumed run is followed, the old run\'s stragglers are not', () => {
    // First run, then the app quit (paused, no terminal event) at seq 40.
    const first = run([ev.started(1), ev.progress(20, 4), { type: 'paused', jobId: 'j1', seq: 40, at: 50, actions: ['resume', 'cancel'] }])
    // The next start: the window catches up from a snapshot of the new process (seq 40 persisted in the journal).
    const restarted = catchUp(undefined, snap(40, { status: 'paused', actions: ['resume', 'cancel'], progress: progress(4) }))
    expect(restarted.summary.actions).toEqual(['resume', 'cancel'])
    for (const from of [first, restarted]) {
      const resumed = run([ev.started(41), ev.progress(42, 6), ev.progress(30, 1), ev.finished(43)], from)
      expect(resumed.summary.status).toBe('finished')
      expect(resumed.summary.progress.counts.created).toBe(10)
      expect(resumed.seq).toBe(43)
    }
    // A retry after the end is a new run with a higher seq: followed again.
    const again = run([ev.finished(43), ev.started(44, 10), ev.progress(45, 9)], first)
    expect(again.summary.status).toBe('running')
    expect(again.summary.progress.counts.created).toBe(9)
  })

  it('a job another process held is ours again once a run of ours starts', () => {
    const held = fromSnapshot(snap(7, { status: 'running', actions: [], lockedBy: { program: 'cli', pid: 4321, host: 'pc', since: 1 } }))
    const mine = applyJobEvent(held, { ...ev.started(8), actions: ['pause', 'cancel'] } as JobEvent)
    expect(mine.summary.lockedBy).toBeUndefined()
    expect(mine.summary.actions).toEqual(['pause', 'cancel'])
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
