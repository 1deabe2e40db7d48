/**
 * The IPC contract (house-style habits 1, 2): what the renderer may call, each call's channel name and the zod
 * schema its payload must pass. Every call takes at most one object argument and resolves to a Result.
 * preload implements AppApi from this table; main registers one gatekept handler per entry; the e2e bridge
 * forwards the same calls to the same backend.
 */
import { z } from 'zod'
import { addProfileSchema, planSchema, profileNameSchema } from './profile'
import type { AddProfileInput, Plan, ProfileView } from './profile'
import type { Result } from './result'
import { DELIMITERS, ENCODINGS, SHEET_PAGE_MAX } from './sheet'
import type { AvatarInfo, ColumnMapping, SheetMeta, SheetOverview, SheetRow, SheetRowsPage, SheetSummary } from './sheet'
import { CHAT_FIELDS, CHAT_TYPES, COLOR_CODES } from './chat'
import type { JobEvent, JobSnapshot, JobSummary } from './jobs'
import type { ChatField } from './chat'
import type { AppError, LocalizedText } from './result'
import { settingsPatchSchema } from './settings'
import type { ApiPath } from './channels'
export { CHANNEL_NAMES, JOB_EVENT_CHANNEL, API_PATHS, splitPath } from './channels'
export type { ApiPath } from './channels'
import type { Settings } from './settings'

export interface AppInfo {
  version: string
  dataDir: string
  platform: string
  /** The OS locale, e.g. 'ru-RU', for the default language. */
  locale: string
  keychain: { available: boolean; message?: string }
}

export interface PreflightReport {
  profile: string
  portal: string
  user: { id: number; name: string; admin: boolean }
  scopes: string[]
  /** Scopes the tool needs that are missing, with what that means in plain words. */
  missing: { scope: string; why: string; whyRu: string }[]
  /** True when chats can be created (im granted). */
  canCreate: boolean
  /** True when e-mails can be resolved (user or user_basic granted). */
  canResolveEmails: boolean
}

export interface PortalUser {
  id: number
  name: string
  email?: string
  active: boolean
  position?: string
}

export interface SandboxStatus {
  running: boolean
  portal?: string
  plan: Plan
  chats: number
}

export interface SandboxChatView {
  id: number
  title: string
  type: 'OPEN' | 'CHAT'
  color: string
  description: string
  users: number[]
  ownerId: number
  entityType: string | null
  entityId: string | null
  avatar: { width: number; height: number; mime: string } | null
  messages: string[]
}

/** Most cell edits one `sheets.editCells` call takes (a find-and-replace over every cell of a big sheet). */
export const EDITS_MAX = 1_000_000

/** One cell edit: the row, the column (its header, or an API field name) and the new text. */
export interface CellEditInput {
  rowKey: string
  column: string
  value: string
}

/** What a batch of edits changed (the sheet's meta too: editing an unmapped field adds its column). */
export interface SheetEdited {
  /** The rows to show anew, in sheet order: the edited ones and those whose cross-row checks changed. */
  rows: SheetRow[]
  changed: number
  /** More rows changed than one page holds: `rows` is empty, read the sheet again with `sheets.rows`. */
  truncated: boolean
  summary: SheetSummary
  meta: SheetMeta
}

/** An imported sheet held by the backend; the renderer refers to it by id and reads its rows in pages. */
export interface SheetPreview extends SheetOverview {
  sheetId: string
}

const sheetOptionsSchema = z.object({
  encoding: z.enum(ENCODINGS).optional(),
  delimiter: z.enum(DELIMITERS as [string, ...string[]]).optional(),
  mapping: z.partialRecord(z.enum(CHAT_FIELDS), z.string().max(500)).optional(),
  avatarMaxEdge: z.number().int().min(64).max(5000).optional(),
  sheet: z.string().max(500).optional(),
})

const composeSchema = z.object({
  users: z.array(z.union([z.number().int().positive(), z.string().email().max(320)])).max(10_000).default([]),
  type: z.enum(CHAT_TYPES).default('CHAT'),
  title: z.string().max(10_000).default(''),
  description: z.string().max(100_000).default(''),
  color: z.enum(COLOR_CODES).optional(),
  message: z.string().max(100_000).default(''),
  /** Bare base64 or a data: URI, as the avatar picker produced it. */
  avatar: z.string().max(30_000_000).optional(),
  entityType: z.string().max(1000).default(''),
  entityId: z.string().max(1000).default(''),
  copilotMainRole: z.string().max(200).default(''),
  owner: z.union([z.number().int().positive(), z.string().email().max(320)]).optional(),
})
export type ComposeForm = z.input<typeof composeSchema>

/** Most outside folders one sheet lists (and one call may allow). */
export const AVATAR_FOLDERS_MAX = 100

const profileRef = z.object({ profile: profileNameSchema })
const rowKeys = z.array(z.string().min(1).max(200)).max(1_000_000)
const jobRef = z.object({ jobId: z.string().min(1).max(200) })
const sheetRef = z.object({ sheetId: z.string().min(1).max(200) })

/** The zod schema each call's payload must pass, by AppApi path (main's gatekeeper parses with it). */
export const PAYLOAD_SCHEMAS = {
  'app.info': z.undefined(),
  'app.chooseDataDir': z.undefined(),
  'settings.get': z.undefined(),
  'settings.set': settingsPatchSchema,
  'profiles.list': z.undefined(),
  'profiles.add': addProfileSchema,
  'profiles.update': profileRef.extend({ plan: planSchema.optional(), dedupeTagging: z.boolean().optional() }),
  'profiles.remove': profileRef,
  'profiles.test': profileRef,
  'profiles.searchUsers': profileRef.extend({ query: z.string().max(200) }),
  'sandbox.status': z.undefined(),
  'sandbox.start': z.undefined(),
  'sandbox.stop': z.undefined(),
  'sandbox.chats': z.undefined(),
  'sheets.import': z.object({ name: z.string().min(1).max(1000), bytes: z.instanceof(Uint8Array), path: z.string().max(4096).optional(), options: sheetOptionsSchema.optional() }),
  'sheets.openDialog': z.undefined(),
  'sheets.reimport': sheetRef.extend({ options: sheetOptionsSchema }),
  'sheets.rows': sheetRef.extend({ offset: z.number().int().min(0), limit: z.number().int().min(1).max(SHEET_PAGE_MAX) }),
  'sheets.editCell': sheetRef.extend({ rowKey: z.string().min(1).max(200), column: z.string().max(500), value: z.string().max(30_000_000) }),
  'sheets.liveCheck': sheetRef.extend({ profile: profileNameSchema }),
  'sheets.template': z.undefined(),
  'sheets.close': sheetRef,
  'sheets.editCells': sheetRef.extend({
    edits: z.array(z.object({ rowKey: z.string().min(1).max(200), column: z.string().max(500), value: z.string().max(100_000) })).min(1).max(EDITS_MAX),
  }),
  'sheets.openSample': z.undefined(),
  'compose.validate': z.object({ form: composeSchema }),
  'compose.create': profileRef.extend({ form: composeSchema, copy: z.boolean().optional() }),
  'compose.prepareAvatar': z.object({ name: z.string().max(1000), bytes: z.instanceof(Uint8Array) }),
  'jobs.list': z.undefined(),
  'jobs.createFromSheet': sheetRef.extend({ profile: profileNameSchema, start: z.boolean(), copies: rowKeys.optional(), expectCreate: z.number().int().min(0).optional() }),
  'jobs.addCompose': profileRef.extend({ form: composeSchema }),
  'jobs.start': jobRef,
  'jobs.pause': jobRef,
  'jobs.resume': jobRef,
  'jobs.cancel': jobRef,
  'jobs.retryFailed': jobRef,
  'jobs.remove': jobRef,
  'jobs.snapshot': jobRef,
  'jobs.exportResults': jobRef,
  'shell.openChat': profileRef.extend({ chatId: z.number().int().positive() }),
  'sheets.avatarFolders': sheetRef,
  'sheets.allowAvatarFolders': sheetRef.extend({ folders: z.array(z.string().min(1).max(4096)).min(1).max(AVATAR_FOLDERS_MAX) }),
  'sheets.setAvatarFolder': sheetRef.extend({ folder: z.string().max(4096).optional() }),
  'sheets.sendPlan': sheetRef.extend({ profile: profileNameSchema, copies: rowKeys.optional(), portal: z.boolean().optional() }),
  'jobs.sendUnsent': jobRef,
} satisfies Record<ApiPath, z.ZodType>

const KIB = 1024
const MIB = 1024 * KIB
/** The cap of every call not named in PAYLOAD_LIMITS. */
export const DEFAULT_PAYLOAD_LIMIT = 64 * KIB
/**
 * The most bytes a call's payload may take, by AppApi path, measured as it travels on the browser shell's wire
 * (JSON, bytes as base64) before anything parses it; the Electron gate measures the IPC value the same way.
 * Calls not named here get DEFAULT_PAYLOAD_LIMIT.
 */
export const PAYLOAD_LIMITS: Partial<Record<ApiPath, number>> = {
  /** A sheet of up to 50 MB (core/import DEFAULT_MAX_BYTES), as base64. */
  'sheets.import': 80 * MIB,
  /** A cell may hold an avatar as base64 (value: 30,000,000 characters at most). */
  'sheets.editCell': 32 * MIB,
  /** A bulk fix over a 100,000-row sheet (find and replace, set a column): about 10 MB of edits. */
  'sheets.editCells': 32 * MIB,
  /** The compose form may carry its avatar as base64 (avatar: 30,000,000 characters at most). */
  'compose.validate': 32 * MIB,
  'compose.create': 32 * MIB,
  'jobs.addCompose': 32 * MIB,
  /** An avatar image file, as base64. */
  'compose.prepareAvatar': 32 * MIB,
}

/** The byte cap of one call's payload. */
export const payloadLimit = (path: ApiPath): number => PAYLOAD_LIMITS[path] ?? DEFAULT_PAYLOAD_LIMIT

/**
 * Where a sheet's avatar files may come from (issue 13): relative paths resolve against the picked avatar folder,
 * else the sheet's folder; files outside the allowed folders (absolute paths, `../`, symlinks out) are refused
 * until the user allows their folder for this sheet (this session).
 */
export interface AvatarFolders {
  /** The sheet's own folder; null for a sheet uploaded without a path (browser mode). */
  sheetFolder: string | null
  /** The folder the user picked for this sheet's relative avatar paths (remembered per sheet), if any. */
  picked: string | null
  /** Every folder avatars may come from now. */
  allowed: string[]
  /** Folders outside `allowed` that rows point to, with the number of rows each (most first; at most AVATAR_FOLDERS_MAX). */
  outside: { folder: string; rows: number }[]
  /** Rows whose relative avatar path has no folder to resolve against (no sheet folder, none picked). */
  unresolved: number
  /** True when the host has a folder dialog (the desktop app); the browser shell takes a typed path instead. */
  canPick: boolean
}


export interface ComposeResult {
  /** The job that created the chat; absent when the chat existed already. */
  jobId?: string
  chatId: number
  link: string
  /**
   * True when this chat (same identity: title, or content, or the form's own entity pair) had been created
   * before: nothing was created now. Create another with `copy: true`.
   */
  alreadyCreated?: boolean
  /** When it was created (ms epoch), when the data folder's history knows. */
  createdAt?: number
  /** Fields whose values differ from what was sent then (already created with other values). */
  differs?: ChatField[]
}

/** A row of an open sheet whose chat exists already (the send plan lists only these). */
export interface SendPlanRow {
  rowKey: string
  line: number
  /** 'already-created': the same values; 'created-with-other-values': the fields in `fields` differ. */
  match: 'already-created' | 'created-with-other-values'
  chatId: number
  /** Opens the chat on the portal ('' when the portal's address is unknown). */
  link: string
  /** ms epoch, when this data folder's history knows. */
  createdAt?: number
  fields?: ChatField[]
  /** 'history': sent from this data folder; 'portal': found on the portal (another data folder or computer). */
  source: 'history' | 'portal'
  /** 'skip' (the default: not sent again) or 'copy' (the user asked for a new chat). */
  choice: 'skip' | 'copy'
  /** False for rows with their own ENTITY_TYPE/ENTITY_ID: the pair names the chat, so a copy needs a new pair. */
  canCopy: boolean
}

/** What a send of an open sheet would do: the confirmation before anything is sent. */
export interface SendPlan {
  sheetId: string
  profile: string
  /** The portal's host, as the confirmation names it (e.g. acme.bitrix24.ru). */
  portal: string
  /** Chats a send would create now: rows without errors not created before, plus the copies asked for. */
  toCreate: number
  alreadyCreated: number
  createdWithOtherValues: number
  copies: number
  /** Rows validation rejected (never sent). */
  invalid: number
  /** Rows created before, in sheet order, with their choice. */
  rows: SendPlanRow[]
  /** True when the portal was asked too (not only this data folder's history). */
  portalChecked: boolean
  /** Why the portal could not be asked (the plan then rests on the history; the engine asks again before sending). */
  lookupError?: AppError
  /** "Create 1,000 chats on acme.bitrix24.ru?" */
  confirm: LocalizedText
}

export interface PreparedAvatar extends AvatarInfo {
  /** Bare base64 to send. */
  base64: string
}

/** Everything the backend serves; AppApi adds the renderer-only conveniences. All calls resolve to a Result. */
export interface BackendApi {
  app: {
    info(): Promise<Result<AppInfo>>
    /** Lets the admin pick another data folder; it is used from the next start. null when cancelled. */
    chooseDataDir(): Promise<Result<{ dataDir: string; restartRequired: boolean } | null>>
  }
  settings: { get(): Promise<Result<Settings>>; set(patch: Partial<Settings>): Promise<Result<Settings>> }
  profiles: {
    list(): Promise<Result<ProfileView[]>>
    add(input: AddProfileInput): Promise<Result<ProfileView>>
    update(req: { profile: string; plan?: Plan; dedupeTagging?: boolean }): Promise<Result<ProfileView>>
    remove(req: { profile: string }): Promise<Result<null>>
    test(req: { profile: string }): Promise<Result<PreflightReport>>
    searchUsers(req: { profile: string; query: string }): Promise<Result<PortalUser[]>>
  }
  sandbox: {
    status(): Promise<Result<SandboxStatus>>
    start(): Promise<Result<SandboxStatus>>
    stop(): Promise<Result<SandboxStatus>>
    chats(): Promise<Result<SandboxChatView[]>>
  }
  sheets: {
    import(req: { name: string; bytes: Uint8Array; path?: string; options?: ImportOptionsInput }): Promise<Result<SheetPreview>>
    openDialog(): Promise<Result<SheetPreview | null>>
    reimport(req: { sheetId: string; options: ImportOptionsInput }): Promise<Result<SheetPreview>>
    /** Rows `offset` … `offset + limit - 1` of an open sheet, built on request (at most SHEET_PAGE_MAX). */
    rows(req: { sheetId: string; offset: number; limit: number }): Promise<Result<SheetRowsPage>>
    editCell(req: { sheetId: string; rowKey: string; column: string; value: string }): Promise<Result<SheetRow>>
    liveCheck(req: { sheetId: string; profile: string }): Promise<Result<SheetPreview>>
    template(): Promise<Result<{ name: string; text: string }>>
    close(req: { sheetId: string }): Promise<Result<null>>
    /** Where the sheet's avatars may come from, and the folders outside that its rows point to. */
    avatarFolders(req: { sheetId: string }): Promise<Result<AvatarFolders>>
    /** Allows these folders (each one the sheet listed in `outside`) for this sheet, this session; re-reads its avatars. */
    allowAvatarFolders(req: { sheetId: string; folders: string[] }): Promise<Result<SheetPreview>>
    /**
     * Sets the folder relative avatar paths resolve against (remembered for this sheet): `folder` typed (browser
     * mode), '' to forget it, or omitted to show the host's folder dialog (null when cancelled). Re-reads the avatars.
     */
    setAvatarFolder(req: { sheetId: string; folder?: string }): Promise<Result<SheetPreview | null>>
    /** Many cell edits at once (bulk set, find and replace, grid edits, undo/redo), checked and applied in one pass. */
    editCells(req: { sheetId: string; edits: CellEditInput[] }): Promise<Result<SheetEdited>>
    /** Opens the bundled sample sheet (its relative avatar paths resolve against the app's resources folder). */
    openSample(): Promise<Result<SheetPreview>>
    /**
     * What sending the sheet would do, before anything is sent: rows created before (this data folder's history
     * and, unless `portal: false`, the portal) with their choice, and "N chats will be created on <host>".
     * `copies`: rows the user wants created again as new chats (remembered for createFromSheet).
     */
    sendPlan(req: { sheetId: string; profile: string; copies?: string[]; portal?: boolean }): Promise<Result<SendPlan>>
  }
  compose: {
    validate(req: { form: ComposeForm }): Promise<Result<SheetRow>>
    /** One-shot by identity: the same chat again returns the existing one (`alreadyCreated`); `copy` creates another. */
    create(req: { profile: string; form: ComposeForm; copy?: boolean }): Promise<Result<ComposeResult>>
    prepareAvatar(req: { name: string; bytes: Uint8Array }): Promise<Result<PreparedAvatar>>
  }
  jobs: {
    list(): Promise<Result<JobSummary[]>>
    /**
     * A job from the open sheet: rows created before are recorded skipped (never sent) unless listed in `copies`
     * (default: the copies of the last sendPlan). `expectCreate`: the count the user confirmed — refused with
     * VALIDATION when the plan now says otherwise. Refused when there is nothing to create.
     */
    createFromSheet(req: { sheetId: string; profile: string; start: boolean; copies?: string[]; expectCreate?: number }): Promise<Result<JobSummary>>
    addCompose(req: { profile: string; form: ComposeForm }): Promise<Result<JobSummary>>
    start(req: { jobId: string }): Promise<Result<JobSummary>>
    pause(req: { jobId: string }): Promise<Result<JobSummary>>
    resume(req: { jobId: string }): Promise<Result<JobSummary>>
    cancel(req: { jobId: string }): Promise<Result<JobSummary>>
    retryFailed(req: { jobId: string }): Promise<Result<JobSummary>>
    /** A cancelled (or failed) job: send its unsent rows (rows in doubt are looked up on the portal first). */
    sendUnsent(req: { jobId: string }): Promise<Result<JobSummary>>
    remove(req: { jobId: string }): Promise<Result<null>>
    snapshot(req: { jobId: string }): Promise<Result<JobSnapshot>>
    exportResults(req: { jobId: string }): Promise<Result<{ name: string; text: string; savedTo?: string }>>
  }
  shell: { openChat(req: { profile: string; chatId: number }): Promise<Result<null>> }
}

export interface ImportOptionsInput {
  encoding?: (typeof ENCODINGS)[number]
  delimiter?: string
  mapping?: ColumnMapping
  avatarMaxEdge?: number
  /** A workbook's sheet to read. */
  sheet?: string
}

/** What `window.api` is. No generic invoke: only these functions. */
export interface AppApi extends BackendApi {
  events: {
    /** Subscribe to job events; returns the unsubscribe function. */
    onJobEvent(listener: (event: JobEvent) => void): () => void
  }
  files: {
    /** The file system path of a dropped File (Electron webUtils), or '' where there is none. */
    pathForFile(file: File): string
  }
}
