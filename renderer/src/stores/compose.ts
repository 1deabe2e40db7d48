/**
 * The one-off chat form. Validation is the backend's (`compose.validate` returns the row exactly as the
 * engine would send it, with problems and the auto-title preview); this store only holds the form, the
 * prepared avatar, the last validation and the last created chat.
 * Compose is one-shot: once a chat is created (or found created before) for the form as it is, the same form is
 * not sent again from here — "Create another" starts a new one, "Create a copy anyway" asks for a copy.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { ComposeForm, ComposeResult, PreparedAvatar } from '../../../electron/shared/ipc'
import type { ChatType, ColorCode } from '../../../electron/shared/chat'
import type { Problem, SheetRow } from '../../../electron/shared/sheet'
import type { AppError } from '../../../electron/shared/result'
import { api, toAppError } from '../api'
import { useAppStore } from './app'

export type Member = number | string

export interface ComposeFields {
  users: Member[]
  type: ChatType
  title: string
  description: string
  color: ColorCode | null
  message: string
  entityType: string
  entityId: string
  copilotMainRole: string
  owner: Member | null
}

export const emptyFields = (): ComposeFields => ({
  users: [],
  type: 'CHAT',
  title: '',
  description: '',
  color: null,
  message: '',
  entityType: '',
  entityId: '',
  copilotMainRole: '',
  owner: null,
})

export function toForm(f: ComposeFields, avatar: PreparedAvatar | null): ComposeForm {
  return {
    users: f.users,
    type: f.type,
    title: f.title,
    description: f.description,
    ...(f.color ? { color: f.color } : {}),
    message: f.message,
    ...(avatar ? { avatar: avatar.base64 } : {}),
    entityType: f.entityType.trim(),
    entityId: f.entityId.trim(),
    copilotMainRole: f.copilotMainRole.trim(),
    ...(f.owner !== null && f.owner !== '' ? { owner: f.owner } : {}),
  }
}

export const useComposeStore = defineStore('compose', () => {
  const fields = ref<ComposeFields>(emptyFields())
  const avatar = shallowRef<PreparedAvatar | null>(null)
  const validation = shallowRef<SheetRow | null>(null)
  const validationError = shallowRef<AppError | null>(null)
  /** The last chat created (or found created before) and the form it was for (`formKey`). */
  const result = shallowRef<(ComposeResult & { profile: string; formKey: string }) | null>(null)
  const busy = ref<'' | 'create' | 'outbox' | 'avatar'>('')
  /** Labels for chosen members (id → "Name"), so chips keep their names after the search list changes. */
  const memberLabels = ref<Record<string, string>>({})
  let validateSeq = 0

  const form = computed(() => toForm(fields.value, avatar.value))
  const formKey = computed(() => JSON.stringify(form.value))
  /** The form is the one the last result is for: sending it again would only find that chat. */
  const sameAsResult = computed(() => result.value !== null && result.value.formKey === formKey.value)
  const problems = computed<Problem[]>(() => validation.value?.problems ?? [])
  const hasErrors = computed(() => problems.value.some((p) => p.severity === 'error'))
  const problemsByField = computed(() => {
    const out: Record<string, Problem[]> = {}
    for (const p of problems.value) (out[p.field] ??= []).push(p)
    return out
  })

  /** Validates the current form; a reply to an older request than the latest is dropped. */
  async function validate(): Promise<void> {
    const mine = ++validateSeq
    try {
      const row = await api.compose.validate({ form: form.value })
      if (mine !== validateSeq) return
      validation.value = row
      validationError.value = null
    } catch (err) {
      if (mine !== validateSeq) return
      validationError.value = toAppError(err)
    }
  }

  async function prepareAvatar(file: File): Promise<PreparedAvatar> {
    busy.value = 'avatar'
    try {
      const bytes = new Uint8Array(await file.arrayBuffer())
      const prepared = await api.compose.prepareAvatar({ name: file.name, bytes })
      avatar.value = prepared
      return prepared
    } finally {
      busy.value = ''
    }
  }

  function clearAvatar(): void {
    avatar.value = null
  }

  /**
   * Validates, then creates the chat (`copy`: a new chat even if this one exists). Busy from the first moment, so
   * a double click sends once; null when the form has errors or a creation is already under way.
   */
  async function create(profile: string, copy = false): Promise<ComposeResult | null> {
    if (busy.value) return null
    busy.value = 'create'
    try {
      await validate()
      if (hasErrors.value) return null
      const sent = form.value
      const key = formKey.value
      const r = await api.compose.create({ profile, form: sent, ...(copy ? { copy: true } : {}) })
      result.value = { ...r, profile, formKey: key }
      return r
    } finally {
      busy.value = ''
    }
  }

  /** Opens the created chat: the sandbox's inside the app, a real portal's in the OS browser. */
  async function openChat(): Promise<void> {
    const r = result.value
    if (r) await useAppStore().openChat(r.profile, r.chatId)
  }

  function reset(): void {
    fields.value = emptyFields()
    avatar.value = null
    validation.value = null
    validationError.value = null
    result.value = null
  }

  function rememberLabel(value: Member, label: string): void {
    memberLabels.value = { ...memberLabels.value, [String(value)]: label }
  }

  return { fields, avatar, validation, validationError, result, busy, memberLabels, form, formKey, sameAsResult, problems, hasErrors, problemsByField, validate, prepareAvatar, clearAvatar, create, openChat, reset, rememberLabel }
})
