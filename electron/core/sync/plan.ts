/**
 * The send plan of an open sheet: before anything is sent, which rows were created already — in this data
 * folder's history, or on the portal by the rows' tags and pairs (another data folder, another computer) — which
 * of those were created with other values, and how many chats a send would create on which portal. The preview
 * shows it; `jobs.createFromSheet` builds the job from it (rows already created are recorded `skipped`, never
 * sent, unless the user marked them as copies).
 */
import { chatLink } from '../../shared/chat'
import type { ChatField } from '../../shared/chat'
import { ALREADY_CREATED } from '../../shared/jobs'
import type { SendPlanRow } from '../../shared/ipc'
import type { SheetRow } from '../../shared/sheet'
import type { AppError } from '../../shared/result'
import { AppFailure } from '../../shared/result'
import { keyedBatch } from '../portal/keyed-batch'
import type { BatchCaller, KeyedCall } from '../portal/keyed-batch'
import { chatIdOf } from './engine'
import type { CreatedHistory } from './history'
import { differingFields, fieldHashes, rowIdentities } from './identity'
import { entityKeyFor } from './keys'
import type { RowSkip } from './store'

export interface PlanInput {
  rows: SheetRow[]
  portalKey: string
  /** The portal's base URL, for chat links (may be unknown offline). */
  portalUrl?: string
  history: CreatedHistory
  dedupeTagging: boolean
  /** Rows the user wants as new chats even though they were created before. */
  copies?: ReadonlySet<string>
  /** Look the rows up on the portal too (null: the history only, e.g. offline). */
  portal?: BatchCaller | null
  /**
   * Without `portal`: chats an earlier plan of the same sheet found on the portal (identity → chat id), so a plan
   * made from the history alone (the job, a re-plan after an edit) agrees with the one the user confirmed.
   */
  known?: ReadonlyMap<string, number>
  signal?: AbortSignal
}

export interface Plan {
  identities: string[]
  rows: SendPlanRow[]
  /** Rows that will not be sent (already created, not marked as copies): recorded skipped in the job. */
  skip: Map<string, RowSkip>
  toCreate: number
  alreadyCreated: number
  createdWithOtherValues: number
  copies: number
  invalid: number
  portalChecked: boolean
  lookupError?: AppError
  /** When the portal was asked: what it found (identity → chat id), to pass as `known` to later plans. */
  found?: Map<string, number>
}

const when = (ms: number | undefined): string => (ms ? ` on ${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC` : '')

export async function planSend(input: PlanInput): Promise<Plan> {
  const rows = input.rows
  const identities = rowIdentities(rows)
  const copies = input.copies ?? new Set<string>()
  await input.history.refresh()
  const matches = new Map<number, Omit<SendPlanRow, 'choice' | 'canCopy'>>()
  const onPortal: [number, KeyedCall][] = []
  rows.forEach((row, i) => {
    if (row.status === 'error') return
    const identity = identities[i] as string
    const rec = input.history.find(input.portalKey, identity)
    if (rec) {
      const fields = differingFields(rec.fields, fieldHashes(row)) as ChatField[]
      matches.set(i, {
        rowKey: row.key,
        line: row.line,
        match: fields.length ? 'created-with-other-values' : 'already-created',
        chatId: rec.chatId,
        link: input.portalUrl ? chatLink(input.portalUrl, rec.chatId) : '',
        createdAt: rec.at,
        source: 'history',
        ...(fields.length ? { fields } : {}),
      })
      return
    }
    const k = entityKeyFor({ identity }, row.params, input.dedupeTagging)
    if (!k) return
    const known = input.portal ? undefined : input.known?.get(identity)
    if (known !== undefined) matches.set(i, onThePortal(row, known))
    else onPortal.push([i, ['im.chat.get', { ENTITY_TYPE: k.entityType, ENTITY_ID: k.entityId }]])
  })
  function onThePortal(row: SheetRow, id: number): Omit<SendPlanRow, 'choice' | 'canCopy'> {
    return { rowKey: row.key, line: row.line, match: 'already-created', chatId: id, link: input.portalUrl ? chatLink(input.portalUrl, id) : '', source: 'portal' }
  }
  let portalChecked = false
  let lookupError: AppError | undefined
  let foundOnPortal: Map<string, number> | undefined
  if (input.portal && onPortal.length) {
    try {
      const found = await keyedBatch(input.portal, onPortal, input.signal ? { signal: input.signal } : {})
      foundOnPortal = new Map()
      for (const [i, o] of found) {
        const id = o.kind === 'ok' ? chatIdOf(o.result) : null
        if (id === null) continue
        matches.set(i, onThePortal(rows[i] as SheetRow, id))
        foundOnPortal.set(identities[i] as string, id)
      }
      portalChecked = true
    } catch (e) {
      if (input.signal?.aborted) throw e
      lookupError = e instanceof AppFailure ? e.appError : { code: 'INTERNAL', message: 'The portal lookup failed.' }
    }
  } else if (input.portal) {
    portalChecked = true
    foundOnPortal = new Map()
  }
  const out: Plan = { identities, rows: [], skip: new Map(), toCreate: 0, alreadyCreated: 0, createdWithOtherValues: 0, copies: 0, invalid: 0, portalChecked }
  if (lookupError) out.lookupError = lookupError
  if (foundOnPortal) out.found = foundOnPortal
  rows.forEach((row, i) => {
    if (row.status === 'error') {
      out.invalid++
      return
    }
    const m = matches.get(i)
    if (!m) {
      out.toCreate++
      return
    }
    // A row with its own pair cannot be copied: the copy would carry the same pair and be found again.
    const canCopy = !(row.params.ENTITY_TYPE?.trim() && row.params.ENTITY_ID?.trim())
    const copy = canCopy && copies.has(row.key)
    out.rows.push({ ...m, choice: copy ? 'copy' : 'skip', canCopy })
    if (m.match === 'already-created') out.alreadyCreated++
    else out.createdWithOtherValues++
    if (copy) {
      out.copies++
      out.toCreate++
    } else {
      out.skip.set(row.key, {
        chatId: m.chatId,
        errorCode: ALREADY_CREATED,
        errorMessage: m.match === 'created-with-other-values'
          ? `Created earlier as chat ${m.chatId}${when(m.createdAt)} with other values (${(m.fields ?? []).join(', ')}); not created again. Mark the row as a copy to create a new chat.`
          : `Already created as chat ${m.chatId}${when(m.createdAt)}; not created again.`,
      })
    }
  })
  return out
}
