/**
 * Jobs: summaries from `jobs.list`, live state from job events through the pure `applyJobEvent`, and catch-up
 * from `jobs.snapshot`. Events for a job whose snapshot is on its way are buffered and replayed after it.
 * Commands (start, pause …) are followed by a snapshot, so the window never trusts a stale command reply
 * over newer events.
 */
import { defineStore } from 'pinia'
import { computed, markRaw, ref, shallowRef } from 'vue'
import type { JobEvent, JobSummary } from '../../../electron/shared/jobs'
import type { ComposeForm } from '../../../electron/shared/ipc'
import type { AppError } from '../../../electron/shared/result'
import { api, toAppError } from '../api'
import { applyJobEvent, catchUp, isActiveStatus, isTerminalStatus, withSummary } from './jobReducer'
import type { JobState } from './jobReducer'

export const useJobsStore = defineStore('jobs', () => {
  const states = shallowRef<Readonly<Record<string, JobState>>>({})
  const selectedId = ref<string | null>(null)
  const loaded = ref(false)
  const loadError = shallowRef<AppError | null>(null)
  const busy = ref<Record<string, string>>({})
  const pending = new Map<string, JobEvent[]>()
  let unsubscribe: (() => void) | null = null
  let subscribers = 0

  const all = computed(() => Object.values(states.value).map((s) => s.summary).sort((a, b) => b.createdAt - a.createdAt))
  const active = computed(() => all.value.filter((j) => j.status !== 'finished' && j.status !== 'cancelled'))
  const history = computed(() => all.value.filter((j) => j.status === 'finished' || j.status === 'cancelled'))
  const selected = computed<JobState | null>(() => (selectedId.value ? (states.value[selectedId.value] ?? null) : null))

  function put(id: string, next: JobState): void {
    if (states.value[id] === next) return
    states.value = { ...states.value, [id]: markRaw(next) }
  }

  function adoptSummary(summary: JobSummary): void {
    put(summary.id, withSummary(states.value[summary.id], summary))
  }

  async function load(): Promise<void> {
    try {
      const list = await api.jobs.list()
      for (const j of list) adoptSummary(j)
      const ids = new Set(list.map((j) => j.id))
      const kept: Record<string, JobState> = {}
      for (const [id, s] of Object.entries(states.value)) if (ids.has(id) || pending.has(id)) kept[id] = s
      states.value = kept
      loaded.value = true
      loadError.value = null
    } catch (err) {
      loadError.value = toAppError(err)
    }
  }

  /** Fetches the snapshot and merges it with what arrived meanwhile. */
  async function refresh(jobId: string): Promise<void> {
    if (!pending.has(jobId)) pending.set(jobId, [])
    try {
      const snap = await api.jobs.snapshot({ jobId })
      put(jobId, catchUp(states.value[jobId], snap, pending.get(jobId) ?? []))
    } catch (err) {
      // The job may have been removed meanwhile; the list will say so.
      if (toAppError(err).code === 'NOT_FOUND') {
        const { [jobId]: _gone, ...rest } = states.value
        states.value = rest
      }
    } finally {
      pending.delete(jobId)
    }
  }

  function onEvent(event: JobEvent): void {
    const buffer = pending.get(event.jobId)
    if (buffer) {
      buffer.push(event)
      return
    }
    const state = states.value[event.jobId]
    if (!state || state.seq < 0) {
      // Unknown job, or only a list summary: catch up from a snapshot, replaying this event after it.
      pending.set(event.jobId, [event])
      void refresh(event.jobId)
      return
    }
    put(event.jobId, applyJobEvent(state, event))
  }

  /** Subscribes to job events (reference counted); returns the unsubscribe. Catches up active jobs. */
  function subscribe(): () => void {
    subscribers++
    if (!unsubscribe) unsubscribe = api.events.onJobEvent(onEvent)
    let done = false
    return () => {
      if (done) return
      done = true
      subscribers--
      if (subscribers === 0 && unsubscribe) {
        unsubscribe()
        unsubscribe = null
      }
    }
  }

  /** On mount: list, then snapshots for whatever may be moving and for the selected job. */
  async function catchUpAll(): Promise<void> {
    await load()
    const ids = Object.values(states.value)
      .filter((s) => isActiveStatus(s.summary.status) || s.summary.id === selectedId.value)
      .map((s) => s.summary.id)
    await Promise.all(ids.map((id) => refresh(id)))
  }

  async function command(jobId: string, kind: string, fn: () => Promise<unknown>): Promise<void> {
    busy.value = { ...busy.value, [jobId]: kind }
    try {
      await fn()
    } finally {
      busy.value = { ...busy.value, [jobId]: '' }
    }
    await refresh(jobId)
  }

  const start = (jobId: string) => command(jobId, 'start', () => api.jobs.start({ jobId }))
  const pause = (jobId: string) => command(jobId, 'pause', () => api.jobs.pause({ jobId }))
  const resume = (jobId: string) => command(jobId, 'resume', () => api.jobs.resume({ jobId }))
  const cancel = (jobId: string) => command(jobId, 'cancel', () => api.jobs.cancel({ jobId }))
  const retryFailed = (jobId: string) => command(jobId, 'retry', () => api.jobs.retryFailed({ jobId }))
  const sendUnsent = (jobId: string) => command(jobId, 'unsent', () => api.jobs.sendUnsent({ jobId }))

  async function remove(jobId: string): Promise<void> {
    await api.jobs.remove({ jobId })
    const { [jobId]: _gone, ...rest } = states.value
    states.value = rest
    if (selectedId.value === jobId) selectedId.value = null
  }

  async function exportResults(jobId: string): Promise<{ name: string; text: string; savedTo?: string }> {
    return api.jobs.exportResults({ jobId })
  }

  /** `expectCreate`: the count the user confirmed (refused if the sheet's plan says otherwise now). */
  async function createFromSheet(sheetId: string, profile: string, startNow: boolean, opts: { expectCreate?: number; copies?: string[] } = {}): Promise<JobSummary> {
    const summary = await api.jobs.createFromSheet({ sheetId, profile, start: startNow, ...opts })
    adoptSummary(summary)
    selectedId.value = summary.id
    return summary
  }

  async function addCompose(profile: string, form: ComposeForm): Promise<JobSummary> {
    const summary = await api.jobs.addCompose({ profile, form })
    adoptSummary(summary)
    return summary
  }

  function select(jobId: string | null): void {
    selectedId.value = jobId
    if (jobId && (states.value[jobId]?.seq ?? -1) < 0) void refresh(jobId)
  }

  const isTerminal = (s: JobSummary): boolean => isTerminalStatus(s.status)

  return { states, selectedId, selected, loaded, loadError, busy, all, active, history, load, refresh, onEvent, subscribe, catchUpAll, start, pause, resume, cancel, retryFailed, sendUnsent, remove, exportResults, createFromSheet, addCompose, select, isTerminal }
})
