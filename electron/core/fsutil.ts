/**
 * Durable files (house style, habit 14): the journal, the job lock and the atomic writer take this small fs
 * interface, so a unit test can run them on an in-memory disk that crashes, fills up or writes short at any
 * chosen operation (test/helpers/crash-fs.ts) and prove what survives.
 */
import * as fsp from 'node:fs/promises'
import { dirname } from 'node:path'

/** An open file: the operations the journal and the atomic writer need. */
export interface DurableHandle {
  /** Writes `length` bytes of `data` from `offset`; may write fewer (a short write): see `writeAll`. */
  write(data: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>
  datasync(): Promise<void>
  sync(): Promise<void>
  truncate(length: number): Promise<void>
  stat(): Promise<{ size: number; mtimeMs: number }>
  close(): Promise<void>
}

/** 'a' append (create), 'w' truncate (create), 'wx' create exclusively (EEXIST when it exists), 'r' read. */
export type OpenFlags = 'a' | 'w' | 'wx' | 'r'

export interface DurableFs {
  open(path: string, flags: OpenFlags, mode?: number): Promise<DurableHandle>
  readFile(path: string): Promise<Uint8Array>
  rename(from: string, to: string): Promise<void>
  /** Removes a file; no error when it does not exist. */
  rm(path: string): Promise<void>
  mkdir(path: string): Promise<void>
  readdir(path: string): Promise<string[]>
  /** Removes a folder and everything in it; no error when it does not exist. */
  rmTree(path: string): Promise<void>
  stat(path: string): Promise<{ size: number; mtimeMs: number }>
  /** Makes the folder's entries (created, renamed, removed files) durable. */
  fsyncDir(dir: string): Promise<void>
}

export const nodeFs: DurableFs = {
  open: (path, flags, mode) => fsp.open(path, flags, mode),
  readFile: async (path) => new Uint8Array(await fsp.readFile(path)),
  rename: (from, to) => fsp.rename(from, to),
  rm: (path) => fsp.rm(path, { force: true }),
  mkdir: async (path) => {
    await fsp.mkdir(path, { recursive: true, mode: 0o700 })
  },
  readdir: (path) => fsp.readdir(path),
  rmTree: (path) => fsp.rm(path, { recursive: true, force: true }),
  stat: (path) => fsp.stat(path),
  fsyncDir,
}

/** The error a write that stored nothing (a full disk that did not say so) ends with. */
export function diskFullError(path: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`ENOSPC: no space left on device, write '${path}'`)
  e.code = 'ENOSPC'
  return e
}

/** Writes every byte or throws: a short write is continued, a write that stores nothing is a full disk. */
export async function writeAll(fh: DurableHandle, bytes: Uint8Array, path = ''): Promise<void> {
  let done = 0
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done)
    if (bytesWritten <= 0) throw diskFullError(path)
    done += bytesWritten
  }
}

let tmpCounter = 0

/** Writes a file atomically: temp file in the same folder, write all, fsync, rename, fsync the folder. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, o: { mode?: number; fs?: DurableFs } = {}): Promise<void> {
  const fs = o.fs ?? nodeFs
  await fs.mkdir(dirname(path))
  const tmp = `${path}.${process.pid}.${Date.now()}.${++tmpCounter}.tmp`
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data
  try {
    const fh = await fs.open(tmp, 'w', o.mode ?? 0o600)
    try {
      await writeAll(fh, bytes, tmp)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await fs.rename(tmp, path)
  } catch (e) {
    await fs.rm(tmp).catch(() => undefined)
    throw e
  }
  await fs.fsyncDir(dirname(path))
}

export async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await fsp.open(dir, 'r')
    try {
      await fh.sync()
    } finally {
      await fh.close()
    }
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic there.
  }
}

export async function readJsonFile<T>(path: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await fsp.readFile(path, 'utf8')) as T
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return fallback
    throw e
  }
}

/** True for the errors of a full disk or quota: the job stops with a plain message and resumes later. */
export function isDiskFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG'
}
