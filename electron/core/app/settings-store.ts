import { join } from 'node:path'
import type { Settings } from '../../shared/settings'
import { DEFAULT_SETTINGS, settingsSchema } from '../../shared/settings'
import { readJsonFile, writeFileAtomic } from '../fsutil'

/** App settings in `<data>/settings.json`; unknown or invalid values fall back to defaults, never crash. */
export class SettingsStore {
  readonly file: string
  private cache: Settings | null = null
  constructor(dataDir: string) {
    this.file = join(dataDir, 'settings.json')
  }
  async get(): Promise<Settings> {
    if (this.cache) return this.cache
    const raw = await readJsonFile<unknown>(this.file, {}).catch(() => ({}))
    const parsed = settingsSchema.safeParse(raw)
    this.cache = parsed.success ? parsed.data : { ...DEFAULT_SETTINGS }
    return this.cache
  }
  async set(patch: Partial<Settings>): Promise<Settings> {
    const next = settingsSchema.parse({ ...(await this.get()), ...patch })
    await writeFileAtomic(this.file, `${JSON.stringify(next, null, 2)}\n`)
    this.cache = next
    return next
  }
}
