/** A sync world for unit tests: a manual clock, the fake portal behind a real client, a job store and runners. */
import { mkdtemp, rm } from 'node:fs/promises'
import { afterEach } from 'vitest'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock } from '../../../electron/core/clock'
import type { DurableFs } from '../../../electron/core/fsutil'
import { createPortalClient } from '../../../electron/core/portal/client'
import type { PortalClient } from '../../../electron/core/portal/client'
import { CreatedHistory } from '../../../electron/core/sync/history'
import type { ProcessProbe } from '../../../electron/core/sync/lock'
import { JobRunner } from '../../../electron/core/sync/runner'
import type { EngineSettings } from '../../../electron/core/sync/runner'
import { JobStore } from '../../../electron/core/sync/store'
import type { CreateJobInput, StoredJob } from '../../../electron/core/sync/store'
import type { JobEvent } from '../../../electron/shared/jobs'
import type { SheetRow } from '../../../electron/shared/sheet'
import { FakePortal } from './fake-portal'
import { rows } from './rows'

export const T0 = 1_700_000_000_000

/** Every process in these tests is this one and alive; a pid listed in `dead` is not. */
export function probe(dead: Set<number> = new Set()): ProcessProbe {
  return { alive: (pid) => !dead.has(pid), startTime: () => 'boot-1' }
}

export interface WorldOptions {
  dedupe?: boolean
  limitSec?: number
  dir?: string
  fs?: DurableFs
  clock?: ManualClock
  portal?: FakePortal
  engine?: EngineSettings
  history?: boolean
  pid?: number
  /** Processes the lock probe sees as dead (a crashed earlier run). */
  deadPids?: number[]
  /** The client's concurrency setting (default: the app's default). */
  concurrency?: number
}

export async function world(opts: WorldOptions = {}) {
  const clock = opts.clock ?? new ManualClock(T0, true)
  const portal = opts.portal ?? new FakePortal(clock)
  if (opts.limitSec) portal.limitSec = opts.limitSec
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'b24-sync-')))
  const newClient = (): PortalClient =>
    createPortalClient({ kind: 'webhook', url: 'https://portal.test/rest/1/secretsecret/' }, { clock, transport: portal.transport, limits: opts.limitSec ? { operatingLimitSec: opts.limitSec } : {}, ...(opts.concurrency ? { concurrency: opts.concurrency } : {}) })
  let client = newClient()
  const store = new JobStore(dir, { clock, ...(opts.fs ? { fs: opts.fs } : {}) })
  const history = opts.history === false ? undefined : new CreatedHistory(dir, opts.fs)
  const make = (sheet: SheetRow[] = rows(120), extra: Partial<CreateJobInput> = {}): Promise<StoredJob> =>
    store.createDraft({ rows: sheet, profile: 'Main', source: 'chats.csv', dedupeTagging: opts.dedupe ?? true, portalKey: 'portal.test', ...extra })
  const lockOpts = { ...(opts.fs ? { fs: opts.fs } : {}), probe: probe(new Set(opts.deadPids ?? [])), pid: opts.pid ?? 4242, host: 'test-host', now: () => clock.now() }
  const runner = (jobId: string, extra: { clientFor?: () => Promise<PortalClient>; engine?: EngineSettings } = {}) => {
    const r = new JobRunner(jobId, {
      store,
      clientFor: extra.clientFor ?? (async () => client),
      ...(history ? { history } : {}),
      program: 'cli',
      clock,
      engine: { settleMs: 5_000, ...opts.engine, ...extra.engine },
      lock: lockOpts,
    })
    const events: JobEvent[] = []
    const waiters: { pred: (e: JobEvent) => boolean; resolve: () => void }[] = []
    r.onEvent((e) => {
      events.push(e)
      for (const w of waiters.filter((x) => x.pred(e))) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
    })
    /** Resolves at the next event of this type (an event, not a number of turns: file I/O takes what it takes). */
    const next = (type: JobEvent['type']): Promise<void> => new Promise((resolve) => waiters.push({ pred: (e) => e.type === type, resolve }))
    return { r, events, next }
  }
  /** Runs a job to its end; returns the terminal event and the events. */
  const sync = async (jobId: string, extra: Parameters<typeof runner>[1] = {}) => {
    const { r, events } = runner(jobId, extra)
    await r.start()
    const end = await r.done()
    return { end, events, r }
  }
  return {
    clock, portal, dir, store, history, make, runner, sync, lockOpts,
    get client() {
      return client
    },
    /** A fresh client (as after the sandbox moved to a new port). */
    renewClient() {
      client.close()
      client = newClient()
      return client
    },
  }
}

/** Lets pending promise callbacks run (a few macrotask turns). */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r))
}

/** `world` whose temp folders are removed after each test of the calling file. */
export function tempWorlds(): (opts?: WorldOptions) => ReturnType<typeof world> {
  const dirs: string[] = []
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
  })
  return async (opts = {}) => {
    const x = await world(opts)
    dirs.push(x.dir)
    return x
  }
}
