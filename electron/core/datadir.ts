/**
 * The data folder must be writable: profiles, settings, jobs and journals live there. When it is not (a read-only
 * disk or mount, no permission, a path under a file or under /proc), the app and the CLI say so in plain words
 * instead of `ENOENT … mkdir` or "unexpected error".
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { AppFailure } from '../shared/result'

const WRITE_CODES = new Set(['EROFS', 'EACCES', 'EPERM', 'ENOTDIR', 'ENOENT', 'EEXIST'])

/** The clear error for a data folder that cannot be written, with the system's code for the log. */
export function readOnlyDataDir(dir: string, code: string): AppFailure {
  return new AppFailure(
    'VALIDATION',
    `The data folder ${dir} is read-only or cannot be created (${code}). Choose a folder you can write to: Settings → Data folder in the app, B24CHAT_DATA_DIR, or --data DIR for b24chat.`,
    { messageRu: `Папка данных ${dir} доступна только для чтения или не может быть создана (${code}). Выберите папку, в которую можно писать: «Настройки → Папка данных» в приложении, B24CHAT_DATA_DIR или --data DIR для b24chat.`, field: 'dataDir' },
  )
}

/** Is `p` the folder itself, inside it, or one of its ancestors (where mkdir -p of the folder fails)? */
function onPath(p: string, dir: string): boolean {
  const inside = relative(dir, p)
  const above = relative(p, dir)
  return !inside.startsWith('..') || !above.startsWith('..')
}

/**
 * When `e` is a file-system error of writing into `dir` (or creating it), the clear read-only message for it;
 * otherwise null (a missing sheet elsewhere is not the data folder's fault).
 */
export function dataDirFailure(e: unknown, dir: string): AppFailure | null {
  const err = e as NodeJS.ErrnoException | null
  if (!err || typeof err.code !== 'string' || !WRITE_CODES.has(err.code)) return null
  if (typeof err.path !== 'string' || !isAbsolute(err.path) || !onPath(resolve(err.path), resolve(dir))) return null
  // ENOENT/EEXIST only mean "cannot be created" when making folders; reading a missing file is normal.
  if ((err.code === 'ENOENT' || err.code === 'EEXIST') && err.syscall !== 'mkdir') return null
  return readOnlyDataDir(resolve(dir), err.code)
}

/**
 * Creates the missing folders one level at a time (never `mkdir -p`, which loops forever under /proc on Node 20)
 * and proves the folder writable with a probe file; throws the clear read-only AppFailure otherwise.
 */
export async function ensureDataDir(dir: string): Promise<void> {
  const target = resolve(dir)
  try {
    // The folders that do not exist yet, from the deepest existing ancestor down to the target.
    const missing: string[] = []
    for (let d = target; ; d = dirname(d)) {
      if (await exists(d)) break
      missing.unshift(d)
      if (dirname(d) === d) break
    }
    for (const d of missing) await mkdir(d)
    const probe = join(target, `.b24chat-write-test-${process.pid}`)
    await writeFile(probe, 'ok')
    await rm(probe, { force: true })
  } catch (e) {
    throw readOnlyDataDir(target, (e as NodeJS.ErrnoException).code ?? 'error')
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p)
    return true
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return false
    // ENOTDIR (a file on the way), EACCES: it "exists" as far as creating goes; the probe reports it.
    return true
  }
}
