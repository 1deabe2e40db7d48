/**
 * An in-memory AppApi for renderer tests: profiles, settings, a tiny CSV importer with real-looking validation,
 * jobs whose events the test drives (`emit`), and a record of every call. Failures can be injected per path.
 */
import { COLOR_CODES, COLORS } from '../../../electron/shared/chat'
import type { ChatParams, ColorCode } from '../../../electron/shared/chat'
import type { AppApi, AppInfo, AvatarFolders, ComposeForm, PortalUser, PreflightReport, SandboxChatView, SandboxStatus, SendPlan, SendPlanRow, SheetEdited, SheetPreview } from '../../../electron/shared/ipc'
import { emptyCounts } from '../../../electron/shared/jobs'
import type { JobAction, JobEvent, JobRowLog, JobSnapshot, JobSummary } from '../../../electron/shared/jobs'
import { parseWebhookUrl, SANDBOX_PROFILE } from '../../../electron/shared/profile'
import type { ProfileView } from '../../../electron/shared/profile'
import { fail, ok } from '../../../electron/shared/result'
import type { AppError, Result } from '../../../electron/shared/result'
import { DEFAULT_SETTINGS } from '../../../electron/shared/settings'
import type { Settings } from '../../../electron/shared/settings'
import type { Problem, SheetRow, SheetRowsPage } from '../../../electron/shared/sheet'

export interface Call {
  path: string
  arg: unknown
}

const problem = (field: Problem['field'], code: string, severity: Problem['severity'], message: string, messageRu: string): Problem => ({ field, code, severity, message, messageRu })

/** The core's English auto-title preview (electron/core/import/rows.ts); the renderer must word it itself. */
export const autoTitle = (color: ColorCode | undefined): string => (color ? `${COLORS[color].en} Chat #…` : 'Chat #… (colour picked by the portal, round-robin)')

/** Validates one row of the fake sheet format (TITLE, COLOR, USERS). */
export function validateCells(key: string, line: number, cells: Record<string, string>): SheetRow {
  const problems: Problem[] = []
  const title = (cells.Title ?? '').trim()
  const colorText = (cells.Color ?? '').trim().toUpperCase()
  const users = (cells.Users ?? '').split(/[ ;]+/).map((s) => s.trim()).filter(Boolean)
  let color: ColorCode | undefined
  if (colorText) {
    if ((COLOR_CODES as readonly string[]).includes(colorText)) color = colorText as ColorCode
    else problems.push(problem('COLOR', 'COLOR_UNKNOWN', 'error', `Unknown colour "${colorText}".`, `Неизвестный цвет "${colorText}".`))
  }
  const ids = users.filter((u) => /^\d+$/.test(u)).map(Number)
  const emails = users.filter((u) => u.includes('@'))
  if (users.length === 0) problems.push(problem('USERS', 'USERS_EMPTY', 'warning', 'No members: only the creator will be in the chat.', 'Нет участников: в чате будет только создатель.'))
  if (title.length > 255) problems.push(problem('TITLE', 'TITLE_TOO_LONG', 'error', 'The title is longer than 255 characters.', 'Название длиннее 255 символов.'))
  const params: ChatParams = { TYPE: 'CHAT', ...(title ? { TITLE: title } : {}), ...(color ? { COLOR: color } : {}), ...(ids.length ? { USERS: ids } : {}) }
  const status = problems.some((p) => p.severity === 'error') ? 'error' : problems.length ? 'warning' : 'ready'
  return {
    key,
    line,
    cells,
    status,
    params,
    emails,
    titlePreview: title || autoTitle(color),
    titleGenerated: !title,
    ...(color ? { color } : {}),
    colorAuto: !color,
    problems,
  }
}

/** What the real backend hands out: the sheet without its rows (they come from `sheets.rows`). */
function overview(s: SheetPreview & { rows: SheetRow[] }): SheetPreview {
  const { rows: _rows, ...rest } = s
  return rest
}

function parseCsv(text: string): { headers: string[]; records: string[][] } {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0)
  const [head, ...rest] = lines
  return { headers: (head ?? '').split(','), records: rest.map((l) => l.split(',')) }
}

export function makeCsv(n: number, bad: (i: number) => boolean = () => false): string {
  const out = ['Title,Color,Users']
  for (let i = 0; i < n; i++) out.push(`Chat ${i + 1},${bad(i) ? 'BLURPLE' : COLOR_CODES[i % 16]},${i + 1} ${i + 2}`)
  return out.join('\n')
}

export interface FakeOptions {
  profiles?: ProfileView[]
  sandboxRunning?: boolean
  users?: PortalUser[]
  locale?: string
}

export class FakeApi {
  calls: Call[] = []
  failures = new Map<string, AppError>()
  settings: Settings = { ...DEFAULT_SETTINGS }
  profiles: ProfileView[]
  sandbox: SandboxStatus
  sandboxChats: SandboxChatView[] = []
  users: PortalUser[]
  info: AppInfo
  /** What the next "Change…" of the data folder picks (null: the dialog is cancelled). */
  pickedDataDir: string | null = null
  /** Open sheets with their rows (the API hands out the overview, and the rows in pages). */
  sheets = new Map<string, SheetPreview & { rows: SheetRow[] }>()
  /** What `sheets.avatarFolders` answers per sheet id; `avatarFoldersDefault` for a sheet not in the map. */
  avatarFolders = new Map<string, AvatarFolders>()
  avatarFoldersDefault: AvatarFolders = { sheetFolder: null, picked: null, allowed: [], outside: [], unresolved: 0, canPick: false }
  /** What the next folder dialog picks (null: cancelled). */
  pickedAvatarFolder: string | null = null
  jobs = new Map<string, JobSnapshot>()
  listeners = new Set<(e: JobEvent) => void>()
  private seq = 0
  private nextChat = 100
  /** Rows of open sheets created before, by row key: what `sheets.sendPlan` reports (tests set it). */
  createdBefore = new Map<string, Pick<SendPlanRow, 'match' | 'chatId' | 'source'> & Partial<SendPlanRow>>()
  /** The rows each sheet creates again as copies (the last plan's choice, as the backend remembers it). */
  sheetCopies = new Map<string, Set<string>>()
  /** The portal the plans name. */
  planPortal = '127.0.0.1:8443'
  /** Compose forms created so far (the title names the chat, as the core's identity does), for `alreadyCreated`. */
  composed = new Map<string, { chatId: number; users: string; at: number }>()

  constructor(o: FakeOptions = {}) {
    this.profiles = o.profiles ?? [sandboxProfile()]
    this.sandbox = { running: o.sandboxRunning ?? true, portal: 'https://127.0.0.1:8443/', plan: 'standard', chats: 0 }
    this.users = o.users ?? [
      { id: 1, name: 'Anna Admin', email: 'anna@example.com', active: true },
      { id: 2, name: 'Boris Petrov', email: 'boris@example.com', active: true },
      { id: 3, name: 'Vera Smirnova', email: 'vera@example.com', active: true },
    ]
    this.info = { version: '0.1.0', dataDir: '/tmp/b24-data', platform: 'linux', locale: o.locale ?? 'en-US', keychain: { available: true } }
  }

  /** The next call to `path` fails with this error. */
  failNext(path: string, error: AppError): void {
    this.failures.set(path, error)
  }

  emit(event: JobEvent): void {
    for (const l of this.listeners) l(event)
  }

  callsTo(path: string): Call[] {
    return this.calls.filter((c) => c.path === path)
  }

  private async r<T>(path: string, arg: unknown, fn: () => Result<T> | T): Promise<Result<T>> {
    this.calls.push({ path, arg })
    await Promise.resolve()
    const failure = this.failures.get(path)
    if (failure) {
      this.failures.delete(path)
      return { ok: false, error: failure }
    }
    const out = fn()
    if (out && typeof out === 'object' && 'ok' in out && typeof (out as { ok: unknown }).ok === 'boolean') return out as Result<T>
    return ok(out as T)
  }

  /** What a send of the sheet would do, from `createdBefore` (the backend's plan, in miniature). */
  planOf(sheetId: string, profile: string): SendPlan {
    const s = this.sheets.get(sheetId)
    const copies = this.sheetCopies.get(sheetId) ?? new Set<string>()
    const plan: SendPlan = { sheetId, profile, portal: this.planPortal, toCreate: 0, alreadyCreated: 0, createdWithOtherValues: 0, copies: 0, invalid: 0, rows: [], portalChecked: true, confirm: { en: '', ru: '' } }
    for (const r of s?.rows ?? []) {
      if (r.status === 'error') {
        plan.invalid++
        continue
      }
      const before = this.createdBefore.get(r.key)
      if (!before) {
        plan.toCreate++
        continue
      }
      const canCopy = before.canCopy ?? true
      const copy = canCopy && copies.has(r.key)
      plan.rows.push({ link: `https://127.0.0.1:8443/online/?IM_DIALOG=chat${before.chatId}`, ...before, rowKey: r.key, line: r.line, choice: copy ? 'copy' : 'skip', canCopy })
      if (before.match === 'already-created') plan.alreadyCreated++
      else plan.createdWithOtherValues++
      if (copy) {
        plan.copies++
        plan.toCreate++
      }
    }
    const n = plan.toCreate
    plan.confirm = n === 0
      ? { en: `Nothing to create on ${plan.portal}: every row was created before or has errors.`, ru: `Создавать на ${plan.portal} нечего: все строки уже созданы или содержат ошибки.` }
      : { en: `Create ${n} chat${n === 1 ? '' : 's'} on ${plan.portal}?`, ru: `Создать ${n} чатов на ${plan.portal}?` }
    return plan
  }

  foldersOf(sheetId: string): AvatarFolders {
    return this.avatarFolders.get(sheetId) ?? { ...this.avatarFoldersDefault }
  }

  importText(name: string, text: string): SheetPreview & { rows: SheetRow[] } {
    const { headers, records } = parseCsv(text)
    const rows = records.map((rec, i) => {
      const cells: Record<string, string> = {}
      headers.forEach((h, j) => (cells[h] = rec[j] ?? ''))
      return validateCells(`k${i + 1}`, i + 2, cells)
    })
    const sheetId = `s${this.sheets.size + 1}`
    const summary = { rows: rows.length, ready: 0, warning: 0, error: 0 }
    for (const r of rows) summary[r.status]++
    const preview: SheetPreview & { rows: SheetRow[] } = {
      sheetId,
      meta: {
        fileName: name,
        bytes: text.length,
        encoding: 'utf-8',
        encodingDetected: 'utf-8',
        delimiter: ',',
        delimiterDetected: ',',
        headers,
        mapping: { ...(headers.includes('Title') ? { TITLE: 'Title' } : {}), ...(headers.includes('Color') ? { COLOR: 'Color' } : {}), ...(headers.includes('Users') ? { USERS: 'Users' } : {}) },
        mappingRemembered: false,
        contentHash: 'h',
      },
      rows,
      fileProblems: [],
      summary,
    }
    this.sheets.set(sheetId, preview)
    return preview
  }

  /** A job as the backend would list it; its commands are the real state machine's unless given. */
  addJob(partial: Partial<JobSummary> & { id: string }, log: JobRowLog[] = [], seq = 0): JobSnapshot {
    const job: JobSnapshot = {
      profile: SANDBOX_PROFILE,
      source: 'chats.csv',
      status: 'draft',
      createdAt: 1_700_000_000_000,
      actions: [],
      progress: { counts: emptyCounts(), total: 3, chatsPerSec: 0, etaSec: null, pacing: { kind: 'idle' } },
      ...partial,
      seq,
      log,
    }
    if (!partial.actions) job.actions = this.actionsOf(job)
    this.jobs.set(job.id, job)
    return job
  }

  /** The commands the runner's state machine allows (core/sync/machine.ts `actionsFor`; core is not in this project). */
  private actionsOf(j: JobSnapshot): JobSummary['actions'] {
    const c = j.progress.counts
    const retry: JobAction[] = j.log.some((r) => r.state === 'failed' && r.errorCode !== 'VALIDATION') ? ['retry-failed'] : []
    const byStatus: Record<JobSummary['status'], JobAction[]> = {
      draft: ['start', 'remove'],
      queued: ['start', 'remove'],
      running: ['pause', 'cancel'],
      resolving: ['pause', 'cancel'],
      'waiting-for-portal': ['pause', 'cancel'],
      pausing: ['cancel'],
      paused: ['resume', 'cancel', ...retry],
      cancelling: [],
      finished: [...retry, 'remove'],
      failed: ['resume', ...retry, 'remove'],
      cancelled: [...(c.planned + c.sending > 0 ? (['send-unsent'] as JobAction[]) : []), ...retry, 'remove'],
    }
    return byStatus[j.status]
  }

  private summaryOf(j: JobSnapshot): JobSummary {
    const { seq: _s, log: _l, ...summary } = j
    return summary
  }

  private setStatus(jobId: string, status: JobSummary['status']): Result<JobSummary> {
    const j = this.jobs.get(jobId)
    if (!j) return fail('NOT_FOUND', 'No such job.')
    j.status = status
    j.actions = this.actionsOf(j)
    return ok(this.summaryOf(j))
  }

  api(): AppApi {
    return {
      app: {
        info: () => this.r('app.info', undefined, () => this.info),
        chooseDataDir: () => this.r('app.chooseDataDir', undefined, () => (this.pickedDataDir === null ? null : { dataDir: this.pickedDataDir, restartRequired: this.pickedDataDir !== this.info.dataDir })),
      },
      settings: {
        get: () => this.r('settings.get', undefined, () => ({ ...this.settings })),
        set: (patch) => this.r('settings.set', patch, () => (this.settings = { ...this.settings, ...patch })),
      },
      profiles: {
        list: () => this.r('profiles.list', undefined, () => this.profiles.map((p) => ({ ...p }))),
        add: (input) =>
          this.r('profiles.add', input, () => {
            if (input.kind === 'webhook') {
              const parsed = parseWebhookUrl(input.webhookUrl)
              if (!parsed.ok) return fail<ProfileView>('VALIDATION', parsed.message, { messageRu: parsed.messageRu })
              const view: ProfileView = { name: input.name, portal: parsed.portal, authKind: 'webhook', plan: input.plan ?? 'standard', userId: parsed.userId, dedupeTagging: input.dedupeTagging ?? true, createdAt: '2025-01-01T00:00:00Z', hasSecret: true }
              this.profiles.push(view)
              return ok(view)
            }
            const view: ProfileView = { name: input.name, portal: input.portal, authKind: 'oauth', plan: input.plan ?? 'standard', userId: null, clientId: input.clientId, dedupeTagging: true, createdAt: '2025-01-01T00:00:00Z', hasSecret: true }
            this.profiles.push(view)
            return ok(view)
          }),
        update: (req) => this.r('profiles.update', req, () => this.profiles.find((p) => p.name === req.profile) ?? fail<ProfileView>('NOT_FOUND', 'No such profile.')),
        remove: (req) =>
          this.r('profiles.remove', req, () => {
            this.profiles = this.profiles.filter((p) => p.name !== req.profile)
            return null
          }),
        test: (req) =>
          this.r('profiles.test', req, (): PreflightReport => ({
            profile: req.profile,
            portal: 'https://portal.example/',
            user: { id: 1, name: 'Anna Admin', admin: true },
            scopes: ['im', 'user_basic'],
            missing: [{ scope: 'imbot', why: 'Chats cannot be created as a bot.', whyRu: 'Нельзя создавать чаты от имени бота.' }],
            canCreate: true,
            canResolveEmails: true,
          })),
        searchUsers: (req) => this.r('profiles.searchUsers', req, () => this.users.filter((u) => `${u.name} ${u.email ?? ''}`.toLowerCase().includes(req.query.toLowerCase()))),
      },
      sandbox: {
        status: () => this.r('sandbox.status', undefined, () => ({ ...this.sandbox })),
        start: () => this.r('sandbox.start', undefined, () => ({ ...(this.sandbox = { ...this.sandbox, running: true }) })),
        stop: () => this.r('sandbox.stop', undefined, () => ({ ...(this.sandbox = { ...this.sandbox, running: false }) })),
        chats: () => this.r('sandbox.chats', undefined, () => this.sandboxChats.slice()),
      },
      sheets: {
        import: (req) => this.r('sheets.import', { ...req, bytes: `<${req.bytes.length} bytes>` }, () => overview(this.importText(req.name, new TextDecoder().decode(req.bytes)))),
        openDialog: () => this.r('sheets.openDialog', undefined, () => overview(this.importText('dialog.csv', makeCsv(5, (i) => i === 2)))),
        rows: (req) =>
          this.r('sheets.rows', req, () => {
            const s = this.sheets.get(req.sheetId)
            if (!s) return fail<SheetRowsPage>('NOT_FOUND', 'The sheet is no longer open.')
            return { offset: req.offset, total: s.rows.length, rows: s.rows.slice(req.offset, req.offset + req.limit) }
          }),
        reimport: (req) =>
          this.r('sheets.reimport', req, () => {
            const s = this.sheets.get(req.sheetId)
            if (!s) return fail<SheetPreview>('NOT_FOUND', 'The sheet is no longer open.')
            const next = {
              ...s,
              meta: { ...s.meta, ...(req.options.encoding ? { encoding: req.options.encoding } : {}), ...(req.options.delimiter ? { delimiter: req.options.delimiter as ',' } : {}), ...(req.options.mapping ? { mapping: req.options.mapping } : {}) },
            }
            this.sheets.set(req.sheetId, next)
            return ok(overview(next))
          }),
        editCell: (req) =>
          this.r('sheets.editCell', req, () => {
            const s = this.sheets.get(req.sheetId)
            const i = s?.rows.findIndex((r) => r.key === req.rowKey) ?? -1
            const old = s?.rows[i]
            if (!s || !old) return fail<SheetRow>('NOT_FOUND', 'That row is gone.')
            const row = validateCells(`${old.key}'`, old.line, { ...old.cells, [req.column]: req.value })
            s.rows[i] = row
            return ok(row)
          }),
        liveCheck: (req) =>
          this.r('sheets.liveCheck', req, () => {
            const s = this.sheets.get(req.sheetId)
            if (!s) return fail<SheetPreview>('NOT_FOUND', 'The sheet is no longer open.')
            const names: Record<number, string> = {}
            for (const u of this.users) names[u.id] = u.name
            const next = { ...s, rows: s.rows.map((r) => ({ ...r, live: { resolved: {}, names } })) }
            this.sheets.set(req.sheetId, next)
            return ok(overview(next))
          }),
        template: () => this.r('sheets.template', undefined, () => ({ name: 'chats-template.csv', text: 'Title,Color,Users\n' })),
        editCells: (req) =>
          this.r('sheets.editCells', req, () => {
            const s = this.sheets.get(req.sheetId)
            if (!s) return fail<SheetEdited>('NOT_FOUND', 'The sheet is no longer open.')
            const touched = new Set<number>()
            for (const e of req.edits) {
              const i = s.rows.findIndex((r) => r.key === e.rowKey)
              const old = s.rows[i]
              if (!old) return fail<SheetEdited>('NOT_FOUND', 'That row is gone.')
              const column = s.meta.headers.includes(e.column) ? e.column : (s.meta.mapping[e.column as 'COLOR'] ?? e.column)
              s.rows[i] = validateCells(old.key, old.line, { ...old.cells, [column]: e.value })
              touched.add(i)
            }
            const summary = { rows: s.rows.length, ready: 0, warning: 0, error: 0 }
            for (const r of s.rows) summary[r.status]++
            s.summary = summary
            const rows = [...touched].sort((a, b) => a - b).map((i) => s.rows[i]!)
            return ok({ rows, changed: rows.length, truncated: false, summary, meta: s.meta })
          }),
        openSample: () => this.r('sheets.openSample', undefined, () => overview(this.importText('sample-chats.csv', makeCsv(4, (i) => i === 1)))),
        close: (req) =>
          this.r('sheets.close', req, () => {
            this.sheets.delete(req.sheetId)
            return null
          }),
        avatarFolders: (req) => this.r('sheets.avatarFolders', req, () => this.foldersOf(req.sheetId)),
        allowAvatarFolders: (req) =>
          this.r('sheets.allowAvatarFolders', req, () => {
            const s = this.sheets.get(req.sheetId)
            if (!s) return fail<SheetPreview>('NOT_FOUND', 'The sheet is no longer open.')
            const f = this.foldersOf(req.sheetId)
            this.avatarFolders.set(req.sheetId, { ...f, allowed: [...f.allowed, ...req.folders], outside: f.outside.filter((o) => !req.folders.includes(o.folder)) })
            return ok(overview(s))
          }),
        setAvatarFolder: (req) =>
          this.r('sheets.setAvatarFolder', req, () => {
            const s = this.sheets.get(req.sheetId)
            if (!s) return fail<SheetPreview | null>('NOT_FOUND', 'The sheet is no longer open.')
            const folder = req.folder ?? this.pickedAvatarFolder
            if (folder === null) return ok(null)
            const f = this.foldersOf(req.sheetId)
            this.avatarFolders.set(req.sheetId, { ...f, picked: folder || null, unresolved: folder ? 0 : f.unresolved })
            return ok(overview(s))
          }),
        sendPlan: (req) =>
          this.r('sheets.sendPlan', req, () => {
            if (req.copies) this.sheetCopies.set(req.sheetId, new Set(req.copies))
            return this.planOf(req.sheetId, req.profile)
          }),
      },
      compose: {
        validate: (req) => this.r('compose.validate', req, () => composeRow(req.form)),
        create: (req) =>
          this.r('compose.create', req, () => {
            const identity = (req.form.title ?? '').trim().toLowerCase()
            const users = JSON.stringify(req.form.users ?? [])
            const before = this.composed.get(identity)
            if (before && !req.copy) {
              return { chatId: before.chatId, link: `https://127.0.0.1:8443/online/?IM_DIALOG=chat${before.chatId}`, alreadyCreated: true, createdAt: before.at, ...(before.users !== users ? { differs: ['USERS' as const] } : {}) }
            }
            const chatId = this.nextChat++
            if (!before) this.composed.set(identity, { chatId, users, at: 1_700_000_000_000 })
            return { jobId: `c${chatId}`, chatId, link: `https://127.0.0.1:8443/online/?IM_DIALOG=chat${chatId}` }
          }),
        prepareAvatar: (req) =>
          this.r('compose.prepareAvatar', { name: req.name }, () => ({ mime: 'image/png', width: 1024, height: 768, base64Bytes: 4096, downscaled: true, thumbnail: 'data:image/png;base64,AAAA', base64: 'AAAA' })),
      },
      jobs: {
        list: () => this.r('jobs.list', undefined, () => [...this.jobs.values()].map((j) => this.summaryOf(j))),
        createFromSheet: (req) =>
          this.r('jobs.createFromSheet', req, () => {
            const s = this.sheets.get(req.sheetId)
            if (req.copies) this.sheetCopies.set(req.sheetId, new Set(req.copies))
            const total = this.planOf(req.sheetId, req.profile).toCreate
            if (req.expectCreate !== undefined && req.expectCreate !== total) return fail<JobSummary>('VALIDATION', `The sheet changed since it was checked: ${total} chats would be created now, not ${req.expectCreate}. Check it again.`)
            if (total === 0) return fail<JobSummary>('VALIDATION', 'Nothing to create.')
            const job = this.addJob({ id: `j${this.jobs.size + 1}`, profile: req.profile, source: s?.meta.fileName ?? 'sheet.csv', status: req.start ? 'queued' : 'draft', progress: { counts: { ...emptyCounts(), planned: total }, total, chatsPerSec: 0, etaSec: null, pacing: { kind: 'idle' } } })
            return this.summaryOf(job)
          }),
        addCompose: (req) => this.r('jobs.addCompose', req, () => this.summaryOf(this.addJob({ id: `j${this.jobs.size + 1}`, profile: req.profile, source: 'compose', progress: { counts: { ...emptyCounts(), planned: 1 }, total: 1, chatsPerSec: 0, etaSec: null, pacing: { kind: 'idle' } } }))),
        start: (req) => this.r('jobs.start', req, () => this.setStatus(req.jobId, 'queued')),
        pause: (req) => this.r('jobs.pause', req, () => this.setStatus(req.jobId, 'paused')),
        resume: (req) => this.r('jobs.resume', req, () => this.setStatus(req.jobId, 'running')),
        cancel: (req) => this.r('jobs.cancel', req, () => this.setStatus(req.jobId, 'cancelled')),
        retryFailed: (req) => this.r('jobs.retryFailed', req, () => this.setStatus(req.jobId, 'queued')),
        sendUnsent: (req) => this.r('jobs.sendUnsent', req, () => this.setStatus(req.jobId, 'queued')),
        remove: (req) =>
          this.r('jobs.remove', req, () => {
            this.jobs.delete(req.jobId)
            return null
          }),
        snapshot: (req) => this.r('jobs.snapshot', req, () => this.jobs.get(req.jobId) ?? fail<JobSnapshot>('NOT_FOUND', 'No such job.')),
        exportResults: (req) => this.r('jobs.exportResults', req, () => ({ name: 'results.csv', text: 'line,status,chat_id\n2,created,100\n' })),
      },
      shell: { openChat: (req) => this.r('shell.openChat', req, () => null) },
      events: {
        onJobEvent: (listener) => {
          this.listeners.add(listener)
          return () => this.listeners.delete(listener)
        },
      },
      files: { pathForFile: () => '' },
    }
  }
}

export function sandboxProfile(): ProfileView {
  return { name: SANDBOX_PROFILE, portal: 'https://127.0.0.1:8443/', authKind: 'sandbox', plan: 'standard', userId: 1, userName: 'Sandbox Admin', dedupeTagging: true, createdAt: '2025-01-01T00:00:00Z', hasSecret: true }
}

export function webhookProfile(name = 'Company'): ProfileView {
  return { name, portal: 'https://company.bitrix24.com/', authKind: 'webhook', plan: 'enterprise', userId: 7, userName: 'Olga Admin', dedupeTagging: true, createdAt: '2025-01-01T00:00:00Z', hasSecret: true }
}

function composeRow(form: ComposeForm): SheetRow {
  const problems: Problem[] = []
  if ((form.entityType ?? '').toUpperCase() === 'SONET_GROUP') problems.push(problem('ENTITY_TYPE', 'ENTITY_TYPE_RESERVED', 'error', 'SONET_GROUP is reserved.', 'SONET_GROUP зарезервирован.'))
  const title = (form.title ?? '').trim()
  const users = form.users ?? []
  const color = form.color
  return {
    key: 'compose',
    line: 0,
    cells: {},
    status: problems.length ? 'error' : 'ready',
    params: { TYPE: form.type ?? 'CHAT', ...(title ? { TITLE: title } : {}), ...(color ? { COLOR: color } : {}) },
    emails: users.filter((u): u is string => typeof u === 'string'),
    titlePreview: title || autoTitle(color),
    titleGenerated: !title,
    ...(color ? { color } : {}),
    colorAuto: !color,
    problems,
  }
}

export { COLORS }
