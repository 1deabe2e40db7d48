/**
 * Reading a file named from outside (a sheet, an avatar, a CA file) without trusting it: opened without blocking
 * (a FIFO with no writer cannot hang the open), refused unless it is a regular file (devices, FIFOs, sockets,
 * folders, and Linux's /proc and /sys pseudo-files whose reported size means nothing), bytes counted as they
 * arrive against a cap (a file that grows, or lies about its size, stops at the cap), and a deadline on the
 * whole read. Used by the CLI, the app backend and the browser shell alike.
 */
import { constants } from 'node:fs'
import { open, realpath } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'

/** What a path turned out to be, when it is not a regular file. */
export type NotFileKind = 'directory' | 'device' | 'fifo' | 'socket' | 'system' | 'other'

export type ReadFailure =
  | { reason: 'not-found' }
  | { reason: 'denied' }
  | { reason: 'not-file'; kind: NotFileKind }
  | { reason: 'too-large'; limit: number; /** Known when the file reported it; otherwise "more than limit". */ size?: number }
  | { reason: 'timeout'; ms: number }
  | { reason: 'io'; code: string }

/** Thrown by `readBounded`; `failure` says why in a form callers turn into their own message. */
export class BoundedReadError extends Error {
  constructor(readonly failure: ReadFailure) {
    super(`read refused: ${failure.reason}`)
    this.name = 'BoundedReadError'
  }
}

export interface BoundedReadOptions {
  maxBytes: number
  timeoutMs: number
  signal?: AbortSignal
  /** Test seam: the platform whose pseudo-file folders are refused (default process.platform). */
  platform?: NodeJS.Platform
}

const CHUNK = 256 * 1024

/** /proc and /sys on Linux: "regular" files whose size is 0 or made up, and some of which never end. */
export function isSystemPath(real: string, platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'linux' && /^\/(proc|sys)(\/|$)/.test(real)
}

function kindOf(st: { isDirectory(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isFIFO(): boolean; isSocket(): boolean }): NotFileKind {
  if (st.isDirectory()) return 'directory'
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device'
  if (st.isFIFO()) return 'fifo'
  if (st.isSocket()) return 'socket'
  return 'other'
}

/** Why a file operation failed, from a BoundedReadError or a Node error (its errno code). */
export function readFailureOf(e: unknown): ReadFailure {
  if (e instanceof BoundedReadError) return e.failure
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? (e instanceof Error ? e.message.slice(0, 200) : 'unknown error')
  if (code === 'ENOENT' || code === 'ENOTDIR') return { reason: 'not-found' }
  if (code === 'EACCES' || code === 'EPERM') return { reason: 'denied' }
  if (code === 'EISDIR') return { reason: 'not-file', kind: 'directory' }
  if (code === 'ENXIO') return { reason: 'not-file', kind: 'socket' }
  return { reason: 'io', code }
}

/**
 * The whole content of the regular file at `path`, or a `BoundedReadError`. Never reads more than
 * `maxBytes + 1` bytes, never waits longer than `timeoutMs`, and rejects at once when `signal` aborts.
 */
export async function readBounded(path: string, opts: BoundedReadOptions): Promise<Uint8Array> {
  opts.signal?.throwIfAborted()
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  let fh: FileHandle | undefined
  let settled = false
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BoundedReadError({ reason: 'timeout', ms: opts.timeoutMs })), opts.timeoutMs)
    onAbort = () => reject(opts.signal!.reason ?? new Error('aborted'))
    opts.signal?.addEventListener('abort', onAbort, { once: true })
  })
  stopped.catch(() => {})
  const work = (async (): Promise<Uint8Array> => {
    const real = await realpath(path)
    if (isSystemPath(real, opts.platform)) throw new BoundedReadError({ reason: 'not-file', kind: 'system' })
    // O_NONBLOCK: opening a FIFO nobody writes to returns at once instead of waiting for a writer.
    const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0)
    const handle = await open(real, flags)
    if (settled) {
      void handle.close().catch(() => {})
      throw new BoundedReadError({ reason: 'timeout', ms: opts.timeoutMs })
    }
    fh = handle
    const st = await handle.stat()
    if (!st.isFile()) throw new BoundedReadError({ reason: 'not-file', kind: kindOf(st) })
    if (st.size > opts.maxBytes) throw new BoundedReadError({ reason: 'too-large', limit: opts.maxBytes, size: st.size })
    // Sized by what the file says (plus one byte to notice growth), grown only as bytes really arrive.
    let buf = Buffer.allocUnsafe(Math.min(opts.maxBytes + 1, Math.max(st.size + 1, CHUNK)))
    let total = 0
    for (;;) {
      if (settled) throw new BoundedReadError({ reason: 'timeout', ms: opts.timeoutMs })
      if (total === buf.length) {
        const next = Buffer.allocUnsafe(Math.min(opts.maxBytes + 1, buf.length * 2))
        buf.copy(next, 0, 0, total)
        buf = next
      }
      const { bytesRead } = await handle.read(buf, total, buf.length - total, null)
      if (bytesRead === 0) break
      total += bytesRead
      if (total > opts.maxBytes) throw new BoundedReadError({ reason: 'too-large', limit: opts.maxBytes })
    }
    return new Uint8Array(buf.buffer, buf.byteOffset, total)
  })()
  try {
    return await Promise.race([work, stopped])
  } catch (e) {
    if (opts.signal?.aborted && !(e instanceof BoundedReadError)) throw e
    throw new BoundedReadError(readFailureOf(e))
  } finally {
    settled = true
    clearTimeout(timer)
    if (onAbort) opts.signal?.removeEventListener('abort', onAbort)
    // A read still in flight (timeout, abort) finishes in the background; the handle is closed after it.
    void work.catch(() => undefined).finally(() => void fh?.close().catch(() => {}))
  }
}
