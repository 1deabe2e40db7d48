/**
 * A job's state machine as data: which status may follow which, and which user command each status allows.
 * The runner (runner.ts) changes status only through `transition`, so an illegal move is a bug that fails loudly
 * (unit-tested), never a silently wrong screen.
 */
import type { JobAction, JobStatus, StateCounts } from '../../shared/jobs'
import { AppFailure, missingCase } from '../../shared/result'

export const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  draft: ['running'],
  queued: ['running'],
  running: ['pausing', 'paused', 'cancelling', 'cancelled', 'waiting-for-portal', 'resolving', 'finished', 'failed'],
  resolving: ['running', 'pausing', 'paused', 'cancelling', 'cancelled', 'waiting-for-portal', 'finished', 'failed'],
  'waiting-for-portal': ['running', 'resolving', 'pausing', 'paused', 'cancelling', 'cancelled', 'failed'],
  pausing: ['paused', 'cancelling', 'cancelled', 'finished', 'failed'],
  paused: ['running', 'cancelled', 'failed'],
  cancelling: ['cancelled', 'failed'],
  finished: ['running'],
  failed: ['running'],
  cancelled: ['running'],
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to)
}

/** Checks a move; throws INTERNAL for a move the table does not allow. */
export function transition(from: JobStatus, to: JobStatus): JobStatus {
  if (!canTransition(from, to)) throw new AppFailure('INTERNAL', `A job cannot go from ${from} to ${to}.`)
  return to
}

/** Rows a job could still send: planned, plus rows whose outcome is unknown (resolved first). */
const unsent = (c: StateCounts): number => c.planned + c.sending

/**
 * The commands a job in `status` allows, given its row counts. `failedAtPortal`: rows that failed at the
 * portal (rows validation rejected, and rows that need checking, are never retried automatically).
 */
export function actionsFor(status: JobStatus, counts: StateCounts, failedAtPortal: number): JobAction[] {
  const retry: JobAction[] = failedAtPortal > 0 ? ['retry-failed'] : []
  switch (status) {
    case 'draft':
    case 'queued':
      return ['start', 'remove']
    case 'running':
    case 'resolving':
    case 'waiting-for-portal':
      return ['pause', 'cancel']
    case 'pausing':
      return ['cancel']
    case 'paused':
      return ['resume', 'cancel', ...retry]
    case 'cancelling':
      return []
    case 'finished':
      return [...retry, 'remove']
    case 'failed':
      return ['resume', ...retry, 'remove']
    case 'cancelled':
      return [...(unsent(counts) > 0 ? (['send-unsent'] as JobAction[]) : []), ...retry, 'remove']
    default:
      return missingCase(status)
  }
}
