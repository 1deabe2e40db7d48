/**
 * Sheet files and avatar files read through `readBounded` with the limits of shared/limits.ts, and every way that
 * can fail turned into a Problem (English + Russian) that names the limit. The CLI, the app backend and the browser
 * shell all read sheets through `readSheetFile`, and the import reads avatars through `readAvatarFile`.
 */
import { BoundedReadError, readBounded } from '../bounded-read'
import type { NotFileKind, ReadFailure } from '../bounded-read'
import { formatSize, INPUT_LIMITS } from '../../shared/limits'
import { makeProblem } from '../../shared/problems'
import type { Problem } from '../../shared/sheet'

export { formatSize } from '../../shared/limits'

const KIND_TEXT: Record<NotFileKind, { en: string; ru: string }> = {
  directory: { en: 'a folder', ru: 'папка' },
  device: { en: 'a device', ru: 'устройство' },
  fifo: { en: 'a named pipe (FIFO)', ru: 'именованный канал (FIFO)' },
  socket: { en: 'a socket', ru: 'сокет' },
  system: { en: 'a system file (/proc, /sys)', ru: 'системный файл (/proc, /sys)' },
  other: { en: 'not a regular file', ru: 'не обычный файл' },
}

/** Size text of a file refused as too large: its size when it said, otherwise "> limit" (counted while reading). */
const sizeOf = (f: { limit: number; size?: number }): string => (f.size !== undefined ? formatSize(f.size) : `> ${formatSize(f.limit)}`)

/** The file-level problem for a sheet that could not be read. */
export function sheetReadProblem(f: ReadFailure): Problem {
  switch (f.reason) {
    case 'not-found':
      return makeProblem('FILE', 'FILE_NOT_FOUND')
    case 'denied':
      return makeProblem('FILE', 'FILE_DENIED')
    case 'not-file':
      return makeProblem('FILE', 'FILE_NOT_A_FILE', { kind: KIND_TEXT[f.kind].en, kindRu: KIND_TEXT[f.kind].ru })
    case 'too-large':
      return makeProblem('FILE', 'FILE_TOO_LARGE', { size: sizeOf(f), limit: formatSize(f.limit) })
    case 'timeout':
      return makeProblem('FILE', 'FILE_READ_TIMEOUT', { seconds: Math.round(f.ms / 1000) })
    case 'io':
      return makeProblem('FILE', 'FILE_UNREADABLE', { reason: f.code })
  }
}

/** The row problem for an avatar file that could not be read (`shown`: the path as the sheet gave it, shortened). */
export function avatarReadProblem(f: ReadFailure, shown: string): Problem {
  switch (f.reason) {
    case 'not-found':
      return makeProblem('AVATAR', 'AVATAR_NOT_FOUND', { path: shown })
    case 'denied':
      return makeProblem('AVATAR', 'AVATAR_DENIED', { path: shown })
    case 'not-file':
      return makeProblem('AVATAR', 'AVATAR_NOT_A_FILE', { path: shown, kind: KIND_TEXT[f.kind].en, kindRu: KIND_TEXT[f.kind].ru })
    case 'too-large':
      return makeProblem('AVATAR', 'AVATAR_FILE_TOO_LARGE', { size: sizeOf(f), limit: formatSize(f.limit) })
    case 'timeout':
      return makeProblem('AVATAR', 'AVATAR_UNREADABLE', { reason: `no data within ${Math.round(f.ms / 1000)} s` })
    case 'io':
      return makeProblem('AVATAR', 'AVATAR_UNREADABLE', { reason: f.code })
  }
}

export type ReadResult = { bytes: Uint8Array } | { problem: Problem }

async function readAs(path: string, maxBytes: number, timeoutMs: number, signal: AbortSignal | undefined, problemOf: (f: ReadFailure) => Problem): Promise<ReadResult> {
  try {
    return { bytes: await readBounded(path, { maxBytes, timeoutMs, signal }) }
  } catch (e) {
    if (e instanceof BoundedReadError) return { problem: problemOf(e.failure) }
    throw e // the caller's abort
  }
}

/** A sheet file: at most INPUT_LIMITS.sheetBytes, read within INPUT_LIMITS.sheetReadMs. Rejects only on `signal`. */
export function readSheetFile(path: string, opts: { signal?: AbortSignal; maxBytes?: number; timeoutMs?: number } = {}): Promise<ReadResult> {
  return readAs(path, opts.maxBytes ?? INPUT_LIMITS.sheetBytes, opts.timeoutMs ?? INPUT_LIMITS.sheetReadMs, opts.signal, sheetReadProblem)
}

/** An avatar file: at most INPUT_LIMITS.avatarBytes, read within INPUT_LIMITS.avatarReadMs. */
export function readAvatarFile(path: string, shown: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ReadResult> {
  return readAs(path, INPUT_LIMITS.avatarBytes, opts.timeoutMs ?? INPUT_LIMITS.avatarReadMs, opts.signal, (f) => avatarReadProblem(f, shown))
}
