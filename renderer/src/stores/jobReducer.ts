/**
 * Job state as a pure reducer (house-style habit 10). The main process sends events with a monotonic per-job
 * `seq`; this module decides what each one does to what the window shows:
 * - an event for another job, or with a seq at or below the last one applied (stale or duplicate), is ignored;
 * - after a terminal event (finished | failed | cancelled) only a new run's `started` is accepted (the seq goes on
 *   across runs and restarts, so a new run's events are always newer than the last run's);
 * - events that change the status carry the commands the new status allows (`actions`): adopted as they are, never
 *   derived here;
 * - a snapshot (`jobs.snapshot`) replaces the state when it is at least as new, then buffered events newer than
 *   the snapshot are replayed, so a reloaded window catches up without losing or double-counting anything.
 * Functions never mutate their inputs: they return the same object when nothing changes, a new one otherwise.
 */
import type { JobEvent, JobRowLog, JobSnapshot, JobStatus, JobSummary } from '../../../electron/shared/jobs'
import { LIVE_JOB_STATUSES } from '../../../electron/shared/jobs'

export interface JobState {
  summary: JobSummary
  /** The last seq applied; -1 while only a list summary is known. */
  seq: number
  /** One entry per row, the latest state of each, the most recently updated last. */
  log: readonly JobRowLog[]
}

export const TERMINAL_STATUSES: readonly JobStatus[] = ['finished', 'failed', 'cancelled']
export const isTerminalStatus = (s: JobStatus): boolean => TERMINAL_STATUSES.includes(s)
/** A job that can still change by itself (events may arrive). */
export const isActiveStatus = (s: JobStatus): boolean => s === 'queued' || LIVE_JOB_STATUSES.includes(s)

export function fromSummary(summary: JobSummary): JobState {
  return { summary, seq: -1, log: [] }
}

export function fromSnapshot(snapshot: JobSnapshot): JobState {
  const { seq, log, ...summary } = snapshot
  return { summary, seq, log: mergeLog([], log) }
}

/** Upserts rows by rowKey: an updated row moves to the end (newest last). */
export function mergeLog(log: readonly JobRowLog[], rows: readonly JobRowLog[]): JobRowLog[] {
  if (rows.length === 0) return log.slice()
  const latest = new Map<string, JobRowLog>()
  for (const r of rows) {
    latest.delete(r.rowKey)
    latest.set(r.rowKey, r)
  }
  const out: JobRowLog[] = []
  for (const r of log) if (!latest.has(r.rowKey)) out.push(r)
  for (const r of latest.values()) out.push(r)
  return out
}

export function applyJobEvent(state: JobState, event: JobEvent): JobState {
  if (event.jobId !== state.summary.id) return state
  if (event.seq <= state.seq) return state
  const terminal = isTerminalStatus(state.summary.status)
  if (terminal && event.type !== 'started') return state
  // An event that changes the status brings the commands the new status allows (core's state machine decides).
  const s = 'actions' in event && event.actions ? { ...state.summary, actions: event.actions } : state.summary
  switch (event.type) {
    case 'started': {
      // A run of this process: the job is no longer held by another one.
      const { lockedBy: _held, ...rest } = s
      return {
        summary: { ...rest, status: 'running', startedAt: event.at, finishedAt: undefined, error: undefined, detail: undefined, progress: { ...s.progress, total: event.total } },
        seq: event.seq,
        log: state.log,
      }
    }
    case 'progress':
      return { summary: { ...s, progress: event.progress }, seq: event.seq, log: state.log }
    case 'rows':
      return { summary: s, seq: event.seq, log: mergeLog(state.log, event.rows) }
    case 'paused':
      return { summary: { ...s, status: 'paused', detail: undefined }, seq: event.seq, log: state.log }
    case 'resumed':
      return { summary: { ...s, status: 'running', detail: undefined }, seq: event.seq, log: state.log }
    case 'status':
      return { summary: { ...s, status: event.status, detail: event.detail }, seq: event.seq, log: state.log }
    case 'finished':
      return { summary: { ...s, status: 'finished', finishedAt: event.at, progress: event.progress, detail: undefined }, seq: event.seq, log: state.log }
    case 'failed':
      return { summary: { ...s, status: 'failed', finishedAt: event.at, progress: event.progress, error: event.error, detail: undefined }, seq: event.seq, log: state.log }
    case 'cancelled':
      return { summary: { ...s, status: 'cancelled', finishedAt: event.at, progress: event.progress, detail: undefined }, seq: event.seq, log: state.log }
    default: {
      // Unknown event kinds from a newer backend are ignored rather than crashing the window.
      const _exhaustive: never = event
      void _exhaustive
      return state
    }
  }
}

/**
 * Catch-up: `buffered` are the events received while the snapshot was on its way. The snapshot wins when it is
 * at least as new as what we have; then every buffered event newer than it is applied in seq order.
 */
export function catchUp(state: JobState | undefined, snapshot: JobSnapshot, buffered: readonly JobEvent[] = []): JobState {
  let next = state && state.seq > snapshot.seq ? state : fromSnapshot(snapshot)
  const later = buffered.filter((e) => e.jobId === snapshot.id).slice().sort((a, b) => a.seq - b.seq)
  for (const e of later) next = applyJobEvent(next, e)
  return next
}

/** A summary from a list or a command result: adopted only while no event or snapshot has been applied. */
export function withSummary(state: JobState | undefined, summary: JobSummary): JobState {
  if (!state) return fromSummary(summary)
  if (state.seq >= 0) return state
  return { ...state, summary }
}
