/**
 * (settleMs, the time after which nothing sent can still be running on the portal, is 65 s on a real portal; here
 * 2 s, well above the slow sandbox's longest batch.)
 *
 * `b24chat sync` never makes a chat twice (issue 10 §7, CLI): the same sheet from two data folders, two syncs of
 * one job at once, a full disk (a real small tmpfs when this machine lets us mount one, else the injected disk),
 * a torn or truncated journal, 120 rows with their own entity pairs, and Ctrl+C (once: stop now; twice: exit).
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, statfsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startSandbox } from '../../../electron/sandbox'
import type { Sandbox } from '../../../electron/sandbox'
import { runSync } from '../../../electron/cli/commands/sync'
import type { CliIO } from '../../../electron/cli/types'
import { JobStore } from '../../../electron/core/sync/store'
import { CrashFs } from '../../helpers/crash-fs'
import { nodeFs } from '../../../electron/core/fsutil'
import type { DurableFs } from '../../../electron/core/fsutil'

let sb: Sandbox
let dir: string

interface Run {
  io: CliIO
  out: () => string
  /** Resolves when the output matches. */
  when: (re: RegExp) => Promise<void>
  interrupt: () => void
}

function io(): Run {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let text = ''
  const waiters: { re: RegExp; done: () => void }[] = []
  const onData = (d: Buffer): void => {
    text += d.toString()
    for (const w of [...waiters]) if (w.re.test(text)) {
      waiters.splice(waiters.indexOf(w), 1)
      w.done()
    }
  }
  stdout.on('data', onData)
  stderr.on('data', onData)
  let interrupt: () => void = () => {}
  const interrupted = new Promise<NodeJS.Signals>((r) => (interrupt = () => r('SIGINT')))
  return {
    io: { stdout, stderr, stdin: new PassThrough(), env: {}, interrupted },
    out: () => text,
    when: (re) => (re.test(text) ? Promise.resolve() : new Promise((done) => waiters.push({ re, done }))),
    interrupt,
  }
}

function duplicates(box: Sandbox = sb): string[] {
  const seen = new Map<string, number>()
  for (const c of box.chats()) seen.set(`${c.entityType}|${c.entityId}`, (seen.get(`${c.entityType}|${c.entityId}`) ?? 0) + 1)
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k)
}

async function sheet(name: string, n: number, row: (i: number) => string = (i) => `Team ${i},"2, 3"`, header = 'TITLE,USERS'): Promise<string> {
  const file = join(dir, name)
  const lines = [header]
  for (let i = 0; i < n; i++) lines.push(row(i))
  await writeFile(file, `${lines.join('\n')}\n`)
  return file
}

const args = (file: string, data: string, extra: string[] = [], box: Sandbox = sb): string[] => [file, '--webhook', box.webhookUrl, '--ca', join(dir, box === sb ? 'ca.pem' : 'slow-ca.pem'), '--data', data, ...extra]

/** A slower sandbox (for runs that must still be sending when something happens to them). */
let slow: Sandbox

beforeAll(async () => {
  sb = await startSandbox({ latencyMs: 4, seed: 5, burst: 200, rps: 50 })
  dir = await mkdtemp(join(tmpdir(), 'b24-cli-once-'))
  await writeFile(join(dir, 'ca.pem'), sb.caPem)
  slow = await startSandbox({ latencyMs: 30, seed: 6, burst: 200, rps: 50 })
  await writeFile(join(dir, 'slow-ca.pem'), slow.caPem)
})
afterAll(async () => {
  await slow.close()
  await sb.close()
  await rm(dir, { recursive: true, force: true })
})
beforeEach(() => {
  sb.reset()
  slow.reset()
})

describe('b24chat sync — never twice', () => {
  it('the same sheet synced with two different --data folders creates its chats once', async () => {
    const file = await sheet('twice.csv', 30)
    const a = io()
    expect(await runSync(args(file, join(dir, 'data-a')), a.io, { lineEverySec: 0 }), a.out()).toBe(0)
    expect(sb.chats()).toHaveLength(30)
    const b = io()
    expect(await runSync(args(file, join(dir, 'data-b')), b.io, { lineEverySec: 0 }), b.out()).toBe(0)
    expect(b.out()).toMatch(/Done: 0 created, 30 skipped/)
    expect(sb.chats()).toHaveLength(30)
    // --dry-run says so before anything is sent
    const c = io()
    expect(await runSync(args(file, join(dir, 'data-c'), ['--dry-run']), c.io)).toBe(0)
    expect(c.out()).toMatch(/30 created before/)
  })

  it('two syncs of one job at once: the second is refused and names the first; each chat is made once', async () => {
    const file = await sheet('concurrent.csv', 120)
    const data = join(dir, 'data-concurrent')
    const a = io()
    const first = runSync(args(file, data, [], slow), a.io, { lineEverySec: 0, engine: { sizing: { maxBatch: 10 } } })
    await a.when(/\[[#-]+\]/) // the first is sending: it holds the job's lock
    const b = io()
    expect(await runSync(args(file, data, [], slow), b.io)).toBe(1)
    expect(b.out()).toMatch(/This job is being sent by the b24chat command \(process \d+ on .+, since \d\d:\d\d:\d\d\)/)
    expect(await first, a.out()).toBe(0)
    expect(slow.chats()).toHaveLength(120)
    expect(duplicates(slow)).toEqual([])
  })

  it('120 rows with their own ENTITY pairs sync (every lookup chunked to 50)', async () => {
    const file = await sheet('own-pairs.csv', 120, (i) => `Deal ${i},2,CRM,DEAL|${i}`, 'TITLE,USERS,ENTITY_TYPE,ENTITY_ID')
    const r = io()
    expect(await runSync(args(file, join(dir, 'data-pairs')), r.io), r.out()).toBe(0)
    expect(sb.chats()).toHaveLength(120)
    expect(sb.chats().every((c) => c.entityType === 'CRM')).toBe(true)
    expect(duplicates()).toEqual([])
  })

  it('a torn journal tail, or a journal cut to 40 %, resumes with 0 duplicates', async () => {
    for (const cut of ['torn', 'truncated'] as const) {
      slow.reset()
      const file = await sheet(`cut-${cut}.csv`, 200, (i) => `Cut ${cut} ${i},2`)
      const data = join(dir, `data-${cut}`)
      const a = io()
      const run = runSync(args(file, data, [], slow), a.io, { lineEverySec: 0, engine: { sizing: { maxBatch: 10 } } })
      await a.when(/\[[#-]+\] [1-9]\d+\//)
      a.interrupt()
      expect(await run).toBe(3)
      const jobDir = join(data, 'jobs', (await new JobStore(data).all())[0]!.id)
      const log = join(jobDir, 'journal.jsonl')
      const size = (await stat(log)).size
      expect(size).toBeGreaterThan(200)
      if (cut === 'torn') {
        const text = await readFile(log, 'utf8')
        const lastLine = text.slice(0, -1).lastIndexOf('\n')
        await truncate(log, lastLine + Math.floor((text.length - lastLine) / 2))
      } else await truncate(log, Math.floor(size * 0.4))
      const b = io()
      expect(await runSync(args(file, data, [], slow), b.io, { engine: { settleMs: 2_000 } }), b.out()).toBe(0)
      expect(slow.chats().filter((c) => c.title.startsWith(`Cut ${cut} `))).toHaveLength(200)
      expect(duplicates(slow), cut).toEqual([])
    }
  }, 60_000)

  it('a full disk stops the sync with a plain message; after freeing space it resumes with 0 duplicates', async () => {
    const file = await sheet('full.csv', 400, (i) => `Full disk ${i},"2, 3"`)
    const mountPoint = join(dir, 'tmpfs')
    await mkdir(mountPoint, { recursive: true })
    const mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]).status === 0
    try {
      let fs: DurableFs = nodeFs
      const data = join(mountPoint, 'data')
      let free: () => Promise<void>
      if (mounted) {
        // The job is made first (--dry-run sends nothing); then the disk is filled, leaving room for a few batches.
        expect(await runSync(args(file, data, ['--dry-run']), io().io)).toBe(0)
        const st = statfsSync(mountPoint)
        const room = st.bavail * st.bsize - 48 * 1024
        await writeFile(join(mountPoint, 'filler'), Buffer.alloc(room))
        free = () => rm(join(mountPoint, 'filler'))
      } else {
        const crash = new CrashFs()
        await crash.mkdir(data)
        fs = crash
        expect(await runSync(args(file, data, ['--dry-run']), io().io, { fs })).toBe(0)
        crash.capacity = crash.used() + 48 * 1024
        free = async () => {
          crash.capacity = Number.POSITIVE_INFINITY
        }
      }
      const a = io()
      expect(await runSync(args(file, data), a.io, { fs, engine: { sizing: { maxBatch: 20 } } }), a.out()).toBe(1)
      expect(a.out()).toMatch(/Sync stopped: The disk is full: free space and press Resume; nothing was sent twice\./)
      const before = sb.chats().length
      expect(before).toBeGreaterThan(0)
      expect(before).toBeLessThan(400)
      await free()
      const b = io()
      expect(await runSync(args(file, data), b.io, { fs, engine: { settleMs: 2_000 } }), b.out()).toBe(0)
      expect(sb.chats()).toHaveLength(400)
      expect(duplicates()).toEqual([])
      if (!mounted) console.warn('tmpfs could not be mounted here: the full disk was simulated with the injected file system')
    } finally {
      if (mounted) spawnSync('umount', [mountPoint])
    }
  }, 60_000)

  it('Ctrl+C stops at once with the journal consistent; a second Ctrl+C exits; the next run resolves and finishes', async () => {
    const file = await sheet('ctrl-c.csv', 150, (i) => `Signal ${i},2`)
    const data = join(dir, 'data-signal')
    const cli = resolve('electron/cli/main.ts')
    const child = (): { done: Promise<{ code: number | null; out: string }>; signal: (s: NodeJS.Signals) => void; until: (re: RegExp) => Promise<void> } => {
      // One batch in flight at a time, so the run is still sending when the signal comes (this is about signals, not speed).
      const p = spawn(process.execPath, ['--import', 'tsx', cli, 'sync', ...args(file, data, ['--concurrency', '1'], slow)], { cwd: resolve('.'), stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      const waiters: { re: RegExp; done: () => void }[] = []
      const on = (d: Buffer): void => {
        out += d.toString()
        for (const w of [...waiters]) if (w.re.test(out)) {
          waiters.splice(waiters.indexOf(w), 1)
          w.done()
        }
      }
      p.stdout.on('data', on)
      p.stderr.on('data', on)
      const guard = setTimeout(() => p.kill('SIGKILL'), 60_000)
      return {
        done: new Promise((r) => p.on('exit', (code) => {
          clearTimeout(guard)
          r({ code, out })
        })),
        signal: (s) => p.kill(s),
        until: (re) => (re.test(out) ? Promise.resolve() : new Promise((done) => waiters.push({ re, done }))),
      }
    }
    const once = child()
    await once.until(/\[[#-]+\] [1-9]\d*\//)
    once.signal('SIGINT')
    const first = await once.done
    expect(first.code, first.out).toBe(3)
    expect(first.out).toMatch(/Stopping now/)
    expect(first.out).toMatch(/Paused: run the same command again to resume\./)
    const jobId = (await new JobStore(data).all())[0]!.id
    expect(existsSync(join(data, 'jobs', jobId, 'lock'))).toBe(false)

    const twice = child()
    await twice.until(/Resuming job/)
    await twice.until(/\[[#-]+\]/)
    twice.signal('SIGINT')
    await twice.until(/Stopping now/)
    twice.signal('SIGINT')
    const second = await twice.done
    expect([3, 130]).toContain(second.code)

    const last = io()
    expect(await runSync(args(file, data, [], slow), last.io, { engine: { settleMs: 2_000 } }), last.out()).toBe(0)
    expect(slow.chats()).toHaveLength(150)
    expect(duplicates(slow)).toEqual([])
  }, 120_000)
})
