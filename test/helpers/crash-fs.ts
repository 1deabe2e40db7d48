/**
 * An in-memory disk that behaves like a real one where it matters for durability, for unit tests of the journal,
 * the job lock and the atomic writer:
 *  - file contents become durable only at `sync`/`datasync`; names (created, renamed, removed files) only at
 *    `fsyncDir` of their folder. `reboot()` after a crash keeps exactly what was durable, as a power cut would;
 *  - `failAt(n, kind)` makes the n-th mutating operation crash the process ('crash': every later call throws
 *    too, until `reboot()`), fail with ENOSPC, or write only half its bytes and then fill the disk ('short');
 *  - `capacity` (bytes) is a small tmpfs: writes past it are short, then ENOSPC.
 * `ops` counts mutating operations, so a test can run once to count the write points and then crash at each.
 */
import { posix } from 'node:path'
import type { DurableFs, DurableHandle, OpenFlags } from '../../electron/core/fsutil'

interface Inode {
  data: Uint8Array
  durable: Uint8Array
  mtimeMs: number
}

export type FaultKind = 'crash' | 'enospc' | 'short' | 'eio'

export class CrashError extends Error {
  constructor(op: string) {
    super(`simulated crash at ${op}`)
    this.name = 'CrashError'
  }
}

function errno(code: string, message: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: ${message}`)
  e.code = code
  return e
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])
const startsWith = (a: Uint8Array, prefix: Uint8Array): boolean => a.length >= prefix.length && prefix.every((x, i) => x === a[i])

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

export class CrashFs implements DurableFs {
  /** The running process's view. */
  private names = new Map<string, Inode>()
  /** What a crash leaves: name → inode. */
  private durableNames = new Map<string, Inode>()
  private dirs = new Set<string>(['/'])
  private plan: { at: number; kind: FaultKind } | null = null
  private clockMs = 1_700_000_000_000
  /** Mutating operations so far. */
  ops = 0
  /** The operations in order ("write /data/x", "datasync /data/x" …), for failure messages. */
  readonly opLog: string[] = []
  crashed = false
  /** Total bytes the disk holds (Infinity: no limit). */
  capacity = Number.POSITIVE_INFINITY

  /** The n-th mutating operation from now (1-based) fails with `kind`. */
  failAt(n: number, kind: FaultKind): void {
    this.plan = { at: this.ops + n, kind }
  }

  /**
   * After a crash: names are what was durable. A file's unsynced changes either vanish ('lost') or half of them
   * reached the disk ('torn', the default and the worse case: a torn append, a half-rewritten file).
   */
  reboot(mode: 'torn' | 'lost' = 'torn'): void {
    this.names = new Map(this.durableNames)
    for (const inode of new Set(this.names.values())) {
      if (mode === 'lost' || sameBytes(inode.data, inode.durable)) inode.data = inode.durable.slice()
      else if (startsWith(inode.data, inode.durable)) inode.data = inode.data.slice(0, inode.durable.length + Math.floor((inode.data.length - inode.durable.length) / 2))
      else inode.data = inode.data.slice(0, Math.floor(inode.data.length / 2))
      inode.durable = inode.data.slice()
    }
    this.crashed = false
    this.plan = null
  }

  /** Test access: what a crash now would leave of a file in 'lost' mode (its durable bytes) as text, or null. */
  durableText(path: string): string | null {
    const i = this.durableNames.get(this.norm(path))
    return i ? new TextDecoder().decode(i.durable) : null
  }

  /** Bytes in use (the process's view). */
  used(): number {
    let n = 0
    for (const inode of new Set(this.names.values())) n += inode.data.length
    return n
  }

  /** Test access: a file's bytes as text (the process's view), or null. */
  text(path: string): string | null {
    const i = this.names.get(path)
    return i ? new TextDecoder().decode(i.data) : null
  }

  /** Test access: replace a file's content durably (damage it "on disk"). */
  setText(path: string, text: string): void {
    const data = new TextEncoder().encode(text)
    const inode: Inode = this.names.get(path) ?? { data, durable: data, mtimeMs: this.clockMs }
    inode.data = data
    inode.durable = data.slice()
    this.names.set(path, inode)
    this.durableNames.set(path, inode)
  }

  /** Counts a mutating operation and applies the planned fault, if it is this one. Returns the fault to apply. */
  private step(op: string): FaultKind | null {
    if (this.crashed) throw new CrashError(`${op} (after crash)`)
    this.ops++
    this.opLog.push(op)
    this.clockMs += 1
    if (!this.plan || this.plan.at !== this.ops) return null
    const kind = this.plan.kind
    this.plan = null
    if (kind === 'crash') {
      this.crashed = true
      throw new CrashError(op)
    }
    return kind
  }

  private norm(p: string): string {
    return posix.normalize(p)
  }

  private inode(path: string): Inode {
    const i = this.names.get(this.norm(path))
    if (!i) throw errno('ENOENT', `no such file or directory, '${path}'`)
    return i
  }

  async open(path: string, flags: OpenFlags, _mode?: number): Promise<DurableHandle> {
    const p = this.norm(path)
    if (!this.dirs.has(posix.dirname(p))) throw errno('ENOENT', `no such file or directory, open '${path}'`)
    let inode = this.names.get(p)
    if (flags === 'r') {
      if (this.crashed) throw new CrashError(`open ${p} (after crash)`)
      if (!inode) throw errno('ENOENT', `no such file or directory, open '${path}'`)
    } else {
      if (flags === 'wx' && inode) {
        if (this.crashed) throw new CrashError(`open ${p} (after crash)`)
        throw errno('EEXIST', `file already exists, open '${path}'`)
      }
      const fault = this.step(`open(${flags}) ${p}`)
      if (fault === 'eio') throw errno('EIO', `i/o error, open '${path}'`)
      if (!inode) {
        inode = { data: new Uint8Array(0), durable: new Uint8Array(0), mtimeMs: this.clockMs }
        this.names.set(p, inode)
      } else if (flags === 'w') inode.data = new Uint8Array(0)
    }
    const node = inode
    let pos = flags === 'a' ? node.data.length : 0
    return {
      write: async (data, offset, length) => {
        const fault = this.step(`write ${p}`)
        let n = length
        if (fault === 'enospc' || fault === 'eio') throw errno(fault === 'enospc' ? 'ENOSPC' : 'EIO', `write '${p}'`)
        if (fault === 'short') {
          n = Math.floor(length / 2)
          this.capacity = this.used() + n
        }
        const room = this.capacity - this.used()
        if (room <= 0) throw errno('ENOSPC', `no space left on device, write '${p}'`)
        n = Math.min(n, room)
        const chunk = data.subarray(offset, offset + n)
        if (flags === 'a') pos = node.data.length
        const before = node.data.subarray(0, Math.min(pos, node.data.length))
        const after = node.data.subarray(Math.min(node.data.length, pos + n))
        node.data = concat(concat(before, chunk), after)
        pos += n
        node.mtimeMs = this.clockMs
        return { bytesWritten: n }
      },
      datasync: async () => {
        const fault = this.step(`datasync ${p}`)
        if (fault) throw errno(fault === 'enospc' || fault === 'short' ? 'ENOSPC' : 'EIO', `fdatasync '${p}'`)
        node.durable = node.data.slice()
      },
      sync: async () => {
        const fault = this.step(`sync ${p}`)
        if (fault) throw errno(fault === 'enospc' || fault === 'short' ? 'ENOSPC' : 'EIO', `fsync '${p}'`)
        node.durable = node.data.slice()
      },
      truncate: async (length) => {
        const fault = this.step(`truncate ${p}`)
        if (fault) throw errno('EIO', `ftruncate '${p}'`)
        node.data = node.data.slice(0, length)
        pos = Math.min(pos, length)
      },
      stat: async () => ({ size: node.data.length, mtimeMs: node.mtimeMs }),
      close: async () => {
        // closing makes nothing durable by itself
      },
    }
  }

  async readFile(path: string): Promise<Uint8Array> {
    if (this.crashed) throw new CrashError(`readFile ${path} (after crash)`)
    return this.inode(path).data.slice()
  }

  async rename(from: string, to: string): Promise<void> {
    const a = this.norm(from)
    const b = this.norm(to)
    const inode = this.inode(a)
    const fault = this.step(`rename ${a} → ${b}`)
    if (fault) throw errno('EIO', `rename '${a}'`)
    this.names.set(b, inode)
    this.names.delete(a)
  }

  async rm(path: string): Promise<void> {
    const p = this.norm(path)
    if (!this.names.has(p)) {
      if (this.crashed) throw new CrashError(`rm ${p} (after crash)`)
      return
    }
    const fault = this.step(`rm ${p}`)
    if (fault) throw errno('EIO', `unlink '${p}'`)
    this.names.delete(p)
  }

  async mkdir(path: string): Promise<void> {
    if (this.crashed) throw new CrashError(`mkdir ${path} (after crash)`)
    let p = this.norm(path)
    while (p !== '/' && !this.dirs.has(p)) {
      this.dirs.add(p)
      p = posix.dirname(p)
    }
  }

  async readdir(path: string): Promise<string[]> {
    if (this.crashed) throw new CrashError(`readdir ${path} (after crash)`)
    const p = this.norm(path)
    if (!this.dirs.has(p)) throw errno('ENOENT', `no such file or directory, scandir '${path}'`)
    const out = new Set<string>()
    const prefix = p === '/' ? '/' : `${p}/`
    for (const name of [...this.names.keys(), ...this.dirs]) {
      if (name.startsWith(prefix) && name !== p) {
        const rest = name.slice(prefix.length)
        if (rest && !rest.includes('/')) out.add(rest)
      }
    }
    return [...out].sort()
  }

  async rmTree(path: string): Promise<void> {
    const p = this.norm(path)
    const fault = this.step(`rmTree ${p}`)
    if (fault) throw errno('EIO', `rm '${p}'`)
    for (const name of [...this.names.keys()]) if (name.startsWith(`${p}/`)) this.names.delete(name)
    for (const name of [...this.durableNames.keys()]) if (name.startsWith(`${p}/`)) this.durableNames.delete(name)
    for (const d of [...this.dirs]) if (d === p || d.startsWith(`${p}/`)) this.dirs.delete(d)
  }

  async stat(path: string): Promise<{ size: number; mtimeMs: number }> {
    if (this.crashed) throw new CrashError(`stat ${path} (after crash)`)
    const i = this.inode(path)
    return { size: i.data.length, mtimeMs: i.mtimeMs }
  }

  async fsyncDir(dir: string): Promise<void> {
    const d = this.norm(dir)
    const fault = this.step(`fsyncDir ${d}`)
    if (fault) throw errno('EIO', `fsync '${d}'`)
    for (const name of [...this.durableNames.keys()]) if (posix.dirname(name) === d && !this.names.has(name)) this.durableNames.delete(name)
    for (const [name, inode] of this.names) if (posix.dirname(name) === d) this.durableNames.set(name, inode)
  }
}
