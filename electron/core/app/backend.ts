/**
 * The backend behind `window.api`: plain Node, no Electron. The main process exposes it over IPC through the
 * gatekeeper; the e2e harness exposes the very same object to Chromium through a test bridge. Electron-only
 * abilities (dialogs, the OS browser) are injected as `host`.
 */
import type { AppInfo, BackendApi } from '../../shared/ipc'
import type { ProfileView } from '../../shared/profile'
import { SANDBOX_PROFILE } from '../../shared/profile'
import type { Result } from '../../shared/result'
import { AppFailure } from '../../shared/result'
import type { Settings } from '../../shared/settings'
import type { JobEvent } from '../../shared/jobs'
import type { Clock } from '../clock'
import { systemClock } from '../clock'
import type { Logger } from '../redact'
import { silentLogger } from '../redact'
import { ProfileStore } from '../profiles/profile-store'
import type { SecretStore } from '../profiles/secret-store'
import { attempt } from './errors'
import { SettingsStore } from './settings-store'

/** What only the host (Electron main, or the e2e harness) can do. */
export interface BackendHost {
  version: string
  platform: string
  locale: string
  /** Shows an open-file dialog for a sheet; null when cancelled. */
  pickSheetFile(): Promise<string | null>
  /** Opens an https URL in the OS browser. */
  openExternal(url: string): Promise<void>
}

export interface BackendDeps {
  dataDir: string
  secrets: SecretStore
  host: BackendHost
  clock?: Clock
  logger?: Logger
}

export class Backend {
  readonly profilesStore: ProfileStore
  readonly settingsStore: SettingsStore
  readonly clock: Clock
  readonly logger: Logger
  constructor(readonly deps: BackendDeps) {
    this.profilesStore = new ProfileStore(deps.dataDir, deps.secrets)
    this.settingsStore = new SettingsStore(deps.dataDir)
    this.clock = deps.clock ?? systemClock
    this.logger = deps.logger ?? silentLogger
  }

  private readonly jobListeners = new Set<(event: JobEvent) => void>()

  /** Subscribes to every job event (main forwards them to the window; the e2e bridge to the page). */
  onJobEvent(listener: (event: JobEvent) => void): () => void {
    this.jobListeners.add(listener)
    return () => this.jobListeners.delete(listener)
  }

  protected emitJobEvent(event: JobEvent): void {
    for (const l of this.jobListeners) {
      try {
        l(event)
      } catch (e) {
        this.logger.error('job event listener failed', e)
      }
    }
  }

  /** Jobs currently sending (the window asks before closing while this is not 0). */
  runningJobCount(): number {
    return 0
  }

  /** Pauses every running job at the next batch boundary (used before quitting). */
  async pauseAll(): Promise<void> {}

  /** Stops jobs and servers the backend started. */
  async shutdown(): Promise<void> {
    await this.pauseAll()
  }

  private run<T>(fn: () => Promise<T>): Promise<Result<T>> {
    return attempt(fn, (e) => this.logger.error('unexpected failure', e))
  }

  /** The built-in sandbox profile as the renderer sees it. */
  protected sandboxProfileView(): ProfileView {
    return {
      name: SANDBOX_PROFILE,
      portal: '',
      authKind: 'sandbox',
      plan: 'standard',
      userId: 1,
      dedupeTagging: true,
      createdAt: new Date(0).toISOString(),
      hasSecret: true,
    }
  }

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
  }

  readonly settings: BackendApi['settings'] = {
    get: () => this.run(() => this.settingsStore.get()),
    set: (patch: Partial<Settings>) => this.run(() => this.settingsStore.set(patch)),
  }

  readonly profiles: Pick<BackendApi['profiles'], 'list' | 'add' | 'update' | 'remove'> = {
    list: () => this.run(async () => [this.sandboxProfileView(), ...(await this.profilesStore.views())]),
    add: (input) => this.run(() => this.profilesStore.add(input)),
    update: (req) =>
      this.run(async () => {
        if (req.profile === SANDBOX_PROFILE) throw new AppFailure('VALIDATION', 'The built-in sandbox profile cannot be changed.')
        return this.profilesStore.update(req.profile, { plan: req.plan, dedupeTagging: req.dedupeTagging })
      }),
    remove: (req) =>
      this.run(async () => {
        if (req.profile === SANDBOX_PROFILE) throw new AppFailure('VALIDATION', 'The built-in sandbox profile cannot be removed.', { messageRu: 'Встроенный профиль песочницы нельзя удалить.' })
        await this.profilesStore.remove(req.profile)
        return null
      }),
  }
}
