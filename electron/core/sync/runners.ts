/**
 * The runner registry of one process (the app's backend, or the CLI): one JobRunner per job, created on demand
 * and kept for the life of the process so a job's event seq goes on across its runs. The backend only routes
 * calls here; nothing else in the process starts, pauses or stops a job.
 */
import type { JobEvent, JobSnapshot, JobSummary, TerminalJobEvent } from '../../shared/jobs'
import { AppFailure } from '../../shared/result'
import { JobLock } from './lock'
import { JobRunner } from './runner'
import type { JobRunnerDeps } from './runner'

export type JobRunnersDeps = JobRunnerDeps

export class JobRunners {
  private readonly runners = new Map<string, JobRunner>()
  private readonly listeners = new Set<(e: JobEvent) => void>()

  constructor(private readonly deps: JobRunnersDeps) {}

  /** Every event of every job of this process. */
  onEvent(l: (e: JobEvent) => void): () => void {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }

  /** The job's runner (created on first use). NOT_FOUND when there is no such job. */
  async runner(jobId: string): Promise<JobRunner> {
    let r = this.runners.get(jobId)
    if (r) return r
    await this.deps.store.load(jobId)
    r = this.runners.get(jobId)
    if (r) return r
    r = new JobRunner(jobId, this.deps)
    r.onEvent((e) => {
      for (const l of this.listeners) {
        try {
          l(e)
        } catch {
          // a listener's failure must not stop the job
        }
      }
    })
    this.runners.set(jobId, r)
    return r
  }

  async start(jobId: string): Promise<JobSummary> {
    return (await this.runner(jobId)).start()
  }
  async pause(jobId: string): Promise<JobSummary> {
    return (await this.runner(jobId)).pause()
  }
  async resume(jobId: string): Promise<JobSummary> {
    return (await this.runner(jobId)).resume()
  }
  async cancel(jobId: string): Promise<JobSummary> {
    return (await this.runner(jobId)).cancel()
  }
  async retryFailed(jobId: string): Promise<JobSummary> {
    return (await this.runner(jobId)).retryFailed()
  }
  async sendUnsent(jobId: string): Promise<JobSummary> {
    return (await this.runner(jobId)).sendUnsent()
  }
  async summary(jobId: string): Promise<JobSummary> {
    return (await this.runner(jobId)).summary()
  }
  async snapshot(jobId: string): Promise<JobSnapshot> {
    return (await this.runner(jobId)).snapshot()
  }
  /** The job's current run's terminal event (null: no run, or it was stopped now to resume later). */
  async done(jobId: string): Promise<TerminalJobEvent | null> {
    return (await this.runner(jobId)).done()
  }

  async list(): Promise<JobSummary[]> {
    const jobs = await this.deps.store.all()
    const out: JobSummary[] = []
    for (const j of jobs) out.push(await (await this.runner(j.id)).summary())
    return out.sort((a, b) => b.createdAt - a.createdAt)
  }

  /** Deletes a job that nobody is sending (here or in another process). */
  async remove(jobId: string): Promise<void> {
    const r = this.runners.get(jobId)
    if (r?.live) throw new AppFailure('VALIDATION', 'Cancel the job before deleting it.', { messageRu: 'Сначала отмените задание, затем удалите его.' })
    const holder = await JobLock.holder(this.deps.store.dir(jobId), this.deps.lock)
    if (holder) throw new AppFailure('LOCKED', `This job is being sent by ${holder.program === 'app' ? 'the app' : 'b24chat'} (process ${holder.pid} on ${holder.host}); it cannot be deleted now.`, { messageRu: 'Это задание сейчас отправляет другой процесс; удалить его нельзя.' })
    this.runners.delete(jobId)
    await this.deps.store.remove(jobId)
  }

  /** Jobs this process is running or holds paused (the window asks before closing while this is not 0). */
  liveCount(): number {
    let n = 0
    for (const r of this.runners.values()) if (r.live) n++
    return n
  }

  /** True when a job of this profile is live here. */
  async liveForProfile(profile: string): Promise<boolean> {
    for (const r of this.runners.values()) {
      if (!r.live) continue
      if ((await this.deps.store.load(r.id)).record.profile === profile) return true
    }
    return false
  }

  /** Pauses every live job (acknowledged at once; each takes effect when its chats in flight return). */
  async pauseAll(): Promise<void> {
    for (const r of this.runners.values()) if (r.live) await r.pause()
  }

  /** Quit: every live job stops now and is recorded paused (rows in flight stay `sending`), locks released. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.runners.values()].map((r) => r.stopNow()))
  }
}
