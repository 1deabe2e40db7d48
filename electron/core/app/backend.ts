/**
 * The backend behind `window.api`: plain Node, no Electron. The main process exposes it over IPC through the
 * gatekeeper; the e2e harness exposes the very same object to Chromium through a test bridge. Electron-only
 * abilities (dialogs, the OS browser) are injected as `host`.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, resolve } from 'node:path'
import { randomUUID } from 'node:crypto'
import type { AppInfo, AvatarFolders, BackendApi, ComposeForm, ComposeResult, ImportOptionsInput, PortalUser, SandboxChatView, SandboxStatus, SendPlan, SheetPreview } from '../../shared/ipc'
import { AVATAR_FOLDERS_MAX } from '../../shared/ipc'
import type { JobEvent, JobSnapshot, JobSummary } from '../../shared/jobs'
import { LIVE_JOB_STATUSES } from '../../shared/jobs'
import type { Profile, ProfileView } from '../../shared/profile'
import { SANDBOX_PROFILE } from '../../shared/profile'
import type { Result } from '../../shared/result'
import { AppFailure } from '../../shared/result'
import type { Settings } from '../../shared/settings'
import type { SheetRow } from '../../shared/sheet'
import { chatLink } from '../../shared/chat'
import type { ChatField } from '../../shared/chat'
import type { Clock } from '../clock'
import { systemClock } from '../clock'
import type { Logger } from '../redact'
import { redact, redactAppError, silentLogger } from '../redact'
import { ProfileStore } from '../profiles/profile-store'
import type { SecretStore } from '../profiles/secret-store'
import { applyEdits, avatarRootsOf, avatarSummary, importSheet, liveCheck, MappingMemory, prepareAvatar, readSheetFile, revalidateRow, templateCsv, TEMPLATE_FILE_NAME, validateCompose } from '../import'
import type { Sheet } from '../import'
import type { PortalClient, PortalClientOptions } from '../portal/client'
import { createPortalClient } from '../portal/client'
import { PacerRegistry } from '../portal/pacer'
import { preflight } from '../portal/preflight'
import { CreatedHistory, differingFields, entityKeyFor, exportResultsCsv, fieldHashes, isVerdict, JobRunners, JobStore, portalKeyFor, rowIdentities } from '../sync'
import type { EngineSettings, StoredJob } from '../sync'
import { importCreated } from '../sync/history'
import { planSend } from '../sync/plan'
import type { Plan } from '../sync/plan'
import { chatIdOf } from '../sync/engine'
import { writeFileAtomic } from '../fsutil'
import { defaultDataDir, LOCATION_FILE } from '../paths'
import { dataDirFailure } from '../datadir'
import { AvatarFolderMemory, sourceKey } from './avatar-folders'
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
  /** Knobs for tests and the benchmark: the clients' retry policy, the wait between attempts, engine settings. */
  tuning?: { client?: Partial<PortalClientOptions>; backoffMs?: number[]; engine?: EngineSettings }
  /** The folder with sample-chats.csv and its avatars (default: found beside the app; see `resourcesDir()`). */
  resourcesDir?: string
}

/** The bundled sample sheet, in the resources folder. */
export const SAMPLE_FILE = 'sample-chats.csv'

/**
 * The resources folder: the one given, else Electron's packaged resources, else `resources/` of the working folder
 * or of the source tree (dev, tests, the browser shell and the CLI run from the repository).
 */
export function findResourcesDir(given?: string): string {
  const candidates = [
    given,
    (process as { resourcesPath?: string }).resourcesPath ? join((process as { resourcesPath?: string }).resourcesPath!, 'resources') : undefined,
    join(process.cwd(), 'resources'),
    resolve(import.meta.dirname, '../../../resources'),
    resolve(import.meta.dirname, '../../resources'),
  ]
  return candidates.find((d): d is string => !!d && existsSync(join(d, SAMPLE_FILE))) ?? given ?? join(process.cwd(), 'resources')
}

interface OpenSheet {
  sheet: Sheet
  bytes: Uint8Array
  source: { fileName: string; dir?: string }
  options: ImportOptionsInput
  /** Rows the user asked to create again as new chats (the last send plan's choice). */
  copies: Set<string>
  /** What the last plan that asked the portal found there (identity → chat id), per portal key. */
  portalFound?: { key: string; found: Map<string, number> }
  /** Jobs made from this sheet. */
  jobs: string[]
}

interface ProfileClient {
  client: PortalClient
  profile: Pick<Profile, 'name' | 'portal' | 'plan' | 'dedupeTagging'>
  /** The sandbox origin this client talks to (a restarted sandbox has a new port: the client is rebuilt). */
  origin?: string
}

const SANDBOX_DIR = 'sandbox'

export class Backend implements BackendApi {
  readonly profilesStore: ProfileStore
  readonly settingsStore: SettingsStore
  readonly jobStore: JobStore
  readonly runners: JobRunners
  readonly history: CreatedHistory
  readonly mappingMemory: MappingMemory
  readonly avatarFolderMemory: AvatarFolderMemory
  readonly clock: Clock
  readonly logger: Logger
  private readonly jobListeners = new Set<(event: JobEvent) => void>()
  private readonly sheetsOpen = new Map<string, OpenSheet>()
  /** Sheet source → folders outside it the user allowed avatars to come from (this session only). */
  private readonly avatarConsent = new Map<string, Set<string>>()
  private historyReady: Promise<void> | null = null
  /** Compose creations in progress, by profile and identity: the same chat asked twice at once is made once. */
  private readonly composing = new Map<string, Promise<unknown>>()
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
    this.history = new CreatedHistory(deps.dataDir)
    this.runners = new JobRunners({
      store: this.jobStore,
      history: this.history,
      program: 'app',
      clock: this.clock,
      logger: this.logger,
      clientFor: (job) => this.clientForJob(job),
      engine: async () => ({ verify: (await this.settingsValue()).verifyAfterCreate, ...deps.tuning?.engine }),
      ...(deps.tuning?.backoffMs ? { backoffMs: deps.tuning.backoffMs } : {}),
    })
    this.runners.onEvent((e) => this.emitJobEvent(e))
    this.mappingMemory = new MappingMemory(join(deps.dataDir, 'mappings.json'))
    this.avatarFolderMemory = AvatarFolderMemory.inDataDir(deps.dataDir)
  }

  // ---- plumbing ------------------------------------------------------------------------------------------

  private run<T>(fn: () => Promise<T>): Promise<Result<T>> {
    // A data folder that cannot be written is said in plain words, not as ENOENT … mkdir or "unexpected error".
    const clear = async (): Promise<T> => {
      try {
        return await fn()
      } catch (e) {
        throw dataDirFailure(e, this.deps.dataDir) ?? e
      }
    }
    return attempt(clear, (e) => this.logger.error('unexpected failure', e))
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
    return this.runners.liveCount()
  }

  /** Pauses every running job (acknowledged at once; each takes effect when its chats in flight return). */
  async pauseAll(): Promise<void> {
    await this.runners.pauseAll()
  }

  /**
   * Quitting: every live job stops now and is recorded paused (rows in flight stay `sending` and are resolved
   * when it is resumed), its lock released; then clients, journals and the sandbox close. The next start lists
   * those jobs paused, with Resume.
   */
  async shutdown(): Promise<void> {
    await this.runners.shutdown()
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
    if (!this.deps.startSandbox) throw new AppFailure('NOT_FOUND', 'This build has no sandbox portal.', { messageRu: 'В этой сборке нет песочницы.' })
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
    // Jobs on the sandbox wait for it (waiting-for-portal) and go on, on its new port, once it is back.
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
        if (!isAbsolute(dir)) throw new AppFailure('VALIDATION', 'Choose a folder with a full path.', { messageRu: 'Выберите папку с полным путём.' })
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

  /**
   * The client a job's next attempt uses: resolved afresh from the profile (a restarted sandbox's new port, a
   * profile whose credentials were fixed). The sandbox is never started for a job: stopped, it is unreachable.
   */
  private async clientForJob(job: StoredJob): Promise<PortalClient> {
    // The history knows every earlier job's chats before this job looks its rows up (once per backend).
    await this.ensureHistory()
    const profile = job.record.profile
    if (profile === SANDBOX_PROFILE) {
      const h = this.sandboxHandle ? await this.sandboxHandle.catch(() => null) : null
      if (!h) throw new AppFailure('NETWORK', 'The sandbox portal is stopped: start it and the job goes on.', { messageRu: 'Песочница остановлена: запустите её, и задание продолжится.' })
    }
    return (await this.clientFor(profile)).client
  }

  /** One portal client per profile, shared by jobs, live checks and searches, so pacing is global per portal. */
  private async clientFor(profileName: string): Promise<ProfileClient> {
    let c = this.clients.get(profileName)
    if (c && profileName === SANDBOX_PROFILE) {
      // A sandbox started again listens on another port with another certificate: rebuild its client.
      const [pc, h] = await Promise.all([c.catch(() => null), this.sandboxHandle?.catch(() => null) ?? null])
      if (!pc || !h || pc.origin !== h.origin) {
        this.clients.delete(profileName)
        void c.then((x) => x.client.close(), () => undefined)
        c = undefined
      }
    }
    if (!c) {
      c = (async (): Promise<ProfileClient> => {
        const settings = await this.settingsValue()
        if (profileName === SANDBOX_PROFILE) {
          const h = await this.ensureSandbox()
          const client = createPortalClient({ kind: 'webhook', url: h.webhookUrl }, { ca: h.caPem, plan: 'standard', margin: settings.pacingMargin, concurrency: settings.maxConcurrency, pacers: this.pacers, clock: this.clock, logger: this.logger, ...this.deps.tuning?.client })
          return { client, origin: h.origin, profile: { name: SANDBOX_PROFILE, portal: `${h.origin}/`, plan: 'standard', dedupeTagging: settings.dedupeTagging } }
        }
        const profile = await this.profilesStore.get(profileName)
        const creds = await this.profilesStore.credentials(profileName)
        const client = createPortalClient(creds, { plan: profile.plan, margin: settings.pacingMargin, concurrency: settings.maxConcurrency, pacers: this.pacers, clock: this.clock, logger: this.logger, ...this.deps.tuning?.client })
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
        if (await this.runners.liveForProfile(req.profile))
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
    const key = sourceKey(source)
    const picked = await this.pickedAvatarFolder(key)
    const sheet = await importSheet(bytes, source, {
      ...(options.encoding ? { encoding: options.encoding } : {}),
      ...(options.delimiter ? { delimiter: options.delimiter as ',' } : {}),
      ...(options.mapping ? { mapping: options.mapping } : {}),
      ...(options.sheet !== undefined ? { sheet: options.sheet } : {}),
      avatarMaxEdge: options.avatarMaxEdge ?? settings.avatarMaxEdge,
      mappingMemory: this.mappingMemory,
      // Avatars are read like the CLI reads them (core/import/source.ts): regular files inside the allowed
      // folders only, bytes counted as they arrive, with a deadline.
      ...(picked ? { avatarFolder: picked } : {}),
      avatarFolders: [...(this.avatarConsent.get(key) ?? [])],
    })
    const before = this.sheetsOpen.get(sheetId)
    this.sheetsOpen.set(sheetId, { sheet, bytes, source, options, copies: before?.copies ?? new Set(), jobs: before?.jobs ?? [], ...(before?.portalFound ? { portalFound: before.portalFound } : {}) })
    return { sheetId, ...sheet.overview() }
  }

  /** The avatar folder remembered for a sheet source, while it is still a folder. */
  private async pickedAvatarFolder(key: string): Promise<string | undefined> {
    const folder = await this.avatarFolderMemory.get(key).catch(() => undefined)
    if (!folder) return undefined
    return (await stat(folder).then((st) => st.isDirectory(), () => false)) ? folder : undefined
  }

  private async avatarFoldersOf(open: OpenSheet): Promise<AvatarFolders> {
    const { outside, unresolved } = avatarSummary(open.sheet, AVATAR_FOLDERS_MAX)
    return {
      sheetFolder: open.source.dir ?? null,
      picked: (await this.pickedAvatarFolder(sourceKey(open.source))) ?? null,
      allowed: avatarRootsOf(open.sheet),
      outside,
      unresolved,
      canPick: Boolean(this.deps.host.pickFolder),
    }
  }

  /** Reads an open sheet again with what it has now (consent, picked folder), keeping its id. */
  private reread(sheetId: string, open: OpenSheet): Promise<SheetPreview> {
    return this.doImport(open.bytes, open.source, open.options, sheetId)
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
        // The same bounded read as the CLI: a device, a FIFO or a file that never ends gets a clear refusal.
        const read = await readSheetFile(path)
        if ('problem' in read) throw new AppFailure('VALIDATION', `${basename(path)}: ${read.problem.message}`, { messageRu: `${basename(path)}: ${read.problem.messageRu}` })
        return this.doImport(read.bytes, { fileName: basename(path), dir: dirname(path) }, {})
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
    editCells: (req) =>
      this.run(async () => {
        const open = this.openSheet(req.sheetId)
        const out = await applyEdits(open.sheet, req.edits)
        return { ...out, meta: open.sheet.meta }
      }),
    openSample: () =>
      this.run(async () => {
        const dir = findResourcesDir(this.deps.resourcesDir)
        let bytes: Uint8Array
        try {
          bytes = new Uint8Array(await readFile(join(dir, SAMPLE_FILE)))
        } catch {
          throw new AppFailure('NOT_FOUND', 'The sample sheet is missing from this installation.', { messageRu: 'В этой установке нет примера таблицы.' })
        }
        return this.doImport(bytes, { fileName: SAMPLE_FILE, dir }, {})
      }),
    close: (req) =>
      this.run(async () => {
        this.sheetsOpen.delete(req.sheetId)
        return null
      }),
    avatarFolders: (req) => this.run(async () => this.avatarFoldersOf(this.openSheet(req.sheetId))),
    allowAvatarFolders: (req) =>
      this.run(async () => {
        const open = this.openSheet(req.sheetId)
        // Only folders this sheet asked for: consent is for what the user was shown, nothing wider.
        const asked = new Set(avatarSummary(open.sheet, AVATAR_FOLDERS_MAX).outside.map((o) => o.folder))
        const stray = req.folders.find((f) => !asked.has(f))
        if (stray !== undefined) throw new AppFailure('VALIDATION', `This sheet does not ask for the folder ${stray.slice(0, 300)}.`, { messageRu: `Эта таблица не запрашивает папку ${stray.slice(0, 300)}.` })
        const key = sourceKey(open.source)
        const allowed = this.avatarConsent.get(key) ?? new Set<string>()
        for (const f of req.folders) allowed.add(f)
        this.avatarConsent.set(key, allowed)
        return this.reread(req.sheetId, open)
      }),
    setAvatarFolder: (req) =>
      this.run(async () => {
        const open = this.openSheet(req.sheetId)
        let folder = req.folder
        if (folder === undefined) {
          if (!this.deps.host.pickFolder) throw new AppFailure('NOT_FOUND', 'There is no folder dialog here: type the folder\'s full path instead.', { messageRu: 'Здесь нет окна выбора папки: введите полный путь к папке.' })
          const picked = await this.deps.host.pickFolder()
          if (!picked) return null
          folder = picked
        }
        folder = folder.trim()
        if (folder !== '') {
          if (!isAbsolute(folder)) throw new AppFailure('VALIDATION', 'Give the folder\'s full path (for example /home/me/avatars or C:\\Users\\me\\avatars).', { messageRu: 'Укажите полный путь к папке (например, /home/me/avatars или C:\\Users\\me\\avatars).' })
          folder = resolve(folder)
          const isDir = await stat(folder).then((st) => st.isDirectory(), () => false)
          if (!isDir) throw new AppFailure('VALIDATION', `${folder.slice(0, 300)} is not a folder on this computer.`, { messageRu: `${folder.slice(0, 300)} — не папка на этом компьютере.` })
        }
        // Remembered in memory at once; a data folder that cannot be written only loses it at the next start.
        await this.avatarFolderMemory.set(sourceKey(open.source), folder || null).catch((e: unknown) => this.logger.warn('avatar folder not saved', e instanceof Error ? e.message : String(e)))
        return this.reread(req.sheetId, open)
      }),
    sendPlan: (req) =>
      this.run(async () => {
        const open = this.openSheet(req.sheetId)
        if (req.copies) open.copies = new Set(req.copies)
        const plan = await this.planFor(open, req.profile, req.portal !== false)
        return this.toSendPlan(req.sheetId, req.profile, plan.plan, plan.host)
      }),
  }

  // ---- what a send would do ------------------------------------------------------------------------------

  /** The history knows every created row of this data folder's jobs (rebuilt once per backend from their journals). */
  private ensureHistory(): Promise<void> {
    if (!this.historyReady) {
      this.historyReady = (async () => {
        await importCreated(this.history, await this.jobStore.all())
      })()
      this.historyReady.catch(() => {
        this.historyReady = null
      })
    }
    return this.historyReady
  }

  /** The portal key, base URL and host of a profile, without starting anything. */
  private async portalOf(profile: string): Promise<{ key: string; url?: string; host: string }> {
    if (profile === SANDBOX_PROFILE) {
      const h = this.sandboxHandle ? await this.sandboxHandle.catch(() => null) : null
      return { key: portalKeyFor(profile), ...(h ? { url: `${h.origin}/` } : {}), host: h ? new URL(h.origin).host : 'the sandbox portal' }
    }
    const p = await this.profilesStore.get(profile)
    return { key: portalKeyFor(profile, p.portal), url: p.portal, host: new URL(p.portal).host }
  }

  private async planFor(open: OpenSheet, profile: string, askPortal: boolean): Promise<{ plan: Plan; host: string; key: string }> {
    await this.ensureHistory()
    const portal = await this.portalOf(profile)
    let caller: PortalClient | null = null
    if (askPortal) caller = (await this.clientFor(profile)).client
    const known = open.portalFound?.key === portal.key ? open.portalFound.found : undefined
    const plan = await planSend({
      rows: open.sheet.allRows(),
      portalKey: portal.key,
      ...(portal.url ? { portalUrl: portal.url } : {}),
      history: this.history,
      dedupeTagging: await this.dedupeFor(profile),
      copies: open.copies,
      portal: caller,
      ...(known ? { known } : {}),
    })
    // The chats the portal holds are remembered for this sheet: a plan from the history alone (the job the user
    // confirms, a re-plan after an edit) then counts what the user was shown.
    if (plan.found) open.portalFound = { key: portal.key, found: plan.found }
    return { plan, host: portal.host, key: portal.key }
  }

  private toSendPlan(sheetId: string, profile: string, plan: Plan, host: string): SendPlan {
    const n = plan.toCreate
    const out: SendPlan = {
      sheetId,
      profile,
      portal: host,
      toCreate: n,
      alreadyCreated: plan.alreadyCreated,
      createdWithOtherValues: plan.createdWithOtherValues,
      copies: plan.copies,
      invalid: plan.invalid,
      rows: plan.rows,
      portalChecked: plan.portalChecked,
      confirm: {
        en: n === 0 ? `Nothing to create on ${host}: every row was created before or has errors.` : `Create ${n.toLocaleString('en-US')} chat${n === 1 ? '' : 's'} on ${host}?`,
        ru: n === 0 ? `Создавать на ${host} нечего: все строки уже созданы или содержат ошибки.` : `Создать ${n.toLocaleString('ru-RU')} ${plural(n, 'чат', 'чата', 'чатов')} на ${host}?`,
      },
    }
    if (plan.lookupError) out.lookupError = plan.lookupError
    return out
  }

  /**
   * A job of this sheet still on the wire: its rows in flight are neither in the history nor (yet) on the portal,
   * so a second send now could create them twice. A paused job is fine: its rows in doubt are looked up first.
   */
  private async noSendUnderWay(open: OpenSheet): Promise<void> {
    for (const id of open.jobs) {
      const s = await this.runners.summary(id).catch(() => null)
      if (!s || s.status === 'paused' || !LIVE_JOB_STATUSES.includes(s.status)) continue
      throw new AppFailure('VALIDATION', 'This sheet is still being sent: wait for that job to end (or pause it), then send the rest. Sending now could create the chats on their way twice.', {
        messageRu: 'Этот лист ещё отправляется: дождитесь окончания задания (или приостановите его), затем отправьте остальное. Отправка сейчас могла бы создать чаты, которые уже в пути, дважды.',
      })
    }
  }

  // ---- compose ------------------------------------------------------------------------------------------

  private async composeRow(form: ComposeForm): Promise<SheetRow> {
    const settings = await this.settingsValue()
    return validateCompose(form, { avatarMaxEdge: settings.avatarMaxEdge })
  }

  private validComposeRow(row: SheetRow): SheetRow {
    if (row.status === 'error') {
      const p = row.problems.find((x) => x.severity === 'error')
      throw new AppFailure('VALIDATION', p?.message ?? 'The chat has errors.', { ...(p ? { messageRu: p.messageRu, field: p.field } : {}) })
    }
    return row
  }

  private async composeDraft(profile: string, form: ComposeForm, copy = false): Promise<JobSummary> {
    const row = this.validComposeRow(await this.composeRow(form))
    const dedupeTagging = await this.dedupeFor(profile)
    const portal = await this.portalOf(profile).catch(() => ({ key: portalKeyFor(profile) }))
    const job = await this.jobStore.createDraft({ rows: [row], profile, source: `Compose: ${row.titlePreview}`, dedupeTagging, portalKey: portal.key, ...(copy ? { copies: new Set([row.key]) } : {}) })
    return job.summary()
  }

  private async dedupeFor(profile: string): Promise<boolean> {
    if (profile === SANDBOX_PROFILE) return (await this.settingsValue()).dedupeTagging
    return (await this.profilesStore.get(profile)).dedupeTagging
  }

  /** The chat a compose form stands for, if it was created before (this data folder's history, then the portal). */
  private async composedBefore(profile: string, row: SheetRow): Promise<ComposeResult | null> {
    await this.ensureHistory()
    const { client, profile: p } = await this.clientFor(profile)
    const identity = rowIdentities([row])[0] as string
    const portal = await this.portalOf(profile)
    await this.history.refresh()
    const rec = this.history.find(portal.key, identity)
    if (rec) {
      const differs = differingFields(rec.fields, fieldHashes(row)) as ChatField[]
      return { chatId: rec.chatId, link: chatLink(p.portal, rec.chatId), alreadyCreated: true, createdAt: rec.at, ...(differs.length ? { differs } : {}), jobId: rec.jobId }
    }
    const key = entityKeyFor({ identity }, row.params, await this.dedupeFor(profile))
    if (!key) return null
    let found: unknown
    try {
      found = (await client.call('im.chat.get', { ENTITY_TYPE: key.entityType, ENTITY_ID: key.entityId })).result
    } catch (e) {
      // Unreachable: the job is made anyway; its engine looks the chat up again before it sends anything.
      if (e instanceof AppFailure && !isVerdict(e.appError.code)) return null
      throw e
    }
    const id = chatIdOf(found)
    return id === null ? null : { chatId: id, link: chatLink(p.portal, id), alreadyCreated: true }
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
        const row = this.validComposeRow(await this.composeRow(req.form))
        // A double click, or two windows: the second waits for the first and then finds its chat.
        return this.oneAtATime(`${req.profile}\0${rowIdentities([row])[0] as string}`, () => this.composeCreate(req, row))
      }),
  }

  /** Runs `fn` after every earlier call with the same key has ended. */
  private async oneAtATime<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.composing.get(key) ?? Promise.resolve()
    const mine = before.then(fn)
    const tail = mine.catch(() => undefined)
    this.composing.set(key, tail)
    try {
      return await mine
    } finally {
      if (this.composing.get(key) === tail) this.composing.delete(key)
    }
  }

  private async composeCreate(req: { profile: string; form: ComposeForm; copy?: boolean }, row: SheetRow): Promise<ComposeResult> {
    if (!req.copy) {
      const before = await this.composedBefore(req.profile, row)
      if (before) return before
    }
    const draft = await this.composeDraft(req.profile, req.form, req.copy)
    // The chat is created, or the portal cannot be reached: then it stays queued in the Outbox (the job waits
    // for the portal and creates it once it is back) and the form says so instead of spinning.
    let offWaiting: () => void = () => {}
    const waiting = new Promise<'waiting'>((resolve) => {
      offWaiting = this.runners.onEvent((e) => {
        if (e.jobId === draft.id && e.type === 'status' && e.status === 'waiting-for-portal') resolve('waiting')
      })
    })
    await this.runners.start(draft.id)
    const terminal = await Promise.race([this.runners.done(draft.id), waiting]).finally(offWaiting)
    if (terminal === 'waiting') {
      throw new AppFailure('NETWORK', 'The portal cannot be reached. The chat waits in the Outbox and is created as soon as the portal is back; nothing is created twice.', {
        messageRu: 'Портал недоступен. Чат ждёт в «Исходящих» и будет создан, как только портал станет доступен; дважды ничего не создаётся.',
      })
    }
    const job = await this.jobStore.load(draft.id)
    const rowKey = job.record.rows[0]?.key ?? ''
    const state = job.row(rowKey)
    const { profile } = await this.clientFor(req.profile)
    if ((state.state === 'created' || state.state === 'skipped') && state.chatId) {
      const out: ComposeResult = { jobId: draft.id, chatId: state.chatId, link: chatLink(profile.portal, state.chatId) }
      if (state.state === 'skipped') out.alreadyCreated = true
      return out
    }
    if (terminal?.type === 'failed') throw new AppFailure(terminal.error.code, terminal.error.message, terminal.error)
    throw new AppFailure(state.state === 'needs-checking' ? 'OUTCOME_UNKNOWN' : 'PORTAL_ERROR', state.errorMessage ?? 'The chat was not created.', {
      ...(state.errorMessage ? {} : { messageRu: 'Чат не создан.' }),
      ...(state.errorCode ? { portalError: state.errorCode } : {}),
      ...(state.errorMessage ? { portalDescription: state.errorMessage } : {}),
    })
  }

  // ---- jobs ---------------------------------------------------------------------------------------------

  readonly jobs: BackendApi['jobs'] = {
    list: () => this.run(() => this.runners.list()),
    createFromSheet: (req) =>
      this.run(async () => {
        const open = this.openSheet(req.sheetId)
        if (open.sheet.length === 0) throw new AppFailure('VALIDATION', 'The sheet has no rows to send.', { messageRu: 'В листе нет строк для отправки.' })
        if (req.profile !== SANDBOX_PROFILE) await this.profilesStore.get(req.profile)
        if (req.copies) open.copies = new Set(req.copies)
        if (req.start) await this.noSendUnderWay(open)
        const rows = open.sheet.allRows()
        // The history only: the engine looks every row up on the portal again before its first send.
        const { plan, host, key } = await this.planFor(open, req.profile, false)
        if (req.expectCreate !== undefined && req.expectCreate !== plan.toCreate) {
          throw new AppFailure('VALIDATION', `The sheet changed since it was checked: ${plan.toCreate} chats would be created now, not ${req.expectCreate}. Check it again.`, { messageRu: `Лист изменился после проверки: сейчас будет создано ${plan.toCreate}, а не ${req.expectCreate}. Проверьте снова.` })
        }
        if (plan.toCreate === 0) {
          throw new AppFailure('VALIDATION', `Nothing to create on ${host}: every row of this sheet was created before or has errors.`, { messageRu: `Создавать на ${host} нечего: все строки листа уже созданы или содержат ошибки.` })
        }
        const job = await this.jobStore.createDraft({
          rows,
          profile: req.profile,
          source: open.sheet.meta.fileName,
          headers: open.sheet.meta.headers,
          contentHash: open.sheet.meta.contentHash,
          dedupeTagging: await this.dedupeFor(req.profile),
          portalKey: key,
          identities: plan.identities,
          copies: open.copies,
          skip: plan.skip,
        })
        open.jobs.push(job.id)
        if (!req.start) return job.summary()
        return this.runners.start(job.id)
      }),
    addCompose: (req) => this.run(() => this.composeDraft(req.profile, req.form)),
    start: (req) => this.run(() => this.runners.start(req.jobId)),
    pause: (req) => this.run(() => this.runners.pause(req.jobId)),
    resume: (req) => this.run(() => this.runners.resume(req.jobId)),
    cancel: (req) => this.run(() => this.runners.cancel(req.jobId)),
    retryFailed: (req) => this.run(() => this.runners.retryFailed(req.jobId)),
    sendUnsent: (req) => this.run(() => this.runners.sendUnsent(req.jobId)),
    remove: (req) =>
      this.run(async () => {
        await this.runners.remove(req.jobId)
        return null
      }),
    snapshot: (req) => this.run((): Promise<JobSnapshot> => this.runners.snapshot(req.jobId)),
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
  if (e.type === 'failed') return { ...e, error: redactAppError(e.error) }
  if (e.type === 'rows') return { ...e, rows: e.rows.map((r) => (r.errorMessage ? { ...r, errorMessage: redact(r.errorMessage) } : r)) }
  return e
}

/** Russian plural form for n (1 чат, 2 чата, 5 чатов). */
function plural(n: number, one: string, few: string, many: string): string {
  const m10 = n % 10
  const m100 = n % 100
  if (m10 === 1 && m100 !== 11) return one
  if (m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14)) return few
  return many
}

function toPortalUser(u: Record<string, unknown>): PortalUser {
  const name = [u.NAME, u.LAST_NAME].filter((x) => typeof x === 'string' && x).join(' ') || String(u.EMAIL ?? `#${String(u.ID)}`)
  const out: PortalUser = { id: Number(u.ID), name, active: u.ACTIVE === true || u.ACTIVE === 'Y' || u.ACTIVE === 'true' }
  if (typeof u.EMAIL === 'string' && u.EMAIL) out.email = u.EMAIL
  if (typeof u.WORK_POSITION === 'string' && u.WORK_POSITION) out.position = u.WORK_POSITION
  return out
}
