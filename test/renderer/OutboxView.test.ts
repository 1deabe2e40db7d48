import './helpers/resizeObserver'
import { afterEach, describe, expect, it, vi } from 'vitest'
import OutboxView from '../../renderer/src/views/OutboxView.vue'
import { emptyCounts } from '../../electron/shared/jobs'
import type { JobProgress, JobRowLog } from '../../electron/shared/jobs'
import { allByTestId, bodyText, buttonWithText, byTestId, click, mountView, settle } from './helpers/mount'
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

    fake.emit({ type: 'finished', jobId: 'run', seq: 11, at: 4, progress: progress(9, 1), actions: ['retry-failed', 'remove'] })
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

  it('the counts read as counts in Russian ("Создано: 4", not a row state\'s "Создан")', async () => {
    const fake = new FakeApi()
    const counts = { ...emptyCounts(), created: 4, planned: 3, skipped: 2, 'needs-checking': 1 }
    fake.addJob({ id: 'ru', status: 'running', startedAt: 1, progress: progress(4, 0, { counts }) }, [], 3)
    m = await mountView(OutboxView, { fake, lang: 'ru' })
    const chip = (st: string): string | undefined => byTestId(`job-count-${st}`)?.textContent?.trim()
    expect(chip('created')).toBe('Создано: 4')
    expect(chip('planned')).toBe('Запланировано: 3')
    expect(chip('skipped')).toBe('Пропущено: 2')
    expect(chip('needs-checking')).toBe('Нужна проверка: 1')
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

  describe('the runner\'s statuses: words, colours and the commands the job allows (issue 10)', () => {
    afterEach(() => {
      vi.useRealTimers()
    })
    const buttons = (): string[] => ['job-sync', 'job-pause', 'job-resume', 'job-send-unsent', 'job-cancel', 'job-retry', 'job-remove'].filter((id) => byTestId(id))

    it('Pause and Cancel are acknowledged at once with the chats in flight; the buttons follow the commands of each status', async () => {
      const fake = new FakeApi()
      fake.addJob({ id: 'r', status: 'running', startedAt: 1, progress: progress(2) }, [], 3)
      m = await mountView(OutboxView, { fake })
      expect(buttons()).toEqual(['job-pause', 'job-cancel'])
      fake.emit({ type: 'status', jobId: 'r', seq: 4, at: 2, status: 'pausing', detail: { kind: 'in-flight', chats: 50 }, actions: ['cancel'] })
      await settle()
      expect(byTestId('job-detail')?.dataset.status).toBe('pausing')
      expect(byTestId('job-status')?.textContent).toBe('Pausing')
      expect(byTestId('job-status')?.dataset.type).toBe('warning')
      expect(byTestId('job-state-detail')?.textContent).toBe('Pausing — waiting for the 50 chats in flight')
      expect(buttons()).toEqual(['job-cancel'])
      fake.emit({ type: 'paused', jobId: 'r', seq: 5, at: 3, actions: ['resume', 'cancel'] })
      await settle()
      expect(byTestId('job-state-detail')).toBeNull()
      expect(buttons()).toEqual(['job-resume', 'job-cancel'])
      fake.emit({ type: 'resumed', jobId: 'r', seq: 6, at: 4, actions: ['pause', 'cancel'] })
      fake.emit({ type: 'status', jobId: 'r', seq: 7, at: 5, status: 'cancelling', detail: { kind: 'in-flight', chats: 1 }, actions: [] })
      await settle()
      expect(byTestId('job-state-detail')?.textContent).toBe('Cancelling — waiting for the 1 chat in flight')
      expect(buttons()).toEqual([])
      fake.emit({ type: 'cancelled', jobId: 'r', seq: 8, at: 6, progress: progress(3), actions: ['send-unsent', 'remove'] })
      await settle()
      expect(byTestId('job-status')?.textContent).toBe('Cancelled')
      expect(buttons()).toEqual(['job-send-unsent', 'job-remove'])
    })

    it('waiting for the portal counts down to the next try, with the attempt and the reason, in English and Russian', async () => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] })
      vi.setSystemTime(1_800_000_000_000)
      const fake = new FakeApi()
      const error = { code: 'NETWORK' as const, message: 'Could not reach the portal: connect ECONNREFUSED 127.0.0.1:8443' }
      fake.addJob({ id: 'w', status: 'running', startedAt: 1, progress: progress(20) }, [], 3)
      m = await mountView(OutboxView, { fake })
      fake.emit({ type: 'status', jobId: 'w', seq: 4, at: Date.now(), status: 'waiting-for-portal', detail: { kind: 'portal-unreachable', attempt: 4, nextTryAt: Date.now() + 20_000, error }, actions: ['pause', 'cancel'] })
      await settle()
      expect(byTestId('job-status')?.textContent).toBe('Waiting for the portal')
      expect(byTestId('job-status')?.dataset.type).toBe('warning')
      const detail = byTestId('job-state-detail')
      expect(detail?.dataset.kind).toBe('portal-unreachable')
      expect(detail?.querySelector('.state-line')?.textContent).toBe('Portal unreachable — next try in 20 s, attempt 4')
      expect(byTestId('job-state-error')?.textContent).toContain('connect ECONNREFUSED 127.0.0.1:8443')
      expect(buttons()).toEqual(['job-pause', 'job-cancel'])
      vi.advanceTimersByTime(6_000)
      await settle()
      expect(detail?.querySelector('.state-line')?.textContent).toBe('Portal unreachable — next try in 14 s, attempt 4')
      vi.advanceTimersByTime(15_000)
      await settle()
      expect(detail?.querySelector('.state-line')?.textContent).toBe('Portal unreachable — trying again now, attempt 4')
      m.i18n.global.locale.value = 'ru'
      fake.emit({ type: 'status', jobId: 'w', seq: 5, at: Date.now(), status: 'waiting-for-portal', detail: { kind: 'portal-unreachable', attempt: 5, nextTryAt: Date.now() + 65_000, error } })
      await settle()
      expect(byTestId('job-state-detail')?.querySelector('.state-line')?.textContent).toBe('Портал недоступен — повтор через 1 мин 05 с, попытка 5')
      expect(byTestId('job-status')?.textContent).toBe('Ожидание портала')
      // Back once the portal answers: running again, checking the rows whose outcome is unknown first.
      fake.emit({ type: 'status', jobId: 'w', seq: 6, at: Date.now(), status: 'resolving', detail: { kind: 'resolving', rows: 22 }, actions: ['pause', 'cancel'] })
      await settle()
      expect(byTestId('job-state-detail')?.textContent).toBe('Проверяем на портале 22 строки с неизвестным исходом')
      m.i18n.global.locale.value = 'en'
      await settle()
      expect(byTestId('job-state-detail')?.textContent).toBe('Checking the portal for the 22 rows whose outcome is unknown')
    })

    it('a job paused by a quit shows Resume after the restart; Resume resumes it', async () => {
      const fake = new FakeApi()
      fake.addJob({ id: 'p', status: 'paused', startedAt: 1, progress: { ...progress(4), counts: { ...emptyCounts(), created: 4, sending: 10, planned: 66 } } }, [], 40)
      m = await mountView(OutboxView, { fake })
      expect(byTestId('job-status')?.textContent).toBe('Paused')
      expect(byTestId('job-in-doubt')?.textContent).toBe('10 rows were on their way when the job stopped: each is looked up on the portal before anything is sent again.')
      expect(buttons()).toEqual(['job-resume', 'job-cancel'])
      await click(byTestId('job-resume'))
      expect(fake.callsTo('jobs.resume')[0]?.arg).toEqual({ jobId: 'p' })
    })

    it('a cancelled job offers to send its unsent rows, from the job', async () => {
      const fake = new FakeApi()
      fake.addJob({ id: 'c', status: 'cancelled', startedAt: 1, progress: progress(4) })
      fake.addJob({ id: 'c2', status: 'cancelled', createdAt: 0, progress: { ...progress(10), counts: { ...emptyCounts(), created: 10 } } })
      m = await mountView(OutboxView, { fake })
      expect(byTestId('job-send-unsent')?.textContent?.trim()).toBe('Send the unsent rows')
      await click(byTestId('job-send-unsent'))
      expect(fake.callsTo('jobs.sendUnsent')[0]?.arg).toEqual({ jobId: 'c' })
      expect(byTestId('job-detail')?.dataset.status).toBe('queued')
      // Nothing left to send: no such button.
      await click(document.querySelector('[data-testid=job-item][data-job-id=c2]'))
      expect(byTestId('job-send-unsent')).toBeNull()
    })

    it('a job another process sends names that process and offers no command', async () => {
      const fake = new FakeApi()
      fake.addJob({ id: 'l', status: 'running', startedAt: 1, progress: progress(4), actions: [], lockedBy: { program: 'cli', pid: 4321, host: 'build-box', since: Date.UTC(2026, 0, 5, 9, 15, 0) } })
      m = await mountView(OutboxView, { fake })
      const locked = byTestId('job-locked')
      expect(locked?.dataset.program).toBe('cli')
      expect(locked?.textContent).toMatch(/^The b24chat command is sending this job \(process 4321 on build-box, since \d\d:\d\d:00\)\. Nothing can be done with it here until it stops\.$/)
      expect(buttons()).toEqual([])
    })

    it('a full disk shows the plain message, once', async () => {
      const fake = new FakeApi()
      const error = { code: 'STORAGE' as const, message: 'The disk is full: free space and press Resume; nothing was sent twice.', messageRu: 'Диск заполнен: освободите место и нажмите «Продолжить»; ничего не отправлено дважды.' }
      fake.addJob({ id: 'f', status: 'failed', startedAt: 1, progress: progress(4), error })
      m = await mountView(OutboxView, { fake })
      expect(byTestId('error-alert')?.textContent).toContain('The job stopped')
      expect(byTestId('error-alert')?.textContent?.endsWith('The disk is full: free space and press Resume; nothing was sent twice.')).toBe(true)
      expect(bodyText().match(/nothing was sent twice/gi)).toHaveLength(1)
      expect(buttons()).toEqual(['job-resume', 'job-remove'])
      expect(buttonWithText('Resume')).not.toBeNull()
    })
  })
})
