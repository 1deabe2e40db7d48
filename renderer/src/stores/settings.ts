/** The app settings, loaded from and saved to the backend (saved on every change). */
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import { DEFAULT_SETTINGS } from '../../../electron/shared/settings'
import type { Settings } from '../../../electron/shared/settings'
import type { AppError } from '../../../electron/shared/result'
import { api, toAppError } from '../api'

export const useSettingsStore = defineStore('settings', () => {
  const settings = ref<Settings>({ ...DEFAULT_SETTINGS })
  const loaded = ref(false)
  const error = shallowRef<AppError | null>(null)

  async function load(): Promise<void> {
    try {
      settings.value = await api.settings.get()
      loaded.value = true
      error.value = null
    } catch (err) {
      error.value = toAppError(err)
    }
  }

  /** Applies the change at once (the UI follows), saves it, and rolls back if the backend refuses. */
  async function set(patch: Partial<Settings>): Promise<void> {
    const before = settings.value
    settings.value = { ...before, ...patch }
    try {
      settings.value = await api.settings.set(patch)
      error.value = null
    } catch (err) {
      settings.value = before
      error.value = toAppError(err)
      throw err
    }
  }

  return { settings, loaded, error, load, set }
})
