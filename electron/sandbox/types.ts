/** The sandbox's public types (re-exported by index.ts). */
import type { Clock } from './clock'
import type { SandboxChatView } from '../shared/ipc'
import type { CapacityStats } from './capacity'

export type Plan = 'standard' | 'enterprise'
export const FAULT_KINDS = ['qle', 'http500', 'html', 'reset-after-commit', 'timeout'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]
/** Per-request probabilities (0..1) of each fault; absent = 0. */
export type Faults = Partial<Record<FaultKind, number>>

/** [C] switches of the notes, settable at start and at runtime (`Sandbox.configure`, POST /_sandbox/config). */
export interface SandboxSwitches {
  /** LL-new: the first operating breach bans the method for 300 s (default false = LL-old sliding window). */
  banMode: boolean
  /**
   * How a `batch` is billed against the operating budget.
   * - `batch-half` (default): LL-new and what b24jssdk PR #539 measured on a live portal — billed under `batch`
   *   at weight 0.5, sub-calls free, every sub-result's `result_time` carries the batch's `operating`.
   * - `docs`: the outer batch is free, each sub-call is billed (and checked) under its own method.
   */
  batchBilling: 'docs' | 'batch-half'
  /** TITLE (and ENTITY_TYPE/ENTITY_ID) longer than the column: `error` (default, the ORM Length validator fails →
   * 400 WRONG_REQUEST "Chat can't be created") or `truncate`. */
  titleOverflow: 'error' | 'truncate'
  /** `im:color_enable`. When false every chat is MARENGO and auto-titles are "Chat with <names>". Default true. */
  colorsEnabled: boolean
  /** Legacy server: im.chat.add without USERS → 400 USERS_EMPTY. Default false. */
  usersEmptyLegacy: boolean
  /** Whether a request rejected by the leaky bucket still adds to it. Default false. */
  countRejected: boolean
  /** Every REST call → 403 ACCESS_DENIED "REST API is available only on commercial plans". Default false. */
  accessDenied: boolean
  /** Every REST call → 503 OVERLOAD_LIMIT (a manual block). Default false. */
  overloadLimit: boolean
}

export interface SandboxOptions extends Partial<SandboxSwitches> {
  /** 0 = any free port (default). The host is always 127.0.0.1. */
  port?: number
  plan?: Plan
  /** Override the plan's leaky bucket (standard 50 / 2 per s, enterprise 250 / 5). */
  burst?: number
  rps?: number
  /** Operating budget: seconds per window (default 480 / 600). */
  operatingLimitSec?: number
  operatingWindowSec?: number
  /** Calls shorter than this are not counted against the budget (default 0.1 s; scale it with latencyMs). */
  operatingMinCountedSec?: number
  /** Ban length in ban mode (default 300 s). */
  banSec?: number
  /** im.chat.add median simulated server time in ms (default 300); 0 = no simulated time for any method. */
  latencyMs?: number
  /** A request is killed after this much server time → 504 with an HTML body (default 60 s). */
  requestCapSec?: number
  /**
   * Server capacity [C] (README "Server capacity"): requests run at once (default 8; 0 = unlimited). Requests
   * beyond wait for a worker; their latency grows, their server time does not.
   */
  workers?: number
  /** Requests that may wait for a worker (default 8 × workers); one more gets 503 with an nginx HTML page. */
  queueLimit?: number
  /** OAuth access-token lifetime (default 3600 s). */
  tokenTtlSec?: number
  /** Directory size (default 200). */
  users?: number
  /** Seed of the fault and latency RNGs (default 1). */
  seed?: number
  faults?: Faults
  /** Injected time (default: the system clock). Simulated server time elapses through `clock.sleep`. */
  clock?: Clock
  /**
   * Persist chats, counters, credentials and the certificate in this JSON file (atomic snapshot + an append-only
   * `.log` beside it, replayed at start), so a restarted sandbox keeps its chats, webhook secret and admin token.
   */
  stateFile?: string
  /** Also listen plain HTTP on `httpPort` (every REST call there → 400 INVALID_REQUEST "Https required"). */
  http?: boolean
  httpPort?: number
  /** Scopes of the default webhook (default im, user, user_basic, department). */
  webhookScopes?: string[]
  /** Scopes granted to the default OAuth app (default im, user). */
  oauthScopes?: string[]
  /** Largest accepted request body in bytes (default 256 MiB). */
  maxBodyBytes?: number
}

/** A chat as the inspection API shows it: the same shape the app's Sandbox chats screen receives. */
export type SandboxChat = SandboxChatView

export interface OperatingStat {
  authType: 'webhook' | 'oauth'
  /** Webhook id (e.g. "webhook-1") or OAuth client_id — never a secret. */
  credential: string
  method: string
  /** Seconds used in the current window. */
  usedSec: number
  /** Unix seconds; null when nothing is counted. */
  resetAt: number | null
  bannedUntil: number | null
  /** The most seconds in use at once since start/reset (right after a call was billed): over the limit = overspent. */
  peakSec: number
}

export interface SandboxStats {
  /** HTTP requests to /rest/ by method (lower case, `batch` for batches; unknown/unparsed paths as "?"). */
  requests: Record<string, number>
  /** Every executed method call, batch sub-calls included. */
  calls: Record<string, number>
  /** Total HTTP requests to /rest/. */
  totalRequests: number
  /** 503 QUERY_LIMIT_EXCEEDED responses from the bucket (spurious `qle` faults are counted under faults). */
  status503: number
  /** 429 OPERATION_TIME_LIMIT responses, including batch sub-calls. */
  status429: number
  /** Faults injected by kind. */
  faults: Record<FaultKind, number>
  operating: OperatingStat[]
  bucket: { burst: number; rps: number; level: number; byAddress: Record<string, number> }
  /** Requests being processed now, and the most at once since start/reset. */
  inFlight: number
  maxInFlight: number
  /** Workers, the queue, and the requests the full queue refused (503 HTML). */
  capacity: CapacityStats
  chats: number
}

export interface WebhookSpec {
  userId?: number
  scopes?: string[]
  /** Epoch ms after which calls get 401 NO_AUTH_FOUND. */
  expiresAt?: number
}

export interface OAuthCredentials {
  tokenUrl: string
  clientId: string
  clientSecret: string
  accessToken: string
  refreshToken: string
}

export interface Sandbox {
  /** https://127.0.0.1:PORT */
  origin: string
  port: number
  /** https://127.0.0.1:PORT/rest/1/SECRET/ (user 1, the admin) */
  webhookUrl: string
  /** PEM of the self-signed certificate the client must trust (it is its own CA). */
  caPem: string
  /** X-Sandbox-Admin header value for /_sandbox/. */
  adminToken: string
  /** The default OAuth app; call /rest/METHOD with auth=accessToken. */
  oauth: OAuthCredentials
  /** http://127.0.0.1:HTTP_PORT when started with `http: true`. */
  httpOrigin?: string
  setFaults(f: Faults | undefined): void
  configure(s: Partial<SandboxSwitches>): void
  /** Clears chats, counters, limits, stats; re-seeds the RNGs; faults back to the start options. Keeps credentials. */
  reset(): void
  stats(): SandboxStats
  chats(): SandboxChat[]
  /** An extra webhook; returns its URL (https://…/rest/USER/SECRET/). */
  addWebhook(spec?: WebhookSpec): { url: string; id: string }
  /** An extra OAuth app with its own tokens. */
  addOAuthApp(spec?: { userId?: number; scopes?: string[] }): OAuthCredentials
  /** Makes every current access token expired (next call → 401 expired_token). */
  expireAccessTokens(): void
  close(): Promise<void>
}
