/**
 * Per-field normalisation and validation: pure, synchronous, no I/O. Each returns the normalised value(s) and
 * the problems for that field. Used by the sheet rows and by the Compose form alike.
 */
import { COLOR_CODES, COLORS, LIMITS } from '../../shared/chat'
import type { ChatType, ColorCode } from '../../shared/chat'
import type { Problem } from '../../shared/sheet'
import { makeProblem } from '../../shared/problems'

const squash = (s: string): string => s.toLowerCase().replace(/ё/g, 'е').replace(/[\s_-]+/g, ' ').trim()

/** Code points, not UTF-16 units (the server counts characters). */
export function charLength(s: string): number {
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--
        i++
      }
    }
  }
  return n
}

/** CRLF and lone CR → LF (the portal's messages use LF); everything else verbatim. */
export const normalizeBreaks = (s: string): string => (s.indexOf('\r') === -1 ? s : s.replace(/\r\n?/g, '\n'))

// ── USERS / OWNER ─────────────────────────────────────────────────────────────────────────────────────────

const EMAIL_RE = /^[^\s@<>(),;:"[\]]+@[^\s@<>(),;:"[\]]+\.[^\s@<>(),;:"[\]]+$/
const MAX_USER_ID = 2_147_483_647

export type UserRef = { id: number } | { email: string } | { invalid: string }

/** The value of 1–10 ASCII digits (what `/^\d{1,10}$/` accepts), read in the same pass; -1 for anything else. */
function shortDigits(token: string): number {
  const n = token.length
  if (n === 0 || n > 10) return -1
  let value = 0
  for (let i = 0; i < n; i++) {
    const c = token.charCodeAt(i)
    if (c < 48 || c > 57) return -1
    value = value * 10 + (c - 48)
  }
  return value
}

export function parseUserToken(token: string): UserRef {
  const id = shortDigits(token)
  if (id !== -1) return id > 0 && id <= MAX_USER_ID ? { id } : { invalid: token }
  const email = emailOf(token)
  return email === null ? { invalid: token } : { email }
}

/** The normalised e-mail of a non-numeric token, or null when it is not one (the slow path of the cache below). */
export function emailOfUncached(token: string): string | null {
  const t = token.startsWith('mailto:') ? token.slice(7) : token
  return EMAIL_RE.test(t) ? t.toLowerCase() : null
}

/**
 * Token → normalised e-mail (null: not an e-mail). A sheet repeats the same addresses on many rows: each distinct
 * token is checked and lowercased once, and every row shares the one normalised string. Bounded: cleared when full.
 */
const EMAIL_CACHE = new Map<string, string | null>()
const EMAIL_CACHE_MAX = 20_000

function emailOf(token: string): string | null {
  const hit = EMAIL_CACHE.get(token)
  if (hit !== undefined) return hit
  const email = emailOfUncached(token)
  if (token.length <= 320) {
    if (EMAIL_CACHE.size >= EMAIL_CACHE_MAX) EMAIL_CACHE.clear()
    EMAIL_CACHE.set(token, email)
  }
  return email
}

/** `ids` and `emails` may be a shared empty array: copy before adding. */
export interface UsersValue {
  ids: number[]
  emails: string[]
}

/** Separators between users: comma, semicolon, any whitespace (NBSP and the other Unicode spaces too). */
const isSepSlow = (c: number): boolean =>
  c === 44 || c === 59 || c === 32 || (c >= 9 && c <= 13) || c === 160 || c === 0x1680 || (c >= 0x2000 && c <= 0x200b) ||
  c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff

/**
 * What an ASCII character is to a USERS token, as a table: one load per character of the hot loop instead of a
 * dozen comparisons. SEP: a separator (isSepSlow); DIGIT; AT and DOT of an e-mail; PLAIN: any other character a
 * plain e-mail may hold (EMAIL_RE allows it and it is not upper case); OTHER: the rest.
 */
const SEP = 1
const DIGIT = 2
const AT = 3
const DOT = 4
const PLAIN = 5
const OTHER = 0
const USER_CHAR = Uint8Array.from({ length: 128 }, (_, c) => {
  const ch = String.fromCharCode(c)
  if (isSepSlow(c)) return SEP
  if (c >= 48 && c <= 57) return DIGIT
  if (ch === '@') return AT
  if (ch === '.') return DOT
  return /[^\s@<>(),;:"[\]A-Z]/.test(ch) ? PLAIN : OTHER
})

/** FNV-1a over a string's UTF-16 units, from `h` (0x811c9dc5 to start): the cross-row hashes are made of it. */
export const fnv = (h: number, s: string): number => {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return h
}

/** The shared "none" (frozen: a stray push throws instead of corrupting every row). */
const NONE: never[] = Object.freeze([]) as unknown as never[]

/** Reused result (the hot path makes no garbage object per row): read it before the next call. */
const USERS_OUT: UsersValue = { ids: NONE, emails: NONE }

/** Scratch lists reused by every call (only the first nIds / nEmails entries are this call's); the results are
 * exact-size copies (no spare capacity kept per row). */
const ID_SCRATCH: number[] = []
const EMAIL_SCRATCH: string[] = []
/** `fnv` of each e-mail in EMAIL_SCRATCH (a plain e-mail's is made while it is scanned). */
const EMAIL_HASH_SCRATCH: number[] = []

/**
 * Ids and/or e-mails separated by commas, semicolons, spaces or line breaks; problems go to `problems`.
 * The returned object is reused by the next call: take its arrays before calling again.
 */
export function parseUsers(raw: string, problems: Problem[]): UsersValue {
  if (raw === '') {
    USERS_OUT.ids = NONE
    USERS_OUT.emails = NONE
    return USERS_OUT
  }
  scanUsers(raw, problems)
  const nEmails = USERS_SCAN.nEmails
  USERS_OUT.ids = ID_SCRATCH.slice(0, USERS_SCAN.nIds)
  USERS_OUT.emails = nEmails ? EMAIL_SCRATCH.slice(0, nEmails) : NONE
  return USERS_OUT
}

/**
 * What the last `scanUsers` read: the first `nIds` entries of `ids` and the first `nEmails` of `emails` (reused
 * lists, overwritten by the next call; a caller may append one entry of its own at the end).
 */
export const USERS_SCAN = { ids: ID_SCRATCH, nIds: 0, emails: EMAIL_SCRATCH, emailHashes: EMAIL_HASH_SCRATCH, nEmails: 0 }

/**
 * `parseUsers` without the copies (checking a record needs only the counts and a hash of the members): the
 * same ids, e-mails and problems, left in `USERS_SCAN`.
 */
export function scanUsers(raw: string, problems: Problem[]): void {
  const ids = ID_SCRATCH
  const emails = EMAIL_SCRATCH
  const hashes = EMAIL_HASH_SCRATCH
  let nIds = 0
  let nEmails = 0
  let invalid: string[] | undefined
  let idSet: Set<number> | undefined
  const n = raw.length
  let i = 0
  while (i < n) {
    let c = raw.charCodeAt(i)
    if (c < 128 ? USER_CHAR[c] === SEP : isSepSlow(c)) {
      i++
      continue
    }
    // One pass over the token: its value as an id while it is all digits, and whether it is a plain e-mail
    // (lower-case ASCII that EMAIL_RE accepts, its own normalised form: no slice to hash, no cache look-up).
    const start = i
    let id = 0
    let digits = true
    let plain = true
    let at = -1
    // The first '.' of the domain with a character of the domain before it.
    let dot = -1
    // fnv of the token (what it is as a plain e-mail), made in the same pass.
    let hash = 0x811c9dc5
    for (; i < n; i++) {
      c = raw.charCodeAt(i)
      if (c < 128) {
        const kind = USER_CHAR[c]
        if (kind === DIGIT) {
          if (digits) id = id * 10 + (c - 48)
          hash = Math.imul(hash ^ c, 16777619)
          continue
        }
        if (kind === SEP) break
        hash = Math.imul(hash ^ c, 16777619)
        digits = false
        if (kind === PLAIN) continue
        if (kind === AT) {
          if (at === -1) at = i
          else plain = false
        } else if (kind === DOT) {
          if (at !== -1 && dot === -1 && i > at + 1) dot = i
        } else plain = false
      } else if (isSepSlow(c)) break
      else {
        digits = false
        plain = false
      }
    }
    if (digits && i - start <= 10) {
      if (id > 0 && id <= MAX_USER_ID) {
        if (nIds > 32 && !idSet) idSet = new Set(ids.slice(0, nIds))
        let seen = false
        if (idSet) seen = idSet.has(id)
        else for (let k = 0; k < nIds; k++) if (ids[k] === id) seen = true
        if (!seen) {
          ids[nIds++] = id
          idSet?.add(id)
        }
        continue
      }
    }
    // Not a short positive id: an e-mail, or a long / zero id that is invalid (no wrapper object per token).
    // EMAIL_RE on a plain token: a local part, '@', a domain with a '.' that is neither its first nor its last character.
    const isPlain = !digits && plain && at > start && dot !== -1 && dot < i - 1
    const email = digits ? null : isPlain ? raw.slice(start, i) : emailOf(raw.slice(start, i))
    if (email !== null) {
      if (!isPlain) hash = fnv(0x811c9dc5, email)
      let seen = false
      for (let k = 0; k < nEmails; k++) if (hashes[k] === hash && emails[k] === email) seen = true
      if (!seen) {
        hashes[nEmails] = hash
        emails[nEmails++] = email
      }
    } else {
      ;(invalid ??= []).push(raw.slice(start, i))
    }
  }
  USERS_SCAN.nIds = nIds
  USERS_SCAN.nEmails = nEmails
  // The scratch lists are not truncated: `length = 0` would free their backing store, and the next row would
  // allocate a new one. Stale entries past the counts are never read.
  if (invalid) {
    const shown = invalid.slice(0, 5).map((v) => `"${v.length > 60 ? `${v.slice(0, 57)}…` : v}"`).join(', ') + (invalid.length > 5 ? ` (+${invalid.length - 5})` : '')
    problems.push(makeProblem('USERS', 'USERS_INVALID', { values: shown }))
  }
}

export function parseOwner(raw: string, problems: Problem[]): number | string | undefined {
  if (raw === '') return undefined
  const quick = shortDigits(raw)
  if (quick > 0 && quick <= MAX_USER_ID) return quick
  const v = raw.trim()
  if (!v) return undefined
  const id = v === raw ? quick : shortDigits(v)
  if (id !== -1) {
    if (id > 0 && id <= MAX_USER_ID) return id
  } else {
    const email = emailOf(v)
    if (email !== null) return email
  }
  problems.push(makeProblem('OWNER', 'OWNER_INVALID', { value: v.length > 80 ? `${v.slice(0, 77)}…` : v }))
  return undefined
}

// ── TYPE ──────────────────────────────────────────────────────────────────────────────────────────────────

const TYPES = new Map<string, ChatType>([
  ['open', 'OPEN'], ['o', 'OPEN'], ['open chat', 'OPEN'], ['public', 'OPEN'],
  ['открытый', 'OPEN'], ['открытый чат', 'OPEN'], ['открытая', 'OPEN'], ['открытый канал', 'OPEN'],
  ['chat', 'CHAT'], ['c', 'CHAT'], ['closed', 'CHAT'], ['closed chat', 'CHAT'], ['private', 'CHAT'],
  ['закрытый', 'CHAT'], ['закрытый чат', 'CHAT'], ['закрытая', 'CHAT'], ['чат', 'CHAT'],
])

export function parseType(raw: string, problems: Problem[]): ChatType {
  if (raw === 'CHAT' || raw === '') return 'CHAT'
  if (raw === 'OPEN') return 'OPEN'
  const v = raw.trim()
  if (!v) return 'CHAT'
  const t = TYPES.get(squash(v))
  if (t) return t
  problems.push(makeProblem('TYPE', 'TYPE_INVALID', { value: v.length > 60 ? `${v.slice(0, 57)}…` : v }))
  return 'CHAT'
}

// ── COLOR ─────────────────────────────────────────────────────────────────────────────────────────────────

const COLOR_INDEX = new Map<string, ColorCode>()
for (const code of COLOR_CODES) {
  const c = COLORS[code]
  COLOR_INDEX.set(squash(code), code)
  COLOR_INDEX.set(squash(c.en), code)
  COLOR_INDEX.set(squash(c.ru), code)
  COLOR_INDEX.set(c.hex.toLowerCase(), code)
  COLOR_INDEX.set(c.hex.slice(1).toLowerCase(), code)
}
for (const [alias, code] of [
  ['gray', 'GRAY'], ['grey', 'GRAY'], ['light blue', 'LIGHT_BLUE'], ['dark blue', 'DARK_BLUE'], ['blue', 'DARK_BLUE'],
  ['turquoise', 'AQUA'], ['бирюза', 'AQUA'], ['темно синий', 'DARK_BLUE'], ['светло синий', 'LIGHT_BLUE'], ['салатовый', 'LIME'],
] as const) COLOR_INDEX.set(alias, code)

export const COLOR_LIST = COLOR_CODES.join(', ')

const COLOR_EXACT = new Map<string, ColorCode>(COLOR_CODES.map((c) => [c, c]))

export function parseColor(raw: string, problems: Problem[]): ColorCode | undefined {
  const exact = COLOR_EXACT.get(raw)
  if (exact) return exact
  const v = raw.trim()
  if (!v) return undefined
  const key = squash(v)
  const code = COLOR_INDEX.get(key)
  if (code) return code
  if (key === 'orange' || key === 'оранжевый' || key === '#e8a441') problems.push(makeProblem('COLOR', 'COLOR_UNSAFE'))
  else problems.push(makeProblem('COLOR', 'COLOR_INVALID', { value: v.length > 60 ? `${v.slice(0, 57)}…` : v, list: COLOR_LIST }))
  return undefined
}

// ── TITLE / texts ─────────────────────────────────────────────────────────────────────────────────────────

export function parseTitle(raw: string, problems: Problem[]): string | undefined {
  const v = normalizeBreaks(raw.trim())
  if (!v) return undefined
  if (v.length > LIMITS.TITLE) {
    const length = charLength(v)
    if (length > LIMITS.TITLE) problems.push(makeProblem('TITLE', 'TITLE_TOO_LONG', { length, limit: LIMITS.TITLE }))
  }
  if (v.includes('\n')) problems.push(makeProblem('TITLE', 'TITLE_MULTILINE'))
  return v
}

export const MESSAGE_LIMIT = 20_000

/** DESCRIPTION and MESSAGE as sent: verbatim apart from line breaks; blank → undefined (not sent). */
export function textValue(raw: string): string | undefined {
  return !raw || !raw.trim() ? undefined : normalizeBreaks(raw)
}

/**
 * The problems of a DESCRIPTION or MESSAGE cell, apart from its value (`textValue`): the import validates every
 * row but builds none, so a text is normalised only when its row is built. A cell no longer than the limit needs
 * no look at all (normalising only shortens a text).
 */
export function checkText(raw: string, field: 'DESCRIPTION' | 'MESSAGE', problems: Problem[]): void {
  if (raw.length <= MESSAGE_LIMIT) return
  const text = textValue(raw)
  if (text !== undefined && text.length > MESSAGE_LIMIT) {
    const length = charLength(text)
    if (length > MESSAGE_LIMIT) problems.push(makeProblem(field, 'MESSAGE_LONG', { what: field, length, limit: MESSAGE_LIMIT }))
  }
}

export function parseCopilotRole(raw: string, problems: Problem[]): string | undefined {
  const v = raw.trim()
  if (!v) return undefined
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(v)) problems.push(makeProblem('COPILOT_MAIN_ROLE', 'COPILOT_ROLE_FORMAT', { value: v.length > 60 ? `${v.slice(0, 57)}…` : v }))
  return v
}

// ── ENTITY_TYPE / ENTITY_ID ───────────────────────────────────────────────────────────────────────────────

/** The documented Bitrix24 entity types (doc page im.chat.add). */
export const BITRIX_ENTITY_TYPES = ['VIDEOCONF', 'AI_ASSISTANT_PRIVATE', 'LINES', 'LIVECHAT', 'ANNOUNCEMENT', 'CALENDAR', 'MAIL', 'CRM', 'SONET_GROUP', 'TASKS', 'CALL'] as const

const NUMERIC = /^\d{1,18}$/
const ENTITY_FORMATS: Record<string, { re: RegExp; example: string }> = {
  CRM: { re: /^(LEAD|DEAL|CONTACT|COMPANY|QUOTE|INVOICE|SMART_INVOICE|ORDER|DYNAMIC_\d+)\|\d+$/, example: 'DEAL|1663, LEAD|13 or DYNAMIC_128|5' },
  LINES: { re: /^[^|\s]+\|\d+\|[^|]+\|[^|]+$/, example: 'telegrambot|2|209607941|744' },
  LIVECHAT: { re: /^[^|\s]+\|\d+$/, example: 'livechat|2' },
  TASKS: { re: NUMERIC, example: '8293' },
  CALENDAR: { re: NUMERIC, example: '512' },
  SONET_GROUP: { re: NUMERIC, example: '17' },
}

/** Types whose chats Bitrix24 modules create and manage themselves: reusing them by hand breaks things. */
const RESERVED: Record<string, { en: string; ru: string }> = {
  SONET_GROUP: {
    en: 'a hand-made chat with a group\'s pair breaks that group\'s task chats. Use your own ENTITY_TYPE.',
    ru: 'созданный вручную чат с парой группы ломает чаты задач этой группы. Используйте свой ENTITY_TYPE.',
  },
  TASKS: {
    en: 'the Tasks module expects one chat per task that it creates itself; a second one confuses it. Use your own ENTITY_TYPE.',
    ru: 'модуль «Задачи» сам создаёт по одному чату на задачу; второй чат его запутает. Используйте свой ENTITY_TYPE.',
  },
  LINES: {
    en: 'Open Channels create and close these chats for operator sessions; a hand-made one is not tied to a session.',
    ru: 'Открытые линии сами создают и закрывают такие чаты для сессий операторов; созданный вручную не связан с сессией.',
  },
  LIVECHAT: {
    en: 'Open Channels create these chats for website visitors; a hand-made one is not tied to a visitor.',
    ru: 'Открытые линии создают такие чаты для посетителей сайта; созданный вручную не связан с посетителем.',
  },
  VIDEOCONF: { en: 'video conferences create their own chats; a hand-made one has no conference behind it.', ru: 'видеоконференции создают свои чаты сами; у созданного вручную нет конференции.' },
  CALL: { en: 'calls create their own chats; a hand-made one has no call behind it.', ru: 'звонки создают свои чаты сами; у созданного вручную нет звонка.' },
  AI_ASSISTANT_PRIVATE: { en: 'the AI assistant manages these private chats itself.', ru: 'ИИ-ассистент сам управляет такими личными чатами.' },
  ANNOUNCEMENT: { en: 'announcement chats are managed by the portal; a hand-made one may behave unexpectedly.', ru: 'чаты объявлений управляются порталом; созданный вручную может вести себя неожиданно.' },
}

export interface EntityValue {
  entityType: string | undefined
  entityId: string | undefined
}

/** Reused result, like parseUsers': read it before the next call. */
const ENTITY_OUT: EntityValue = { entityType: undefined, entityId: undefined }

export function parseEntity(rawType: string, rawId: string, problems: Problem[]): EntityValue {
  const out = ENTITY_OUT
  out.entityType = undefined
  out.entityId = undefined
  if (!rawType && !rawId) return out
  const type = rawType.trim()
  const id = rawId.trim()
  if (type) {
    out.entityType = type
    const tLen = charLength(type)
    if (tLen > LIMITS.ENTITY_TYPE) problems.push(makeProblem('ENTITY_TYPE', 'ENTITY_TYPE_TOO_LONG', { length: tLen, limit: LIMITS.ENTITY_TYPE }))
    if (/[a-z]/.test(type)) {
      const upper = type.toUpperCase()
      if ((BITRIX_ENTITY_TYPES as readonly string[]).includes(upper)) problems.push(makeProblem('ENTITY_TYPE', 'ENTITY_TYPE_CASE', { value: type, upper }))
    }
    const reserved = Object.hasOwn(RESERVED, type) ? RESERVED[type] : undefined
    if (reserved) problems.push(makeProblem('ENTITY_TYPE', 'ENTITY_TYPE_RESERVED', { type, reason: reserved.en, reasonRu: reserved.ru }))
  }
  if (id) {
    out.entityId = id
    const iLen = id.length > LIMITS.ENTITY_ID ? charLength(id) : id.length
    if (iLen > LIMITS.ENTITY_ID) problems.push(makeProblem('ENTITY_ID', 'ENTITY_ID_TOO_LONG', { length: iLen, limit: LIMITS.ENTITY_ID }))
  }
  if (type && id) {
    const fmt = Object.hasOwn(ENTITY_FORMATS, type) ? ENTITY_FORMATS[type] : undefined
    if (fmt && !fmt.re.test(id)) problems.push(makeProblem('ENTITY_ID', 'ENTITY_ID_FORMAT', { type, example: fmt.example, value: id.length > 60 ? `${id.slice(0, 57)}…` : id }))
  } else if (type || id) {
    problems.push(makeProblem(type ? 'ENTITY_ID' : 'ENTITY_TYPE', 'ENTITY_PAIR_INCOMPLETE', type ? { present: 'ENTITY_TYPE', missing: 'ENTITY_ID' } : { present: 'ENTITY_ID', missing: 'ENTITY_TYPE' }))
  }
  return out
}
