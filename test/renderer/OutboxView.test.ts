import './helpers/resizeObserver'
import { afterEach, describe, expect, it } from 'vitest'
import OutboxView from '../../renderer/src/views/OutboxView.vue'
import { emptyCounts } from '../../electron/shared/jobs'
import type { JobProgress, JobRowLog } from '../../electron/shared/jobs'
import { allByTestId, bodyText, byTestId, click, mountView, settle } from './helpers/mount'
import type { Mounted } from './helpers/mount'
import { FakeApi, sandboxProfile, webhookProfile } from './helpers/fakeApi'

let m: Mounted | undefined
afterEach(() => {
  m?.wrapper.unmount()
  m = undefined
  document.body.innerHTML = ''
})

const progress = (created: number, failed = 0, extra: Partial<JobProgress> = {}): JobProgress => ({
  counts: { ...emptyCounts(), created, failed, planned: 10 - created - failed },
  total: 10,
  chatsPerSec: 2.5,
  etaSec: 125,
  pacing: { kind: 'sending' },
  ...extra,
})

describe('Outbox & jobs', () => {
  it('catches up with a snapshot on mount, then follows events; unsubscribes on unmount', async () => {
    const fake = new FakeApi()
    fake.addJob({ id: 'run', status: 'running', startedAt: 1, progress: progress(4) }, [{ rowKey: 'a', line: 2, state: 'created', chatId: 501, at: 1 }], 8)
    m = await mountView(OutboxView, { fake })
    expect(fake.callsTo('jobs.snapshot')[0]?.arg).toEqual({ jobId: 'run' })
    expect(fake.listeners.size).toBe(1)
    expect(byTestId('job-detail')?.dataset.status).toBe('running')
    expect(byTestId('job-progress')?.dataset.done).toBe('4')
    expect(byTestId('job-rate')?.textContent).toBe('2.5 chats/s')
    expect(byTestId('job-eta')?.textContent).toBe('2 min 05 s')
    expect(byTestId('job-log')?.textContent).toContain('chat 501')

    fake.emit({ type: 'progress', jobId: 'run', seq: 9, at: 2, progress: progress(7, 1, { pacing: { kind: 'operating', method: 'im.chat.add', untilMs: Date.now() + 60_000, usedSec: 470, limitSec: 480 } }) })
    fake.emit({ type: 'rows', jobId: 'run', seq: 10, at: 3, rows: [{ rowKey: 'b', line: 3, state: 'failed', errorCode: 'ACCESS_ERROR', errorMessage: 'No access to the portal', at: 3 }] })
    fake.emit({ type: 'progress', jobId: 'run', seq: 7, at: 1, progress: progress(1) })
    await settle()
    expect(byTestId('job-progress')?.dataset.done).toBe('8')
    expect(byTestId('job-count-failed')?.dataset.count).toBe('1')
    expect(byTestId('job-pacing')?.textContent).toMatch(/^Waiting for the operating budget until \d\d:\d\d:\d\d \(im\.chat\.add: 470 of 480 s used\)$/)
    expect(byTestId('job-log')?.textContent).toContain('ACCESS_ERROR No access to the portal')

    fake.emit({ type: 'finished', jobId: 'run', seq: 11, at: 4, progress: progress(9, 1) })
    await settle()
    expect(byTestId('job-detail')?.dataset.status).toBe('finished')
    expect(byTestId('outbox-history')?.textContent).toContain('chats.csv')
    expect((byTestId('job-retry') as HTMLButtonElement).disabled).toBe(false)

    m.wrapper.unmount()
    m = undefined
    expect(fake.listeners.size).toBe(0)
  })

  it('rows rejected by validation are "not sent": apart from portal failures, outside the progress, never retried', async () => {
    const fake = new FakeApi()
    const row = (line: number, state: JobRowLog['state'], errorCode?: string): JobRowLog => ({ rowKey: `k${line}`, line, state, ...(errorCode ? { errorCode, errorMessage: 'x' } : {}), at: 1 })
    const notSent = [row(2, 'failed', 'VALIDATION'), row(3, 'failed', 'VALIDATION'), row(4, 'failed', 'VALIDATION')]
    const counts = (created: number, failed: number, planned: number): JobProgress => ({ counts: { ...emptyCounts(), created, failed, planned }, total: 10, chatsPerSec: 0, etaSec: null, pacing: { kind: 'idle' } })
    // A draft that never ran: 3 of its 10 rows have errors; nothing is done yet.
    fake.addJob({ id: 'draft', status: 'draft', createdAt: 2, progress: counts(0, 3, 7) }, [...notSent, ...[5, 6, 7, 8, 9, 10, 11].map((l) => row(l, 'planned'))])
    // A finished run whose only failures are those rows.
    fake.addJob({ id: 'done', status: 'finished', createdAt: 1, startedAt: 1, progress: counts(7, 3, 0) }, [...notSent, ...[5, 6, 7, 8, 9, 10, 11].map((l) => row(l, 'created'))])
    m = await mountView(OutboxView, { fake })
    await click(document.querySelector('[data-testid=job-item][data-job-id=draft]'))
    expect(byTestId('job-progress')?.dataset.done).toBe('0')
    expect(byTestId('job-progress')?.dataset.total).toBe('7')
    expect(byTestId('job-progress')?.dataset.rows).toBe('10')
    expect(byTestId('job-done')?.textContent).toBe('0 / 7')
    expect(byTestId('job-count-not-sent')?.dataset.count).toBe('3')
    expect(byTestId('job-count-not-sent')?.textContent?.trim()).toBe('Not sent (errors in the sheet): 3')
    expect(byTestId('job-count-failed')?.dataset.count).toBe('0')
    expect(byTestId('job-retry')).toBeNull()
    expect(byTestId('job-log')?.querySelector('[data-line="2"] [data-status=not-sent]')?.textContent).toBe('Not sent')
    expect(document.querySelector('[data-testid=job-item][data-job-id=draft]')?.textContent).toContain('0 / 7')

    await click(document.querySelector('[data-testid=job-item][data-job-id=done]'))
    expect(byTestId('job-detail')?.dataset.jobId).toBe('done')
    expect(byTestId('job-done')?.textContent).toBe('7 / 7')
    expect(byTestId('job-count-failed')?.dataset.count).toBe('0')
    expect(byTestId('job-count-not-sent')?.dataset.count).toBe('3')
    const retry = byTestId('job-retry') as HTMLButtonElement
    expect(retry.disabled).toBe(true)
    expect(retry.closest('[data-reason]')?.getAttribute('data-reason')).toContain('Rows with errors in the sheet are never sent')
    await click(retry)
    expect(fake.callsTo('jobs.retryFailed')).toHaveLength(0)
  })

  it('Retry is enabled when the portal refused a row, next to rows not sent', async () => {
    const fake = new FakeApi()
    const log: JobRowLog[] = [
      { rowKey: 'a', line: 2, state: 'failed', errorCode: 'VALIDATION', errorMessage: 'COLOR_INVALID: bad', at: 1 },
      { rowKey: 'b', line: 3, state: 'failed', errorCode: 'USER_NOT_FOUND', errorMessage: 'nobody', at: 2 },
      { rowKey: 'c', line: 4, state: 'created', chatId: 9, at: 3 },
    ]
    fake.addJob({ id: 'f', status: 'finished', startedAt: 1, progress: { counts: { ...emptyCounts(), created: 1, failed: 2 }, total: 3, chatsPerSec: 0, etaSec: null, pacing: { kind: 'idle' } } }, log)
    m = await mountView(OutboxView, { fake })
    expect(byTestId('job-count-failed')?.dataset.count).toBe('1')
    expect(byTestId('job-count-failed')?.textContent?.trim()).toBe('Failed at the portal: 1')
    expect(byTestId('job-count-not-sent')?.dataset.count).toBe('1')
    expect(byTestId('job-done')?.textContent).toBe('2 / 2')
    const retry = byTestId('job-retry') as HTMLButtonElement
    expect(retry.disabled).toBe(false)
    await click(retry)
    expect(fake.callsTo('jobs.retryFailed')[0]?.arg).toEqual({ jobId: 'f' })
  })

  it('Sync is disabled with the reason while the sandbox is stopped, and starting it from here enables it', async () => {
    const fake = new FakeApi({ sandboxRunning: false })
    fake.addJob({ id: 'd1', status: 'draft' })
    m = await mountView(OutboxView, { fake })
    const sync = byTestId('job-sync') as HTMLButtonElement
    expect(sync.disabled).toBe(true)
    expect(byTestId('sync-blocked-reason')?.textContent).toContain('The sandbox portal is stopped. Start it to sync.')
    await click(byTestId('sync-blocked-fix'))
    expect(fake.callsTo('sandbox.start')).toHaveLength(1)
    expect((byTestId('job-sync') as HTMLButtonElement).disabled).toBe(false)
    await click(byTestId('job-sync'))
    expect(fake.callsTo('jobs.start')[0]?.arg).toEqual({ jobId: 'd1' })
  })

  it('Sync is disabled when the profile failed its connection test, with the portal’s reason', async () => {
    const fake = new FakeApi({ profiles: [sandboxProfile(), webhookProfile('Company')] })
    fake.addJob({ id: 'd1', status: 'draft', profile: 'Company' })
    fake.failNext('profiles.test', { code: 'NETWORK', message: 'company.bitrix24.com did not answer.' })
    m = await mountView(OutboxView, { fake })
    expect(fake.callsTo('profiles.test')[0]?.arg).toEqual({ profile: 'Company' })
    expect((byTestId('job-sync') as HTMLButtonElement).disabled).toBe(true)
    expect(byTestId('sync-blocked-reason')?.textContent).toContain('The last connection test failed: company.bitrix24.com did not answer.')
    await click(byTestId('sync-blocked-fix'))
    expect((byTestId('job-sync') as HTMLButtonElement).disabled).toBe(false)
  })

  it('groups waiting work by profile and keeps finished jobs in the history', async () => {
    const fake = new FakeApi({ profiles: [sandboxProfile(), webhookProfile('Company')] })
    fake.addJob({ id: 'a', status: 'draft', createdAt: 3 })
    fake.addJob({ id: 'b', status: 'paused', profile: 'Company', createdAt: 2 })
    fake.addJob({ id: 'c', status: 'finished', createdAt: 1, progress: progress(10, 0) })
    fake.addJob({ id: 'd', status: 'failed', createdAt: 0, error: { code: 'AUTH_REJECTED', message: 'The webhook was rejected.' } })
    m = await mountView(OutboxView, { fake })
    expect(allByTestId('outbox-group').map((g) => g.dataset.profile)).toEqual(['Sandbox portal', 'Company'])
    expect(byTestId('outbox-active')?.querySelectorAll('[data-testid=job-item]')).toHaveLength(3)
    expect(byTestId('outbox-history')?.querySelectorAll('[data-testid=job-item]')).toHaveLength(1)
    await click(document.querySelector('[data-testid=job-item][data-job-id=d]'))
    expect(byTestId('job-detail')?.textContent).toContain('The webhook was rejected.')
    expect(byTestId('job-detail')?.textContent).toContain('create a new webhook')
  })

  it('cancel asks first; pause, resume and export call the backend', async () => {
    const fake = new FakeApi()
    fake.addJob({ id: 'r', status: 'running', startedAt: 1, progress: progress(2) }, [], 1)
    m = await mountView(OutboxView, { fake })
    await click(byTestId('job-pause'))
    expect(fake.callsTo('jobs.pause')).toHaveLength(1)
    expect(byTestId('job-detail')?.dataset.status).toBe('paused')
    await click(byTestId('job-resume'))
    expect(fake.callsTo('jobs.resume')).toHaveLength(1)
    await click(byTestId('job-cancel'))
    expect(bodyText()).toContain('Rows already sent stay on the portal')
    expect(fake.callsTo('jobs.cancel')).toHaveLength(0)
    // The dialog's buttons say what they do ("Cancel the job" / "Keep the job"), never an ambiguous Close / Cancel.
    const labels = Array.from(document.querySelectorAll('.n-dialog button')).map((b) => b.textContent?.trim())
    expect(labels).toEqual(expect.arrayContaining(['Cancel the job', 'Keep the job']))
    expect(labels).not.toContain('Close')
    const yes = Array.from(document.querySelectorAll('.n-dialog button')).find((b) => b.textContent?.trim() === 'Cancel the job')
    await click(yes ?? null)
    expect(fake.callsTo('jobs.cancel')).toHaveLength(1)
    await click(byTestId('job-export'))
    expect(fake.callsTo('jobs.exportResults')[0]?.arg).toEqual({ jobId: 'r' })
    expect(bodyText()).toContain('Results saved as “results.csv”.')
  })
})
