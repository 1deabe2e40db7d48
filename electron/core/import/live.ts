/**
 * The live dry run: before anything is created, ask the portal (through any RestCaller) who the e-mails and ids
 * of the sheet are — active users only — and whether chats with the rows' entity pairs already exist. Read-only.
 */
import type { Problem, SheetRow } from '../../shared/sheet'
import { AppFailure } from '../../shared/result'
import { LIVE_CODES, makeProblem } from '../../shared/problems'
import type { RestCaller } from '../portal/types'
import { keyedBatch } from '../portal/keyed-batch'
import { redact } from '../redact'
import { statusOf, titlePreview } from './rows'
import type { Sheet } from './sheet'

type UserState = { state: 'active'; id: number; name: string } | { state: 'dismissed'; id: number; name: string } | { state: 'unknown' }

/** What the portal said, kept per sheet so an edited row can be re-checked without asking again. */
export interface LiveCache {
  emails: Map<string, UserState>
  ids: Map<number, UserState>
  /** "TYPE\0ID" → existing chat id, or null when none. */
  pairs: Map<string, number | null>
  colorsEnabled: boolean
}

const caches = new WeakMap<Sheet, LiveCache>()
export const liveCacheOf = (sheet: Sheet): LiveCache | undefined => caches.get(sheet)

interface PortalUser {
  ID?: string | number
  ACTIVE?: boolean | string
  EMAIL?: string
  NAME?: string
  LAST_NAME?: string
}

const userName = (u: PortalUser): string => `${u.NAME ?? ''} ${u.LAST_NAME ?? ''}`.trim() || (u.EMAIL ?? `#${u.ID}`)

/** Runs `cmds` through the keyed-batch helper (≤ 50 a request); returns key → result for those that succeeded. */
async function runBatched(caller: RestCaller, cmds: [string, [string, Record<string, unknown>]][], signal: AbortSignal | undefined, errors: string[]): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>()
  const outcomes = await keyedBatch(caller, cmds, signal ? { signal } : {})
  for (const [key, o] of outcomes) {
    if (o.kind === 'error') errors.push(`${o.error}${o.description ? `: ${o.description}` : ''}`)
    else if (o.kind === 'ok') out.set(key, o.result)
  }
  return out
}

function pickUser(list: unknown, match: (u: PortalUser) => boolean): PortalUser | undefined {
  if (!Array.isArray(list)) return undefined
  const users = list as PortalUser[]
  const exact = users.find(match)
  if (exact) return exact
  // Without the e-mail field (user_basic scope) a single hit for an exact filter is taken as the match.
  return users.length === 1 && users[0]!.EMAIL === undefined ? users[0] : undefined
}

/** Two passes: ACTIVE users first; the misses again without the filter to tell dismissed from unknown. */
async function resolveUsers<K extends string | number>(
  caller: RestCaller,
  keys: K[],
  filter: (k: K) => Record<string, unknown>,
  match: (k: K) => (u: PortalUser) => boolean,
  signal: AbortSignal | undefined,
  errors: string[],
): Promise<Map<K, UserState>> {
  const out = new Map<K, UserState>()
  if (!keys.length) return out
  const first = await runBatched(caller, keys.map((k, i) => [`u${i}`, ['user.get', { FILTER: { ...filter(k), ACTIVE: true } }]]), signal, errors)
  const misses: K[] = []
  keys.forEach((k, i) => {
    if (!first.has(`u${i}`)) return // the portal refused this query: no verdict
    const u = pickUser(first.get(`u${i}`), match(k))
    if (u && u.ACTIVE !== false && u.ACTIVE !== 'N') out.set(k, { state: 'active', id: Number(u.ID), name: userName(u) })
    else misses.push(k)
  })
  if (!misses.length) return out
  const second = await runBatched(caller, misses.map((k, i) => [`d${i}`, ['user.get', { FILTER: filter(k) }]]), signal, errors)
  misses.forEach((k, i) => {
    if (!second.has(`d${i}`)) return
    const u = pickUser(second.get(`d${i}`), match(k))
    out.set(k, u ? { state: 'dismissed', id: Number(u.ID), name: userName(u) } : { state: 'unknown' })
  })
  return out
}

const pairKey = (row: SheetRow): string | null =>
  row.params.ENTITY_TYPE && row.params.ENTITY_ID ? `${row.params.ENTITY_TYPE}\u0000${row.params.ENTITY_ID}` : null

const listOf = (items: string[]): string => (items.length > 5 ? `${items.slice(0, 5).join(', ')} (+${items.length - 5})` : items.join(', '))

/** Applies what the portal said to one row: resolved e-mails into USERS, problems for unknown/dismissed users. */
export function applyLive(row: SheetRow, cache: LiveCache): void {
  const live = new Set(LIVE_CODES as readonly string[])
  const problems: Problem[] = row.problems.filter((p) => !live.has(p.code))
  // Undo an earlier resolution, then redo it.
  const added = new Set(row.live?.addedUsers ?? [])
  const sheetIds = (row.params.USERS ?? []).filter((id) => !added.has(id))
  const ids = [...sheetIds]
  const addedUsers: number[] = []
  const resolved: Record<string, number | null> = {}
  const names: Record<number, string> = {}
  const unknownEmails: string[] = []
  const dismissed: string[] = []
  const unknownIds: string[] = []
  let ownerBad: string | undefined
  const ownerRaw = row.owner
  let owner = ownerRaw
  if (typeof ownerRaw === 'number' || (typeof ownerRaw === 'string' && /^\d+$/.test(ownerRaw))) owner = Number(ownerRaw)

  for (const email of row.emails) {
    const st = cache.emails.get(email)
    if (!st) continue
    const isOwner = email === ownerRaw
    if (st.state === 'active') {
      resolved[email] = st.id
      names[st.id] = st.name
      if (!ids.includes(st.id)) {
        ids.push(st.id)
        addedUsers.push(st.id)
      }
      if (isOwner) owner = st.id
    } else {
      resolved[email] = null
      if (isOwner) ownerBad = email
      else if (st.state === 'dismissed') dismissed.push(email)
      else unknownEmails.push(email)
    }
  }
  for (const id of sheetIds) {
    const st = cache.ids.get(id)
    if (!st) continue
    if (st.state === 'active') {
      names[id] = st.name
    } else if (id === owner) {
      ownerBad = `#${id}`
    } else if (st.state === 'dismissed') {
      dismissed.push(`#${id} (${st.name})`)
    } else {
      unknownIds.push(String(id))
    }
  }
  if (unknownEmails.length) problems.push(makeProblem('USERS', 'EMAIL_UNKNOWN', { email: listOf(unknownEmails) }))
  if (unknownIds.length) problems.push(makeProblem('USERS', 'USER_UNKNOWN', { id: listOf(unknownIds) }))
  if (dismissed.length) problems.push(makeProblem('USERS', 'USER_DISMISSED', { who: listOf(dismissed) }))
  if (ownerBad) problems.push(makeProblem('OWNER', 'OWNER_UNKNOWN', { who: ownerBad }))

  row.live = { resolved, names }
  if (addedUsers.length) row.live.addedUsers = addedUsers
  if (ids.length) row.params.USERS = ids
  else delete row.params.USERS
  if (owner !== undefined) row.owner = owner

  const pk = pairKey(row)
  const existing = pk ? cache.pairs.get(pk) : undefined
  if (typeof existing === 'number') {
    row.live.existingChatId = existing
    problems.push(makeProblem('ENTITY_ID', 'CHAT_EXISTS', { id: existing }))
  }
  row.problems = problems
  if (!cache.colorsEnabled) {
    delete row.titleNames
    Object.assign(row, titlePreview(row, { colorsEnabled: false }))
  }
  row.status = statusOf(problems)
}

/**
 * Resolves every e-mail and id of the sheet with user.get (batched, ACTIVE users only), looks up rows with an
 * entity pair with im.chat.get, and fills `row.live` and the live problems. A portal failure becomes a
 * file-level LIVE_FAILED warning (rows the portal did answer for keep their verdicts); cancelling rethrows.
 */
export async function liveCheck(sheet: Sheet, caller: RestCaller, opts: { signal?: AbortSignal; colorsEnabled?: boolean } = {}): Promise<Sheet> {
  const signal = opts.signal
  const cache: LiveCache = { emails: new Map(), ids: new Map(), pairs: new Map(), colorsEnabled: opts.colorsEnabled ?? sheet.ctx.colorsEnabled }
  const emails = new Set<string>()
  const ids = new Set<number>()
  const pairs = new Map<string, { type: string; id: string }>()
  for (const row of sheet.eachRow()) {
    for (const e of row.emails) emails.add(e)
    const added = new Set(row.live?.addedUsers ?? [])
    for (const id of row.params.USERS ?? []) if (!added.has(id)) ids.add(id)
    const pk = pairKey(row)
    if (pk) pairs.set(pk, { type: row.params.ENTITY_TYPE!, id: row.params.ENTITY_ID! })
  }
  const errors: string[] = []
  sheet.fileProblems = sheet.fileProblems.filter((p) => p.code !== 'LIVE_FAILED')
  try {
    const emailList = [...emails]
    cache.emails = await resolveUsers(caller, emailList, (e) => ({ EMAIL: e }), (e) => (u) => typeof u.EMAIL === 'string' && u.EMAIL.toLowerCase() === e, signal, errors)
    const idList = [...ids]
    cache.ids = await resolveUsers(caller, idList, (id) => ({ ID: id }), (id) => (u) => Number(u.ID) === id, signal, errors)
    const pairList = [...pairs]
    const found = await runBatched(caller, pairList.map(([, p], i) => [`c${i}`, ['im.chat.get', { ENTITY_TYPE: p.type, ENTITY_ID: p.id }]]), signal, errors)
    pairList.forEach(([pk], i) => {
      if (!found.has(`c${i}`)) return
      const r = found.get(`c${i}`) as { ID?: number | string } | null
      const chatId = r && typeof r === 'object' && r.ID !== undefined ? Number(r.ID) : null
      cache.pairs.set(pk, chatId && Number.isFinite(chatId) ? chatId : null)
    })
  } catch (e) {
    if (signal?.aborted) throw e
    const reason = e instanceof AppFailure ? e.appError.message : e instanceof Error ? e.message : String(e)
    errors.unshift(reason)
  }
  if (errors.length) sheet.fileProblems.push(makeProblem('FILE', 'LIVE_FAILED', { reason: redact(errors[0]!).slice(0, 300) }))
  caches.set(sheet, cache)
  for (let i = 0; i < sheet.length; i++) {
    const row = sheet.ownRow(i)
    applyLive(row, cache)
    sheet.setRow(i, row)
  }
  sheet.applyCross()
  return sheet
}
