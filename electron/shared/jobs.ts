import type { AppError } from './result'
import type { ChatParams } from './chat'

/** A row's life in a job's journal. `sending` holds the idempotency key before the request leaves. */
export const ROW_STATES = ['planned', 'sending', 'created', 'failed', 'needs-checking', 'skipped'] as const
export type RowState = (typeof ROW_STATES)[number]
export const FINAL_ROW_STATES: readonly RowState[] = ['created', 'failed', 'needs-checking', 'skipped']

/**
 * A job's state machine (core/sync/runner.ts owns the transitions): `draft` (never started), `queued` (rows
 * re-planned, to be started), `running`, `pausing` / `cancelling` (acknowledged; waiting for the chats in
 * flight), `paused`, `waiting-for-portal` (unreachable: retried with backoff, never terminal), `resolving`
 * (looking up rows whose outcome is unknown), and the terminal `finished`, `failed` (a real verdict: auth, scope,
 * disk full — resumable after fixing) and `cancelled` (its unsent rows can be sent again).
 */
export type JobStatus =
  | 'draft'
  | 'queued'
  | 'running'
  | 'pausing'
  | 'paused'
  | 'waiting-for-portal'
  | 'resolving'
  | 'cancelling'
  | 'finished'
  | 'failed'
  | 'cancelled'

export const JOB_STATUSES: readonly JobStatus[] = ['draft', 'queued', 'running', 'pausing', 'paused', 'waiting-for-portal', 'resolving', 'cancelling', 'finished', 'failed', 'cancelled']
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['finished', 'failed', 'cancelled']
/** A runner holds the job (its lock) and events may arrive: everything between a start and a terminal event. */
export const LIVE_JOB_STATUSES: readonly JobStatus[] = ['running', 'pausing', 'paused', 'waiting-for-portal', 'resolving', 'cancelling']

/** What a transient status is waiting for, for the UI ("Pausing — waiting for the 50 chats in flight"). */
export type JobStateDetail =
  | { kind: 'in-flight'; chats: number }
  /** "Portal unreachable — next try in 20 s, attempt 4"; `nextTryAt` null while the attempt is under way. */
  | { kind: 'portal-unreachable'; attempt: number; nextTryAt: number | null; error: AppError }
  | { kind: 'resolving'; rows: number }

/** What the user may do with a job now (computed by the runner's state machine; the UI only shows them). */
export type JobAction = 'start' | 'pause' | 'resume' | 'cancel' | 'retry-failed' | 'send-unsent' | 'remove'

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
  /** What a transient status (pausing, cancelling, waiting-for-portal, resolving) is waiting for. */
  detail?: JobStateDetail
  /** The commands allowed now. */
  actions: JobAction[]
  /** Another process (the app or `b24chat`) is sending this job: commands are refused until it stops. */
  lockedBy?: LockHolder
}

/** The process that holds a job (its lock), as the window names it. */
export interface LockHolder {
  program: 'app' | 'cli'
  pid: number
  host: string
  since: number
}

/** Everything a reloaded window needs to catch up. */
export interface JobSnapshot extends JobSummary {
  seq: number
  log: JobRowLog[]
}

/**
 * Events carry a monotonic per-job `seq`; exactly one terminal event (finished | failed | cancelled) per run.
 * Every event that changes the status also carries the commands the new status allows (`actions`), so a window
 * following the events never shows a command of the status before.
 */
export type JobEvent =
  | { type: 'started'; jobId: string; seq: number; at: number; total: number; actions?: JobAction[] }
  | { type: 'progress'; jobId: string; seq: number; at: number; progress: JobProgress }
  | { type: 'rows'; jobId: string; seq: number; at: number; rows: JobRowLog[] }
  | { type: 'paused'; jobId: string; seq: number; at: number; actions?: JobAction[] }
  | { type: 'resumed'; jobId: string; seq: number; at: number; actions?: JobAction[] }
  /** Any other change of status within a run: pausing, cancelling, waiting-for-portal, resolving, running again. */
  | { type: 'status'; jobId: string; seq: number; at: number; status: JobStatus; detail?: JobStateDetail; actions?: JobAction[] }
  | { type: 'finished'; jobId: string; seq: number; at: number; progress: JobProgress; actions?: JobAction[] }
  | { type: 'failed'; jobId: string; seq: number; at: number; error: AppError; progress: JobProgress; actions?: JobAction[] }
  | { type: 'cancelled'; jobId: string; seq: number; at: number; progress: JobProgress; actions?: JobAction[] }

/** Row error codes of rows not sent because their chat exists already. */
export const ALREADY_CREATED = 'ALREADY_CREATED'
export const ALREADY_EXISTS = 'ALREADY_EXISTS'

export type TerminalJobEvent = Extract<JobEvent, { type: 'finished' | 'failed' | 'cancelled' }>
export const isTerminal = (e: JobEvent): e is TerminalJobEvent => e.type === 'finished' || e.type === 'failed' || e.type === 'cancelled'

/** A one-off chat from the Compose screen, or a queued draft row. */
export interface ComposeInput {
  params: ChatParams
  /** E-mails to resolve into USERS. */
  emails?: string[]
  owner?: number | string
}
