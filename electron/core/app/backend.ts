/**
 * The backend behind `window.api`: plain Node, no Electron. The main process exposes it over IPC through the
 * gatekeeper; the e2e harness exposes the very same object to Chromium through a test bridge. Electron-only
 * abilities (dialogs, the OS browser) are injected as `host`.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, resolve } from 'node:path'
import { randomUUID } from 'node:crypto'
import type { AppInfo, BackendApi, ComposeForm, ImportOptionsInput, PortalUser, SandboxChatView, SandboxStatus, SheetPreview } from '../../shared/ipc'
import type { JobEvent, JobSnapshot, JobSummary } from '../../shared/jobs'
import type { Profile, ProfileView } from '../../shared/profile'
import { SANDBOX_PROFILE } from '../../shared/profile'
import type { Result } from '../../shared/result'
import { AppFailure } from '../../shared/result'
import type { Settings } from '../../shared/settings'
import type { SheetRow } from '../../shared/sheet'
import { chatLink } from '../../shared/chat'
import type { Clock } from '../clock'
import { systemClock } from '../clock'
import type { Logger } from '../redact'
import { redact, silentLogger } from '../redact'
import { ProfileStore } from '../profiles/profile-store'
import type { SecretStore } from '../profiles/secret-store'
import { importSheet, liveCheck, MappingMemory, prepareAvatar, revalidateRow, templateCsv, TEMPLATE_FILE_NAME, validateCompose } from '../import'
import type { Sheet } from '../import'
import type { PortalClient } from '../portal/client'
import { createPortalClient } from '../portal/client'
import { PacerRegistry } from '../portal/pacer'
import { preflight } from '../portal/preflight'
import { exportResultsCsv, JobStore, SyncEngine } from '../sync'
import { writeFileAtomic } from '../fsutil'
import { defaultDataDir, LOCATION_FILE } from '../paths'
import { attempt } from './errors'
import { SettingsStore } from './settings-store'

/** What only the host (Electron main, or the e2e harness) can do. */
export interface BackendHost {
  version: string
  platform: string
  locale: string
  /** Shows an open-file dialog for a sheet; null when cancelled. */
  pickSheetFile(): Promise<string | null>
  /** Opens an https URL in the OS browser (the host refuses anything but a configured portal). */
  openExternal(url: string): Promise<void>
  /** Shows a choose-folder dialog; null when cancelled or when the host has no such dialog (browser mode). */
  pickFolder?(): Promise<string | null>
  /** The default per-user data folder, where the pointer to a chosen data folder is kept. */
  defaultDataDir?: string
}

/** The part of a running sandbox portal the backend uses (electron/sandbox's Sandbox satisfies it). */
export interface SandboxHandle {
  origin: string
  webhookUrl: string
  caPem: string
  chats(): SandboxChatView[]
  close(): Promise<void>
}

export interface BackendDeps {
  dataDir: string
  secrets: SecretStore
  host: BackendHost
  /** Starts the built-in sandbox portal in-process (electron/sandbox's startSandbox with a state file). */
  startSandbox?: (opts: { stateFile: string }) => Promise<SandboxHandle>
  clock?: Clock
  logger?: Logger
}

interface OpenSheet {
  sheet: Sheet
  bytes: Uint8Array
  source: { fileName: string; dir?: string }
  options: ImportOptionsInput
}

interface ProfileClient {
  client: PortalClient
  profile: Pick<Profile, 'name' | 'portal' | 'plan' | 'dedupeTagging'>
}

const SANDBOX_DIR = 'sandbox'

export class Backend implements BackendApi {
  readonly profilesStore: ProfileStore
  readonly settingsStore: SettingsStore
  readonly jobStore: JobStore
  readonly mappingMemory: MappingMemory
  readonly clock: Clock
  readonly logger: Logger
  private readonly jobListeners = new Set<(event: JobEvent) => void>()
  private readonly sheetsOpen = new Map<string, OpenSheet>()
  private readonly engines = new Map<string, SyncEngine>()
  private readonly clients = new Map<string, Promise<ProfileClient>>()
  /** One pacing per portal for every profile, job and live check (issue 11). */
  private readonly pacers: PacerRegistry
  private sandboxHandle: Promise<SandboxHandle> | null = null

  constructor(readonly deps: BackendDeps) {
    this.clock = deps.clock ?? systemClock
    this.logger = deps.logger ?? silentLogger
    this.pacers = new PacerRegistry(this.clock)
    this.profilesStore = new ProfileStore(deps.dataDir, deps.secrets)
    this.settingsStore = new SettingsStore(deps.dataDir)
    this.jobStore = new JobStore(deps.dataDir, { clock: this.clock })
    this.mappingMemory = new MappingMemory(join(deps.dataDir, 'mappings.json'))
  }

  // ---- plumbing ------------------------------------------------------------------------------------------

  private run<T>(fn: () => Promise<T>): Promise<Result<T>> {
    return attempt(fn, (e) => this.logger.error('unexpected failure', e))
  }

  /** Subscribes to every job event (main forwards them to the window; the e2e bridge to the page). */
  onJobEvent(listener: (event: JobEvent) => void): () => void {
    this.jobListeners.add(listener)
    return () => this.jobListeners.delete(listener)
  }

  private emitJobEvent(raw: JobEvent): void {
    const event = redactJobEvent(raw)
    for (const l of this.jobListeners) {
      try {
        l(event)
      } catch (e) {
        this.logger.error('job event listener failed', e)
      }
    }
  }

  /** Jobs currently sending or paused mid-run (the window asks before closing while this is not 0). */
  runningJobCount(): number {
    return [...this.engines.values()].filter((e) => e.status === 'running' || e.status === 'paused').length
  }

  /** Pauses every running job at the next batch boundary (used before quitting). */
  async pauseAll(): Promise<void> {
    for (const e of this.engines.values()) e.pause()
  }

  /** Stops jobs, clients and the sandbox the backend started; every journal is flushed and closed. */
  async shutdown(): Promise<void> {
    for (const e of this.engines.values()) e.cancel()
    await Promise.allSettled([...this.engines.values()].map((e) => e.start()))
    this.engines.clear()
    for (const c of this.clients.values()) void c.then((pc) => pc.client.close(), () => undefined)
    this.clients.clear()
    await this.jobStore.closeAll()
    await this.stopSandbox()
  }

  private async settingsValue(): Promise<Settings> {
    return this.settingsStore.get()
  }

  // ---- sandbox ------------------------------------------------------------------------------------------

  private async ensureSandbox(): Promise<SandboxHandle> {
    if (!this.deps.startSandbox) throw new AppFailure('NOT_FOUND', 'This build has no sandbox portal.')
    if (!this.sandboxHandle) {
      const stateFile = join(this.deps.dataDir, SANDBOX_DIR, 'state.json')
      this.sandboxHandle = this.deps.startSandbox({ stateFile })
      this.sandboxHandle.catch(() => {
        this.sandboxHandle = null
      })
    }
    return this.sandboxHandle
  }

  private async stopSandbox(): Promise<void> {
    const h = this.sandboxHandle
    if (!h) return
    this.sandboxHandle = null
    // Jobs on the sandbox pause first: their journals stay consistent and they resume when it is back.
    for (const e of this.engines.values()) if (e.job.record.profile === SANDBOX_PROFILE) e.pause()
    const cached = this.clients.get(SANDBOX_PROFILE)
    this.clients.delete(SANDBOX_PROFILE)
    void cached?.then((c) => c.client.close(), () => undefined)
    await (await h.catch(() => null))?.close()
  }

  private async sandboxStatus(): Promise<SandboxStatus> {
    const h = this.sandboxHandle ? await this.sandboxHandle.catch(() => null) : null
    return h ? { running: true, portal: `${h.origin}/`, plan: 'standard', chats: h.chats().length } : { running: false, plan: 'standard', chats: 0 }
  }

  readonly sandbox: BackendApi['sandbox'] = {
    status: () => this.run(() => this.sandboxStatus()),
    start: () =>
      this.run(async () => {
        await this.ensureSandbox()
        return this.sandboxStatus()
      }),
    stop: () =>
      this.run(async () => {
        await this.stopSandbox()
        return this.sandboxStatus()
      }),
    chats: () =>
      this.run(async () => {
        if (!this.sandboxHandle) throw new AppFailure('NETWORK', 'The sandbox portal is stopped. Start it to see its chats.', { messageRu: 'Песочница остановлена. Запустите её, чтобы увидеть чаты.' })
        return (await this.sandboxHandle).chats()
      }),
  }

  // ---- app & settings -------------------------------------------------------------------------------------

  readonly app: BackendApi['app'] = {
    info: () =>
      this.run(async (): Promise<AppInfo> => {
        let keychain: AppInfo['keychain'] = { available: true }
        try {
          await this.deps.secrets.check()
        } catch (e) {
          keychain = { available: false, message: e instanceof AppFailure ? e.appError.message : 'The OS keychain is not available.' }
        }
        return { version: this.deps.host.version, dataDir: this.deps.dataDir, platform: this.deps.host.platform, locale: this.deps.host.locale, keychain }
      }),
    chooseDataDir: () =>
      this.run(async () => {
        if (!this.deps.host.pickFolder) throw new AppFailure('NOT_FOUND', 'Choosing a folder is not available here. Set B24CHAT_DATA_DIR before starting the app instead.', { messageRu: 'Выбор папки здесь недоступен. Задайте B24CHAT_DATA_DIR перед запуском приложения.' })
        const picked = await this.deps.host.pickFolder()
        if (!picked) return null
        const dir = resolve(picked)
        if (!isAbsolute(dir)) throw new AppFailure('VALIDATION', 'Choose a folder with a full path.')
        // The folder must be writable now, not at the next start.
        const probe = join(dir, `.b24chat-write-test-${process.pid}`)
        try {
          await mkdir(dir, { recursive: true })
          await writeFile(probe, 'ok')
          await rm(probe, { force: true })
        } catch (e) {
          throw new AppFailure('VALIDATION', `The app cannot write to ${dir} (${(e as NodeJS.ErrnoException).code ?? 'error'}). Choose another folder.`, { messageRu: `Приложение не может писать в ${dir}. Выберите другую папку.` })
        }
        const base = this.deps.host.defaultDataDir ?? defaultDataDir()
        await writeFileAtomic(join(base, LOCATION_FILE), `${JSON.stringify({ dataDir: dir }, null, 2)}\n`)
        return { dataDir: dir, restartRequired: dir !== this.deps.dataDir }
      }),
  }

  readonly settings: BackendApi['settings'] = {
    get: () => this.run(() => this.settingsStore.get()),
    set: (patch: Partial<Settings>) =>
      this.run(async () => {
        const before = await this.settingsStore.get()
        const next = await this.settingsStore.set(patch)
        // Clients carry the pacing margin and concurrency: rebuild them (the portal's shared pacing takes the new
        // values at once, running jobs included).
        if (before.pacingMargin !== next.pacingMargin || before.maxConcurrency !== next.maxConcurrency) this.clients.clear()
        return next
      }),
  }

  // ---- profiles -----------------------------------------------------------------------------------------

  private async sandboxProfileView(): Promise<ProfileView> {
    const status = await this.sandboxStatus()
    return { name: SANDBOX_PROFILE, portal: status.portal ?? '', authKind: 'sandbox', plan: 'standard', userId: 1, userName: 'Sandbox admin', dedupeTagging: true, createdAt: new Date(0).toISOString(), hasSecret: true }
  }

  /** One portal client per profile, shared by jobs, live checks and searches, so pacing is global per portal. */
  private clientFor(profileName: string): Promise<ProfileClient> {
    let c = this.clients.get(profileName)
    if (!c) {
      c = (async (): Promise<ProfileClient> => {
        const settings = await this.settingsValue()
        if (profileName === SANDBOX_PROFILE) {
          const h = await this.ensureSandbox()
          const client = createPortalClient({ kind: 'webhook', url: h.webhookUrl }, { ca: h.caPem, plan: 'standard', margin: settings.pacingMargin, concurrency: settings.maxConcurrency, pacers: this.pacers, clock: this.clock, logger: this.logger })
          return { client, profile: { name: SANDBOX_PROFILE, portal: `${h.origin}/`, plan: 'standard', dedupeTagging: settings.dedupeTagging } }
        }
        const profile = await this.profilesStore.get(profileName)
        const creds = await this.profilesStore.credentials(profileName)
        const client = createPortalClient(creds, { plan: profile.plan, margin: settings.pacingMargin, concurrency: settings.maxConcurrency, pacers: this.pacers, clock: this.clock, logger: this.logger })
        return { client, profile }
      })()
      this.clients.set(profileName, c)
      c.catch(() => this.clients.delete(profileName))
    }
    return c
  }

  readonly profiles: BackendApi['profiles'] = {
    list: () => this.run(async () => [await this.sandboxProfileView(), ...(await this.profilesStore.views())]),
    add: (input) => this.run(() => this.profilesStore.add(input)),
    update: (req) =>
      this.run(async () => {
        if (req.profile === SANDBOX_PROFILE) throw new AppFailure('VALIDATION', 'The built-in sandbox profile cannot be changed.', { messageRu: 'Встроенный профиль песочницы нельзя изменить.' })
        this.clients.delete(req.profile)
        return this.profilesStore.update(req.profile, { plan: req.plan, dedupeTagging: req.dedupeTagging })
      }),
    remove: (req) =>
      this.run(async () => {
        if (req.profile === SANDBOX_PROFILE) throw new AppFailure('VALIDATION', 'The built-in sandbox profile cannot be removed.', { messageRu: 'Встроенный профиль песочницы нельзя удалить.' })
        if ([...this.engines.values()].some((e) => e.job.record.profile === req.profile && e.status === 'running'))
          throw new AppFailure('VALIDATION', 'A job is sending to this portal. Pause or cancel it first.', { messageRu: 'На этот портал идёт отправка. Сначала приостановите или отмените задание.' })
        this.clients.delete(req.profile)
        await this.profilesStore.remove(req.profile)
        return null
      }),
    test: (req) =>
      this.run(async () => {
        const { client } = await this.clientFor(req.profile)
        const report = await preflight(client, req.profile)
        if (req.profile !== SANDBOX_PROFILE) await this.profilesStore.update(req.profile, { userId: report.user.id, userName: report.user.name }).catch(() => undefined)
        return report
      }),
    searchUsers: (req) =>
      this.run(async () => {
        const { client } = await this.clientFor(req.profile)
        const q = req.query.trim()
        const params: Record<string, unknown> = /^\d+$/.test(q) ? { FILTER: { ID: q } } : q.includes('@') ? { FILTER: { '%EMAIL': q } } : q ? { FIND: q } : {}
        const res = await client.call<Record<string, unknown>[]>(q && !/^\d+$/.test(q) && !q.includes('@') ? 'user.search' : 'user.get', params)
        return (Array.isArray(res.result) ? res.result : []).slice(0, 50).map(toPortalUser)
      }),
  }

  // ---- sheets -------------------------------------------------------------------------------------------

  private async doImport(bytes: Uint8Array, source: { fileName: string; dir?: string }, options: ImportOptionsInput, sheetId: string = randomUUID()): Promise<SheetPreview> {
    const settings = await this.settingsValue()
    const sheet = await importSheet(bytes, source, {
      ...(options.encoding ? { encoding: options.encoding } : {}),
      ...(options.delimiter ? { delimiter: options.delimiter as ',' } : {}),
      ...(options.mapping ? { mapping: options.mapping } : {}),
      avatarMaxEdge: options.avatarMaxEdge ?? settings.avatarMaxEdge,
      mappingMemory: this.mappingMemory,
      readFile: async (p) => new Uint8Array(await readFile(p)),
    })
    this.sheetsOpen.set(sheetId, { sheet, bytes, source, options })
    return { sheetId, ...sheet.overview() }
  }

  private openSheet(sheetId: string): OpenSheet {
    const s = this.sheetsOpen.get(sheetId)
    if (!s) throw new AppFailure('NOT_FOUND', 'This sheet is no longer open. Import it again.', { messageRu: 'Этот лист больше не открыт. Импортируйте его снова.' })
    return s
  }

  readonly sheets: BackendApi['sheets'] = {
    import: (req) => this.run(() => this.doImport(req.bytes, { fileName: req.name, ...(req.path ? { dir: dirname(req.path) } : {}) }, req.options ?? {})),
    openDialog: () =>
      this.run(async () => {
        const path = await this.deps.host.pickSheetFile()
        if (!path) return null
        let bytes: Uint8Array
        try {
          bytes = new Uint8Array(await readFile(path))
        } catch (e) {
          throw new AppFailure('NOT_FOUND', `The file cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${basename(path)}`, { messageRu: `Файл не удаётся прочитать: ${basename(path)}` })
        }
        return this.doImport(bytes, { fileName: basename(path), dir: dirname(path) }, {})
      }),
    reimport: (req) =>
      this.run(async () => {
        const open = this.openSheet(req.sheetId)
        return this.doImport(open.bytes, open.source, { ...open.options, ...req.options }, req.sheetId)
      }),
    rows: (req) => this.run(async () => this.openSheet(req.sheetId).sheet.page(req.offset, req.limit)),
    editCell: (req) =>
      this.run(async () => {
        const open = this.openSheet(req.sheetId)
        return revalidateRow(open.sheet, req.rowKey, req.column, req.value)
      }),
    liveCheck: (req) =>
      this.run(async () => {
        const open = this.openSheet(req.sheetId)
        const { client } = await this.clientFor(req.profile)
        await liveCheck(open.sheet, client)
        return { sheetId: req.sheetId, ...open.sheet.overview() }
      }),
    template: () => this.run(async () => ({ name: TEMPLATE_FILE_NAME, text: templateCsv() })),
    close: (req) =>
      this.run(async () => {
        this.sheetsOpen.delete(req.sheetId)
        return null
      }),
  }

  // ---- compose ------------------------------------------------------------------------------------------

  private async composeRow(form: ComposeForm): Promise<SheetRow> {
    const settings = await this.settingsValue()
    return validateCompose(form, { avatarMaxEdge: settings.avatarMaxEdge })
  }

  private async composeDraft(profile: string, form: ComposeForm): Promise<JobSummary> {
    const row = await this.composeRow(form)
    if (row.status === 'error') {
      const p = row.problems.find((x) => x.severity === 'error')
      throw new AppFailure('VALIDATION', p?.message ?? 'The chat has errors.', { ...(p ? { messageRu: p.messageRu, field: p.field } : {}) })
    }
    const dedupeTagging = await this.dedupeFor(profile)
    const job = await this.jobStore.createDraft({ rows: [row], profile, source: `Compose: ${row.titlePreview}`, dedupeTagging })
    return job.summary()
  }

  private async dedupeFor(profile: string): Promise<boolean> {
    if (profile === SANDBOX_PROFILE) return (await this.settingsValue()).dedupeTagging
    return (await this.profilesStore.get(profile)).dedupeTagging
  }

  readonly compose: BackendApi['compose'] = {
    validate: (req) => this.run(() => this.composeRow(req.form)),
    prepareAvatar: (req) =>
      this.run(async () => {
        const settings = await this.settingsValue()
        const r = await prepareAvatar(req.bytes, settings.avatarMaxEdge)
        if ('problem' in r) throw new AppFailure('VALIDATION', r.problem.message, { messageRu: r.problem.messageRu, field: 'AVATAR' })
        return { ...r.info, base64: r.base64 }
      }),
    create: (req) =>
      this.run(async () => {
        const draft = await this.composeDraft(req.profile, req.form)
        const engine = await this.startEngine(draft.id)
        const terminal = await engine.start()
        const job = await this.jobStore.load(draft.id)
        const rowKey = job.record.rows[0]?.key ?? ''
        const row = job.row(rowKey)
        if (row.state === 'created' && row.chatId) {
          const { profile } = await this.clientFor(req.profile)
          return { jobId: draft.id, chatId: row.chatId, link: chatLink(profile.portal, row.chatId) }
        }
        if (terminal.type === 'failed') throw new AppFailure(terminal.error.code, terminal.error.message, terminal.error)
        throw new AppFailure(row.state === 'needs-checking' ? 'OUTCOME_UNKNOWN' : 'PORTAL_ERROR', row.errorMessage ?? 'The chat was not created.', {
          ...(row.errorCode ? { portalError: row.errorCode } : {}),
          ...(row.errorMessage ? { portalDescription: row.errorMessage } : {}),
        })
      }),
  }

  // ---- jobs ---------------------------------------------------------------------------------------------

  /** Creates (or returns the existing) engine for a job and starts it; events go to every listener. */
  private async startEngine(jobId: string): Promise<SyncEngine> {
    let engine = this.engines.get(jobId)
    if (engine && (engine.status === 'running' || engine.status === 'paused')) {
      engine.resume()
      return engine
    }
    const job = await this.jobStore.load(jobId)
    const { client } = await this.clientFor(job.record.profile)
    const settings = await this.settingsValue()
    engine = new SyncEngine({ job, client, clock: this.clock, logger: this.logger, verify: settings.verifyAfterCreate })
    engine.onEvent((e) => this.emitJobEvent(e))
    this.engines.set(jobId, engine)
    const e = engine
    void engine.start().finally(() => {
      // Keep a finished engine only until the next start; snapshots then come from the journal.
      if (this.engines.get(jobId) === e && e.status !== 'running' && e.status !== 'paused') this.engines.delete(jobId)
    })
    return engine
  }

  private async summaryOf(jobId: string): Promise<JobSummary> {
    const engine = this.engines.get(jobId)
    if (engine) {
      const snap = engine.snapshot()
      const { seq: _seq, log: _log, ...summary } = snap
      return summary
    }
    return (await this.jobStore.load(jobId)).summary()
  }

  private engineOf(jobId: string): SyncEngine {
    const e = this.engines.get(jobId)
    if (!e) throw new AppFailure('NOT_FOUND', 'This job is not running.', { messageRu: 'Это задание сейчас не выполняется.' })
    return e
  }

  readonly jobs: BackendApi['jobs'] = {
    list: () =>
      this.run(async () => {
        const stored = await this.jobStore.list()
        return Promise.all(stored.map((j) => (this.engines.has(j.id) ? this.summaryOf(j.id) : j)))
      }),
    createFromSheet: (req) =>
      this.run(async () => {
        const open = this.openSheet(req.sheetId)
        if (open.sheet.length === 0) throw new AppFailure('VALIDATION', 'The sheet has no rows to send.', { messageRu: 'В листе нет строк для отправки.' })
        if (req.profile !== SANDBOX_PROFILE) await this.profilesStore.get(req.profile)
        const job = await this.jobStore.createDraft({
          rows: open.sheet.allRows(),
          profile: req.profile,
          source: open.sheet.meta.fileName,
          headers: open.sheet.meta.headers,
          contentHash: open.sheet.meta.contentHash,
          dedupeTagging: await this.dedupeFor(req.profile),
        })
        if (!req.start) return job.summary()
        await this.startEngine(job.id)
        return this.summaryOf(job.id)
      }),
    addCompose: (req) => this.run(() => this.composeDraft(req.profile, req.form)),
    start: (req) =>
      this.run(async () => {
        await this.startEngine(req.jobId)
        return this.summaryOf(req.jobId)
      }),
    pause: (req) =>
      this.run(async () => {
        this.engineOf(req.jobId).pause()
        return this.summaryOf(req.jobId)
      }),
    resume: (req) =>
      this.run(async () => {
        const e = this.engines.get(req.jobId)
        if (e) e.resume()
        else await this.startEngine(req.jobId)
        return this.summaryOf(req.jobId)
      }),
    cancel: (req) =>
      this.run(async () => {
        this.engineOf(req.jobId).cancel()
        return this.summaryOf(req.jobId)
      }),
    retryFailed: (req) =>
      this.run(async () => {
        const running = this.engines.get(req.jobId)
        if (running && running.status === 'running') throw new AppFailure('VALIDATION', 'The job is still running. Wait for it to finish or pause it first.', { messageRu: 'Задание ещё выполняется. Дождитесь окончания или приостановите его.' })
        this.engines.delete(req.jobId)
        const n = await this.jobStore.retryFailed(req.jobId)
        if (n === 0) throw new AppFailure('VALIDATION', 'There are no failed rows to retry (rows rejected by validation need fixing in the sheet).', { messageRu: 'Нет строк с ошибками отправки для повтора (строки с ошибками проверки нужно исправить в листе).' })
        await this.startEngine(req.jobId)
        return this.summaryOf(req.jobId)
      }),
    remove: (req) =>
      this.run(async () => {
        const e = this.engines.get(req.jobId)
        if (e && (e.status === 'running' || e.status === 'paused')) throw new AppFailure('VALIDATION', 'Cancel the job before deleting it.', { messageRu: 'Сначала отмените задание, затем удалите его.' })
        this.engines.delete(req.jobId)
        await this.jobStore.remove(req.jobId)
        return null
      }),
    snapshot: (req) =>
      this.run(async (): Promise<JobSnapshot> => {
        const e = this.engines.get(req.jobId)
        if (e) return e.snapshot()
        const job = await this.jobStore.load(req.jobId)
        return { ...job.summary(), seq: 0, log: job.log() }
      }),
    exportResults: (req) =>
      this.run(async () => {
        const job = await this.jobStore.load(req.jobId)
        let portal: string | undefined
        try {
          portal = (await this.clientFor(job.record.profile)).profile.portal
        } catch {
          portal = undefined
        }
        const base = job.record.source.replace(/\.(csv|tsv|txt)$/i, '').replace(/[^\p{L}\p{N}._ -]+/gu, '_').slice(0, 80) || 'chats'
        return { name: `${base}-results.csv`, text: exportResultsCsv(job, portal ? { portal } : {}) }
      }),
  }

  // ---- shell --------------------------------------------------------------------------------------------

  readonly shell: BackendApi['shell'] = {
    openChat: (req) =>
      this.run(async () => {
        const { profile } = await this.clientFor(req.profile)
        await this.deps.host.openExternal(chatLink(profile.portal, req.chatId))
        return null
      }),
  }
}

/** Job events leave the main process without passing the IPC gate: their error texts are redacted here. */
export function redactJobEvent(e: JobEvent): JobEvent {
  if (e.type === 'failed') return { ...e, error: { ...e.error, message: redact(e.error.message), ...(e.error.portalDescription ? { portalDescription: redact(e.error.portalDescription) } : {}) } }
  if (e.type === 'rows') return { ...e, rows: e.rows.map((r) => (r.errorMessage ? { ...r, errorMessage: redact(r.errorMessage) } : r)) }
  return e
}

function toPortalUser(u: Record<string, unknown>): PortalUser {
  const name = [u.NAME, u.LAST_NAME].filter((x) => typeof x === 'string' && x).join(' ') || String(u.EMAIL ?? `#${String(u.ID)}`)
  const out: PortalUser = { id: Number(u.ID), name, active: u.ACTIVE === true || u.ACTIVE === 'Y' || u.ACTIVE === 'true' }
  if (typeof u.EMAIL === 'string' && u.EMAIL) out.email = u.EMAIL
  if (typeof u.WORK_POSITION === 'string' && u.WORK_POSITION) out.position = u.WORK_POSITION
  return out
}
