import { existsSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ManualClock } from '../../../electron/core/clock'
import { describe, expect, it } from 'vitest'
import { canTransition, TRANSITIONS, transition, actionsFor } from '../../../electron/core/sync/machine'
import { isVerdict, JobRunner } from '../../../electron/core/sync/runner'
import { JobLock } from '../../../electron/core/sync/lock'
import { ERROR_CODES } from '../../../electron/shared/result'
import { emptyCounts, isTerminal, JOB_STATUSES } from '../../../electron/shared/jobs'
import type { JobEvent, JobStatus } from '../../../electron/shared/jobs'
import { row, rows } from './rows'
import { probe, settle, T0, tempWorlds } from './world'

const w = tempWorlds()
const statuses = (events: JobEvent[]): string[] => events.filter((e) => e.type === 'status' || e.type === 'paused' || e.type === 'resumed' || e.type === 'started' || isTerminal(e)).map((e) => (e.type === 'status' ? e.status : e.type))

describe('job state machine', () => {
  it('allows exactly the transitions of its table, and refuses the rest', () => {
    for (const from of JOB_STATUSES) {
      for (const to of JOB_STATUSES) {
        if (from === to) continue
        if (TRANSITIONS[from].includes(to)) expect(transition(from, to)).toBe(to)
        else expect(() => transition(from, to), `${from} → ${to}`).toThrow(/cannot go from/)
      }
    }
    // a few that must never happen
    for (const [from, to] of [['finished', 'paused'], ['cancelled', 'finished'], ['draft', 'paused'], ['cancelling', 'running'], ['paused', 'finished'], ['failed', 'paused']] as [JobStatus, JobStatus][]) {
      expect(canTransition(from, to), `${from} → ${to}`).toBe(false)
    }
  })

  it('offers commands by status: a cancelled job with unsent rows can send them; only portal failures can be retried', () => {
    const c = { ...emptyCounts(), planned: 150, created: 10 }
    expect(actionsFor('cancelled', c, 0)).toEqual(['send-unsent', 'remove'])
    expect(actionsFor('cancelled', { ...c, planned: 0 }, 2)).toEqual(['retry-failed', 'remove'])
    expect(actionsFor('running', c, 0)).toEqual(['pause', 'cancel'])
    expect(actionsFor('waiting-for-portal', c, 0)).toEqual(['pause', 'cancel'])
    expect(actionsFor('pausing', c, 0)).toEqual(['cancel'])
    expect(actionsFor('paused', c, 1)).toEqual(['resume', 'cancel', 'retry-failed'])
    expect(actionsFor('failed', c, 0)).toEqual(['resume', 'remove'])
    expect(actionsFor('cancelling', c, 0)).toEqual([])
  })

  it('only a real verdict stops a job; everything the network does makes it wait', () => {
    expect(ERROR_CODES.filter((c) => !isVerdict(c))).toEqual(['RATE_LIMITED', 'OPERATION_LIMITED', 'NETWORK', 'OUTCOME_UNKNOWN'])
  })
})

describe('job runner', () => {
  it('pause is acknowledged at once with the chats in flight, takes effect when they return; resume finishes; seq never goes back', async () => {
    const x = await w({ concurrency: 1 })
    const job = await x.make(rows(200))
    x.portal.holdCreates = true
    const { r, events, next } = x.runner(job.id, { engine: { sizing: { maxBatch: 40 } } })
    await r.start()
    await x.portal.untilCreating(1)
    const paused = next('paused')
    const s = await r.pause()
    expect(s.status).toBe('pausing')
    expect(s.detail).toEqual({ kind: 'in-flight', chats: 40 })
    expect(events.find((e) => e.type === 'status')).toMatchObject({ type: 'status', status: 'pausing', detail: { kind: 'in-flight', chats: 40 } })
    expect(x.portal.chats).toHaveLength(0) // acknowledged before the batch returned
    x.portal.releaseCreates()
    await paused
    const summary = await r.summary()
    expect(summary).toMatchObject({ status: 'paused', actions: ['resume', 'cancel'] })
    expect(summary.progress.counts.created).toBe(40) // the batch in flight was journaled, nothing more was sent
    await x.clock.advance(3_600_000)
    await settle()
    expect(x.portal.chats).toHaveLength(40)
    await r.resume()
    const end = await r.done()
    expect(end?.type).toBe('finished')
    expect(x.portal.chats).toHaveLength(200)
    expect(statuses(events)).toEqual(['started', 'pausing', 'paused', 'resumed', 'finished'])
    const seqs = events.map((e) => e.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(new Set(seqs).size).toBe(seqs.length)
  })

  it('every event that changes the status carries the commands of the new status (a window never shows stale buttons)', async () => {
    const x = await w()
    const job = await x.make(rows(120))
    x.portal.holdCreates = true
    const { r, events, next } = x.runner(job.id, { engine: { sizing: { maxBatch: 40 } } })
    await r.start()
    await x.portal.untilCreating(1)
    const paused = next('paused')
    await r.pause()
    x.portal.releaseCreates()
    await paused
    x.portal.holdCreates = true
    await r.resume()
    await x.portal.untilCreating(1)
    await r.cancel()
    x.portal.releaseCreates()
    expect((await r.done())?.type).toBe('cancelled')
    const changes = events.filter((e) => e.type !== 'progress' && e.type !== 'rows')
    expect(changes.map((e) => [e.type === 'status' ? e.status : e.type, 'actions' in e ? e.actions : 'none'])).toEqual([
      ['started', ['pause', 'cancel']],
      ['pausing', ['cancel']],
      ['paused', ['resume', 'cancel']],
      ['resumed', ['pause', 'cancel']],
      ['cancelling', []],
      ['cancelled', ['send-unsent', 'remove']],
    ])
    // What the events said last is what the job says now.
    expect((await r.summary()).actions).toEqual(['send-unsent', 'remove'])
  })

  it('cancel is acknowledged at once; a cancelled job can send its unsent rows again later, from the job', async () => {
    const x = await w({ concurrency: 1 })
    const job = await x.make(rows(150))
    x.portal.holdCreates = true
    const { r, events } = x.runner(job.id, { engine: { sizing: { maxBatch: 40 } } })
    await r.start()
    await x.portal.untilCreating(1)
    expect((await r.cancel()).status).toBe('cancelling')
    expect(events.find((e) => e.type === 'status')).toMatchObject({ type: 'status', status: 'cancelling', detail: { kind: 'in-flight', chats: 40 } })
    expect(x.portal.chats).toHaveLength(0)
    x.portal.releaseCreates()
    const end = await r.done()
    expect(end?.type).toBe('cancelled')
    const s = await r.summary()
    expect(s.progress.counts).toMatchObject({ created: 40, planned: 110 })
    expect(s.actions).toEqual(['send-unsent', 'remove'])
    await r.sendUnsent()
    expect((await r.done())?.type).toBe('finished')
    expect(x.portal.chats).toHaveLength(150)
    expect(x.portal.duplicates()).toEqual([])
    expect(events.filter(isTerminal).map((e) => e.type)).toEqual(['cancelled', 'finished'])
    await expect(r.sendUnsent()).rejects.toMatchObject({ appError: { code: 'VALIDATION' } })
  })

  it('an unreachable portal is never terminal: it waits with backoff and a new client each attempt, then resolves and goes on', async () => {
    const x = await w()
    const job = await x.make(rows(120))
    let attempts = 0
    const clientFor = async () => {
      attempts++
      return x.renewClient()
    }
    const { r, events } = x.runner(job.id, { clientFor, engine: { sizing: { maxBatch: 20 } } })
    // The portal goes down while the second batch is being created (its answer is lost) and stays down 10 minutes.
    x.portal.onCreate = () => {
      if (x.portal.chats.length === 29) x.portal.downUntil = x.clock.now() + 10 * 60_000
    }
    await r.start()
    const end = await r.done()
    expect(end?.type).toBe('finished')
    const waits = events.filter((e) => e.type === 'status' && e.status === 'waiting-for-portal')
    expect(waits.length).toBeGreaterThan(1)
    const details = waits.map((e) => (e.type === 'status' && e.detail?.kind === 'portal-unreachable' ? e.detail : null))
    expect(details.every((d) => d && d.error.code === 'NETWORK')).toBe(true)
    expect(Math.max(...details.map((d) => d?.attempt ?? 0))).toBeGreaterThanOrEqual(3)
    expect(details.some((d) => d?.nextTryAt !== null)).toBe(true)
    expect(attempts).toBeGreaterThan(2) // the client was resolved again for every attempt
    expect(statuses(events)).toContain('resolving')
    expect(x.portal.chats).toHaveLength(120)
    expect(x.portal.duplicates()).toEqual([])
    expect((await r.summary()).progress.counts).toMatchObject({ created: 120, sending: 0, planned: 0 })
  })

  it('a real verdict fails the job with the reason; resumed after the fix it finishes', async () => {
    const x = await w()
    const job = await x.make(rows(5))
    x.portal.faults = [{ status: 401, error: 'NO_AUTH_FOUND', description: 'Wrong authorization data' }]
    const { r, events } = x.runner(job.id)
    await r.start()
    const end = await r.done()
    expect(end?.type).toBe('failed')
    if (end?.type === 'failed') expect(end.error).toMatchObject({ code: 'AUTH_REJECTED', portalError: 'NO_AUTH_FOUND' })
    const s = await r.summary()
    expect(s).toMatchObject({ status: 'failed', actions: ['resume', 'remove'], error: { code: 'AUTH_REJECTED' } })
    expect(s.progress.counts.planned).toBe(5)
    await r.resume()
    expect((await r.done())?.type).toBe('finished')
    expect(events.filter(isTerminal)).toHaveLength(2)
  })

  it('the reason of a failed or waiting job is redacted before it reaches the journal, the events and the summary', async () => {
    const TOKEN = 'canaryRunnerToken7z'
    const x = await w()
    const job = await x.make(rows(5))
    x.portal.faults = [{ status: 401, error: 'NO_AUTH_FOUND', description: `Wrong authorization data, auth=${TOKEN}` }]
    const { r, events } = x.runner(job.id)
    await r.start()
    const end = await r.done()
    expect(end).toMatchObject({ type: 'failed', error: { portalError: 'NO_AUTH_FOUND' } })
    expect(JSON.stringify(events)).not.toContain(TOKEN)
    expect(JSON.stringify(await r.summary())).not.toContain(TOKEN)
    await expectNotOnDisk(join(x.dir, 'jobs', job.id), TOKEN)
  })

  it('so is the reason a job waits for the portal', async () => {
    const SECRET = 'canaryWaitSecret4k'
    const x = await w()
    const job = await x.make(rows(5))
    x.portal.downUntil = x.clock.now() + 5 * 60_000
    x.portal.downMessage = `ECONNREFUSED https://p.example/rest/1/${SECRET}/batch`
    const { r, events } = x.runner(job.id, { clientFor: async () => x.renewClient() })
    await r.start()
    expect((await r.done())?.type).toBe('finished')
    const waits = events.filter((e) => e.type === 'status' && e.detail?.kind === 'portal-unreachable')
    expect(waits.length).toBeGreaterThan(0)
    expect(JSON.stringify(events)).not.toContain(SECRET)
    await expectNotOnDisk(join(x.dir, 'jobs', job.id), SECRET)
  })

  async function expectNotOnDisk(dir: string, secret: string): Promise<void> {
    const files = await readdir(dir)
    expect(files).toContain('state.json')
    for (const f of files) expect(await readFile(join(dir, f), 'utf8'), f).not.toContain(secret)
  }

  it('retry-failed on a paused job with nothing to retry is refused and leaves the job paused and resumable (issue §6)', async () => {
    const x = await w()
    const job = await x.make(rows(120))
    x.portal.holdCreates = true
    const { r, next } = x.runner(job.id, { engine: { sizing: { maxBatch: 40 } } })
    await r.start()
    await x.portal.untilCreating(1)
    const paused = next('paused')
    await r.pause()
    x.portal.releaseCreates()
    await paused
    await expect(r.retryFailed()).rejects.toMatchObject({ appError: { code: 'VALIDATION' } })
    expect((await r.summary()).status).toBe('paused')
    await r.resume()
    expect((await r.done())?.type).toBe('finished')
    expect(x.portal.chats).toHaveLength(120)
  })

  it('retry-failed re-sends only the rows that failed at the portal, never rows that need checking', async () => {
    const x = await w()
    const job = await x.make([row(0), row(1, { TITLE: 'BAD' }), row(2, {}, { status: 'error' }), row(3)])
    const { r } = x.runner(job.id)
    await r.start()
    await r.done()
    const w1 = await x.store.openWriter(job.id)
    await w1.journal.append([{ k: 'row', key: 'k3', state: 'needs-checking', errorCode: 'OUTCOME_UNKNOWN', at: 1 }])
    await x.store.closeWriter(job.id)
    const before = x.portal.log.length
    await r.retryFailed()
    expect((await r.done())?.type).toBe('finished')
    const sent = x.portal.log.slice(before).map((l) => JSON.stringify(l.body)).join()
    expect(sent).toContain('TITLE=BAD')
    expect(sent).not.toContain('Chat%203')
    expect(sent).not.toContain('Chat%200')
  })

  it('one writer per job: a second runner (another process) is refused with a message naming the first', async () => {
    const x = await w()
    const job = await x.make(rows(60))
    x.portal.holdCreates = true
    const { r } = x.runner(job.id)
    await r.start()
    await x.portal.untilCreating(1)
    const other = new JobRunner(job.id, { store: x.store, clientFor: async () => x.client, program: 'app', clock: x.clock, lock: { ...x.lockOpts, pid: 999 } })
    await expect(other.start()).rejects.toMatchObject({ appError: { code: 'LOCKED', message: expect.stringMatching(/being sent by the b24chat command \(process 4242 on test-host/) } })
    const seen = await other.summary()
    expect(seen).toMatchObject({ lockedBy: { program: 'cli', pid: 4242, host: 'test-host' }, actions: [] })
    x.portal.releaseCreates()
    expect((await r.done())?.type).toBe('finished')
    expect(existsSync(join(x.store.dir(job.id), 'lock'))).toBe(false)
    expect(x.portal.chats).toHaveLength(60)
  })

  it('two Start clicks at once start one run (the second does not find the lock taken by the first)', async () => {
    const x = await w()
    const job = await x.make(rows(30))
    const { r, events } = x.runner(job.id)
    const [a, b] = await Promise.all([r.start(), r.start()])
    expect([a.status, b.status]).toEqual(['running', 'running'])
    expect((await r.done())?.type).toBe('finished')
    expect(events.filter((e) => e.type === 'started')).toHaveLength(1)
    expect(x.portal.chats).toHaveLength(30)
  })

  it('takes over a lock only when its holder is provably dead on this host', async () => {
    const x = await w()
    const job = await x.make(rows(3))
    const dir = x.store.dir(job.id)
    const held = await JobLock.acquire(dir, 'cli', { ...x.lockOpts, pid: 111 })
    await expect(JobLock.acquire(dir, 'app', { ...x.lockOpts, pid: 222 })).rejects.toMatchObject({ appError: { code: 'LOCKED' } })
    await expect(JobLock.acquire(dir, 'app', { ...x.lockOpts, pid: 222, probe: probe(new Set([111])), host: 'other-host' })).rejects.toMatchObject({ appError: { code: 'LOCKED' } })
    const taken = await JobLock.acquire(dir, 'app', { ...x.lockOpts, pid: 222, probe: probe(new Set([111])) })
    expect(taken.owner).toMatchObject({ pid: 222, program: 'app' })
    await held.release() // not its lock any more: nothing happens
    expect(await JobLock.holder(dir, x.lockOpts)).toMatchObject({ pid: 222 })
    await taken.release()
    expect(await JobLock.holder(dir, x.lockOpts)).toBeNull()
  })

  it('stop now (quit, Ctrl+C): rows in flight stay sending, the job rests paused, the lock is free; the next run resolves them', async () => {
    const x = await w({ concurrency: 1 })
    const job = await x.make(rows(100))
    x.portal.holdCreates = true
    const { r, events } = x.runner(job.id, { engine: { sizing: { maxBatch: 40 } } })
    await r.start()
    await x.portal.untilCreating(1)
    await r.stopNow()
    expect(events.filter(isTerminal)).toHaveLength(0)
    expect(events.at(-1)?.type).toBe('paused')
    const disk = await x.store.load(job.id)
    expect(disk.state.status).toBe('paused')
    expect(disk.counts().sending).toBe(40)
    expect(await JobLock.holder(x.store.dir(job.id), x.lockOpts)).toBeNull()
    x.portal.releaseCreates() // the portal did create them
    await settle()
    expect(x.portal.chats).toHaveLength(40)
    const again = x.runner(job.id)
    expect((await again.r.summary()).status).toBe('paused')
    await again.r.resume()
    expect((await again.r.done())?.type).toBe('finished')
    expect(x.portal.chats).toHaveLength(100)
    expect(x.portal.duplicates()).toEqual([])
    expect(again.events[0]!.seq).toBeGreaterThan(events.at(-1)!.seq)
  })

  it('after a run that did not end cleanly, nothing is looked up or sent before its last requests have settled', async () => {
    const clock = new ManualClock(T0, false)
    const x = await w({ clock })
    const job = await x.make(rows(10))
    x.portal.holdCreates = true
    /** Moves the clock (nothing moves it by itself here) until `done` holds, letting file I/O finish between steps. */
    const drive = async (done: () => boolean): Promise<void> => {
      for (let i = 0; i < 5000 && !done(); i++) {
        await clock.advance(50)
        await new Promise((r) => setTimeout(r, 1))
      }
    }
    const first = x.runner(job.id)
    await first.r.start()
    await drive(() => x.portal.creatingNow >= 1) // the 10 rows are on the wire
    await first.r.stopNow()
    // The journal then loses its tail cleanly (whole lines): the sending entries and the pause are gone, and
    // nothing looks damaged — only the status on disk says the run never ended.
    const log = join(x.store.dir(job.id), 'journal.jsonl')
    const lines = (await readFile(log, 'utf8')).split('\n')
    await writeFile(log, `${lines.slice(0, lines.findIndex((l) => l.includes('"state":"sending"'))).join('\n')}\n`)
    expect((await x.store.load(job.id)).counts().planned).toBe(10)
    const before = x.portal.log.length
    const lookups = () => x.portal.log.slice(before).filter((l) => JSON.stringify(l.body).includes('im.chat.get')).length
    const second = x.runner(job.id)
    await second.r.start()
    let ended = false
    void second.r.done().then(() => (ended = true))
    await settle(50)
    expect(lookups()).toBe(0) // waiting for the abandoned batch to settle
    x.portal.releaseCreates() // the portal finishes the abandoned batch meanwhile
    await drive(() => ended)
    expect(ended).toBe(true)
    expect(lookups()).toBeGreaterThan(0)
    expect(x.portal.chats).toHaveLength(10)
    expect(x.portal.duplicates()).toEqual([])
    const c = (await x.store.load(job.id)).counts()
    expect(c.created + c.skipped).toBe(10)
  })
})
