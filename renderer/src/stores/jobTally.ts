/**
 * A job's figures as the Outbox shows them (pure). Rows that validation rejected enter a job as `failed` with
 * errorCode VALIDATION: they are reported but never sent and never retried. They are counted apart ("not sent")
 * and left out of the progress, which runs over the rows that can be sent.
 */
import { VALIDATION_CODE } from '../../../electron/shared/problems'
import type { JobState } from './jobReducer'

/** The errorCode of rows rejected by validation (the shared contract's VALIDATION_CODE). */
export const NOT_SENT_CODE = VALIDATION_CODE

export interface JobTally {
  /** Every row of the job. */
  rows: number
  /** Rows rejected by validation: never sent. */
  notSent: number
  /** Rows that can be sent: the progress runs over these. */
  sendable: number
  /** Sendable rows that reached a final state (created, failed at the portal, needs checking, skipped). */
  done: number
  created: number
  /** Rows the portal refused (what "Retry failed rows" puts back). */
  failedPortal: number
  needsChecking: number
  skipped: number
}

export function tallyJob(state: JobState): JobTally {
  const s = state.summary
  const c = s.progress.counts
  let notSent = 0
  if (state.seq >= 0) {
    for (const r of state.log) if (r.state === 'failed' && r.errorCode === NOT_SENT_CODE) notSent++
  } else if (s.status === 'draft') {
    // Only the list summary is known; a draft never ran, so any failed row is one validation rejected.
    notSent = c.failed
  }
  notSent = Math.min(notSent, c.failed)
  const failedPortal = c.failed - notSent
  const rows = s.progress.total
  const sendable = Math.max(0, rows - notSent)
  const done = Math.min(sendable, c.created + failedPortal + c['needs-checking'] + c.skipped)
  return { rows, notSent, sendable, done, created: c.created, failedPortal, needsChecking: c['needs-checking'], skipped: c.skipped }
}

/** Progress in percent over the sendable rows, one decimal. */
export function tallyPercent(t: JobTally): number {
  return t.sendable > 0 ? Math.min(100, Math.round((t.done / t.sendable) * 1000) / 10) : 0
}
