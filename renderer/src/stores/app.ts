/** App-wide UI state: the current screen, app info, the resolved language and theme, the chosen profile. */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { AppInfo } from '../../../electron/shared/ipc'
import { api, toAppError, UiError } from '../api'
import type { AppError } from '../../../electron/shared/result'
import { resolveLang } from '../i18n'
import type { Lang } from '../i18n'
import { useSettingsStore } from './settings'
import { useProfilesStore } from './profiles'
import { SANDBOX_PROFILE } from '../../../electron/shared/profile'

export const VIEWS = ['connections', 'import', 'compose', 'outbox', 'sandboxChats', 'settings'] as const
export type ViewName = (typeof VIEWS)[number]

const PROFILE_KEY = 'b24chat.currentProfile'

function readStoredProfile(): string {
  try {
    return globalThis.localStorage?.getItem(PROFILE_KEY) ?? ''
  } catch {
    return ''
  }
}

export const useAppStore = defineStore('app', () => {
  const settings = useSettingsStore()
  const view = ref<ViewName>('connections')
  const info = shallowRef<AppInfo | null>(null)
  const infoError = shallowRef<AppError | null>(null)
  const currentProfile = ref<string>(readStoredProfile())
  const osDark = ref(false)
  /** Set by Ctrl+O; the Import screen takes it and opens the file dialog. */
  const openFilePending = ref(false)
  /** A sandbox chat to show in the Sandbox chats screen (its links open there, never in a browser). */
  const focusChatId = ref<number | null>(null)

  const lang = computed<Lang>(() => resolveLang(settings.settings.language, info.value?.locale))
  /** The profile the screens act on: the chosen one while it exists, else the first (the sandbox). */
  const activeProfile = computed<string | null>(() => {
    const names = useProfilesStore().names
    return names.includes(currentProfile.value) ? currentProfile.value : (names[0] ?? null)
  })
  const dark = computed(() => (settings.settings.theme === 'system' ? osDark.value : settings.settings.theme === 'dark'))

  function navigate(to: ViewName): void {
    view.value = to
  }

  function setProfile(name: string): void {
    currentProfile.value = name
    try {
      globalThis.localStorage?.setItem(PROFILE_KEY, name)
    } catch {
      // Storage can be unavailable (private mode, tests); the choice then lasts for the session.
    }
  }

  async function loadInfo(): Promise<void> {
    try {
      info.value = await api.app.info()
      infoError.value = null
    } catch (err) {
      infoError.value = err instanceof UiError ? err.appError : toAppError(err)
    }
  }

  /** Follows the OS colour scheme; returns the unsubscribe. */
  function watchOsTheme(): () => void {
    if (typeof window === 'undefined' || typeof window.matchMedia !== 'function') return () => undefined
    const mq = window.matchMedia('(prefers-color-scheme: dark)')
    osDark.value = mq.matches
    const onChange = (e: MediaQueryListEvent): void => {
      osDark.value = e.matches
    }
    mq.addEventListener?.('change', onChange)
    return () => mq.removeEventListener?.('change', onChange)
  }

  /** Shows a chat of the built-in sandbox inside the app (its own certificate would alarm a browser). */
  function showSandboxChat(chatId: number): void {
    focusChatId.value = chatId
    view.value = 'sandboxChats'
  }

  /** The built-in sandbox portal: its chats open inside the app. */
  function isSandbox(profile: string): boolean {
    return profile === SANDBOX_PROFILE || useProfilesStore().byName(profile)?.authKind === 'sandbox'
  }

  /** Opens a chat the app created: a sandbox chat inside the app, a real portal's in the OS browser. */
  async function openChat(profile: string, chatId: number): Promise<void> {
    if (isSandbox(profile)) showSandboxChat(chatId)
    else await api.shell.openChat({ profile, chatId })
  }

  function requestOpenFile(): void {
    view.value = 'import'
    openFilePending.value = true
  }

  function takeOpenFileRequest(): boolean {
    const was = openFilePending.value
    openFilePending.value = false
    return was
  }

  return { view, info, activeProfile, infoError, currentProfile, osDark, lang, dark, openFilePending, focusChatId, navigate, setProfile, loadInfo, watchOsTheme, requestOpenFile, takeOpenFileRequest, showSandboxChat, isSandbox, openChat }
})
