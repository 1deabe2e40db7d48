/**
 * The avatar folder the user picked for a sheet, remembered per sheet source in `<data>/avatar-folders.json`
 * (atomic writes, the most recent 200 sheets), so a sheet whose avatars live elsewhere (or one uploaded in browser
 * mode, which has no folder) is set up once. Consent to read outside folders is not stored here: it lasts for the
 * session only (the backend keeps it in memory).
 */
import { join } from 'node:path'
import { readJsonFile, writeFileAtomic } from '../fsutil'

const MAX_ENTRIES = 200

interface FolderFile {
  version: 1
  /** Source key → folder. */
  folders: Record<string, string>
}

/** The key of a sheet source: its path when known, else its file name (a browser upload). */
export function sourceKey(source: { fileName: string; dir?: string }): string {
  return source.dir ? join(source.dir, source.fileName) : `upload:${source.fileName}`
}

export class AvatarFolderMemory {
  private data: FolderFile | null = null
  private writing: Promise<void> = Promise.resolve()

  constructor(readonly file: string) {}

  static inDataDir(dataDir: string): AvatarFolderMemory {
    return new AvatarFolderMemory(join(dataDir, 'avatar-folders.json'))
  }

  private async load(): Promise<FolderFile> {
    if (this.data) return this.data
    const raw = await readJsonFile<unknown>(this.file, null).catch(() => null)
    const folders = raw && typeof raw === 'object' && 'folders' in raw && raw.folders && typeof raw.folders === 'object' ? (raw.folders as Record<string, unknown>) : {}
    this.data = { version: 1, folders: Object.fromEntries(Object.entries(folders).filter((e): e is [string, string] => typeof e[1] === 'string')) }
    return this.data
  }

  async get(key: string): Promise<string | undefined> {
    const data = await this.load()
    return Object.hasOwn(data.folders, key) ? data.folders[key] : undefined
  }

  /** Remembers `folder` for `key`; null forgets it. */
  async set(key: string, folder: string | null): Promise<void> {
    const data = await this.load()
    delete data.folders[key] // re-inserted last: the most recent survive the cap
    if (folder !== null) data.folders[key] = folder
    const keys = Object.keys(data.folders)
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_ENTRIES))) delete data.folders[k]
    const text = `${JSON.stringify(data, null, 1)}\n`
    this.writing = this.writing.catch(() => {}).then(() => writeFileAtomic(this.file, text))
    return this.writing
  }
}
