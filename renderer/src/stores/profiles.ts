/**
 * Portal profiles (never a secret: only ProfileView), the last connection test of each, and the built-in
 * sandbox portal's status. `syncBlocker` says why a profile cannot send right now, as an i18n key + params.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { AddProfileInput, ProfileView } from '../../../electron/shared/profile'
import { SANDBOX_PROFILE } from '../../../electron/shared/profile'
import type { PreflightReport, SandboxStatus } from '../../../electron/shared/ipc'
import type { AppError } from '../../../electron/shared/result'
import { api, toAppError } from '../api'

export interface TestOutcome {
  report?: PreflightReport
  error?: AppError
}

export interface Blocker {
  key: string
  params?: Record<string, unknown>
  /** What the user can do about it from where they are. */
  action?: 'startSandbox' | 'test'
}

export const useProfilesStore = defineStore('profiles', () => {
  const profiles = ref<ProfileView[]>([])
  const loaded = ref(false)
  const loadError = shallowRef<AppError | null>(null)
  const tests = ref<Record<string, TestOutcome>>({})
  const testing = ref<Record<string, boolean>>({})
  const sandbox = ref<SandboxStatus | null>(null)
  const sandboxBusy = ref(false)

  /** Names offered in the header: every profile, and the sandbox even before the backend lists it. */
  const names = computed(() => {
    const list = profiles.value.map((p) => p.name)
    if (!list.includes(SANDBOX_PROFILE)) list.unshift(SANDBOX_PROFILE)
    return list
  })
  const portalProfiles = computed(() => profiles.value.filter((p) => p.authKind !== 'sandbox'))

  async function load(): Promise<void> {
    try {
      profiles.value = await api.profiles.list()
      loaded.value = true
      loadError.value = null
    } catch (err) {
      loadError.value = toAppError(err)
    }
  }

  async function add(input: AddProfileInput): Promise<ProfileView> {
    const view = await api.profiles.add(input)
    profiles.value = [...profiles.value.filter((p) => p.name !== view.name), view]
    return view
  }

  async function remove(name: string): Promise<void> {
    await api.profiles.remove({ profile: name })
    profiles.value = profiles.value.filter((p) => p.name !== name)
    const { [name]: _gone, ...rest } = tests.value
    tests.value = rest
  }

  async function test(name: string): Promise<TestOutcome> {
    testing.value = { ...testing.value, [name]: true }
    let outcome: TestOutcome
    try {
      outcome = { report: await api.profiles.test({ profile: name }) }
    } catch (err) {
      outcome = { error: toAppError(err) }
    } finally {
      testing.value = { ...testing.value, [name]: false }
    }
    tests.value = { ...tests.value, [name]: outcome }
    return outcome
  }

  async function refreshSandbox(): Promise<void> {
    try {
      sandbox.value = await api.sandbox.status()
    } catch {
      sandbox.value = null
    }
  }

  async function startSandbox(): Promise<void> {
    sandboxBusy.value = true
    try {
      sandbox.value = await api.sandbox.start()
      // The sandbox profile's portal address is known once it runs.
      await load()
    } finally {
      sandboxBusy.value = false
    }
  }

  async function stopSandbox(): Promise<void> {
    sandboxBusy.value = true
    try {
      sandbox.value = await api.sandbox.stop()
    } finally {
      sandboxBusy.value = false
    }
  }

  function byName(name: string): ProfileView | undefined {
    return profiles.value.find((p) => p.name === name)
  }

  /** Why `name` cannot sync now, or null when nothing known stops it. */
  function syncBlocker(name: string): Blocker | null {
    const isSandbox = name === SANDBOX_PROFILE || byName(name)?.authKind === 'sandbox'
    if (isSandbox) {
      if (!sandbox.value?.running) return { key: 'outbox.syncDisabled.sandboxStopped', action: 'startSandbox' }
      return null
    }
    const p = byName(name)
    if (loaded.value && !p) return { key: 'outbox.syncDisabled.noProfile', params: { profile: name } }
    if (p && !p.hasSecret) return { key: 'outbox.syncDisabled.keychain', action: 'test' }
    const t = tests.value[name]
    if (t?.error) return { key: 'outbox.syncDisabled.preflightFailed', params: { error: t.error }, action: 'test' }
    if (t?.report && !t.report.canCreate) return { key: 'outbox.syncDisabled.cannotCreate', action: 'test' }
    return null
  }

  return { profiles, loaded, loadError, tests, testing, sandbox, sandboxBusy, names, portalProfiles, load, add, remove, test, refreshSandbox, startSandbox, stopSandbox, byName, syncBlocker }
})
