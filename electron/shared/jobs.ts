import type { AppError } from './result'
import type { ChatParams } from './chat'

/** A row's life in a job's journal. `sending` holds the idempotency key before the request leaves. */
export const ROW_STATES = ['planned', 'sending', 'created', 'failed', 'needs-checking', 'skipped'] as const
export type RowState = (typeof ROW_STATES)[number]
export const FINAL_ROW_STATES: readonly RowState[] = ['created', 'failed', 'needs-checking', 'skipped']

export type JobStatus = 'draft' | 'queued' | 'running' | 'paused' | 'finished' | 'failed' | 'cancelled'

export type StateCounts = Record<RowState, number>
export const emptyCounts = (): StateCounts => ({ planned: 0, sending: 0, created: 0, failed: 0, 'needs-checking': 0, skipped: 0 })

/**
 * Requests in flight to the portal and the budget in use, attached to every pacing state so the UI can say
 * "3 requests in flight (up to 4), budget 61 % used" (issue 11).
 */
export interface PacingFlow {
  /** Requests to this portal in flight now (every job and live check of the app). */
  inFlight: number
  /** How many the adaptive limiter allows now (1 ≤ limit ≤ ceiling). */
  limit: number
  /** The setting: the most requests in flight the app ever allows on one portal. */
  ceiling: number
  /** Operating budget in use on the busiest billing key of this credential, % of the portal's limit; null before any. */
  budgetUsedPct: number | null
  /** That billing key (a method, or `batch`). */
  budgetMethod: string | null
}

/** What holds the engine back right now, for the UI ("waiting for the operating budget until 12:03:10"). */
export type PacingState = (
  | { kind: 'idle' }
  | { kind: 'sending' }
  | { kind: 'bucket'; untilMs: number }
  | { kind: 'operating'; method: string; untilMs: number; usedSec: number; limitSec: number }
  | { kind: 'backoff'; reason: 'QUERY_LIMIT_EXCEEDED' | 'OPERATION_TIME_LIMIT' | 'NETWORK'; untilMs: number }
  | { kind: 'resolving' }
  | { kind: 'refreshing-token' }
) & { flow?: PacingFlow }

export interface JobRowLog {
  rowKey: string
  line: number
  state: RowState
  chatId?: number
  /** The portal's error, verbatim, or the tool's reason (needs-checking). */
  errorCode?: string
  errorMessage?: string
  at: number
}

export interface JobProgress {
  counts: StateCounts
  total: number
  chatsPerSec: number
  /** Seconds left, from the rows left and the portal's limits, not only the recent rate. null until known. */
  etaSec: number | null
  pacing: PacingState
}

export interface JobSummary {
  id: string
  profile: string
  /** The sheet file or 'compose' for one-off chats. */
  source: string
  status: JobStatus
  createdAt: number
  startedAt?: number
  finishedAt?: number
  progress: JobProgress
  error?: AppError
}

/** Everything a reloaded window needs to catch up. */
export interface JobSnapshot extends JobSummary {
  seq: number
  log: JobRowLog[]
}

/** Events carry a monotonic per-job `seq`; exactly one terminal event (finished | failed | cancelled) per run. */
export type JobEvent =
  | { type: 'started'; jobId: string; seq: number; at: number; total: number }
  | { type: 'progress'; jobId: string; seq: number; at: number; progress: JobProgress }
  | { type: 'rows'; jobId: string; seq: number; at: number; rows: JobRowLog[] }
  | { type: 'paused'; jobId: string; seq: number; at: number }
  | { type: 'resumed'; jobId: string; seq: number; at: number }
  | { type: 'finished'; jobId: string; seq: number; at: number; progress: JobProgress }
  | { type: 'failed'; jobId: string; seq: number; at: number; error: AppError; progress: JobProgress }
  | { type: 'cancelled'; jobId: string; seq: number; at: number; progress: JobProgress }

export type TerminalJobEvent = Extract<JobEvent, { type: 'finished' | 'failed' | 'cancelled' }>
export const isTerminal = (e: JobEvent): e is TerminalJobEvent => e.type === 'finished' || e.type === 'failed' || e.type === 'cancelled'

/** A one-off chat from the Compose screen, or a queued draft row. */
export interface ComposeInput {
  params: ChatParams
  /** E-mails to resolve into USERS. */
  emails?: string[]
  owner?: number | string
}
