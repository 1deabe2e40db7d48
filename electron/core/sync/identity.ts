/**
 * What makes a chat "the same" (README: "What makes a chat 'the same'"). A row's identity is derived from what
 * defines its chat, never from the job, the file or the data folder, so a re-send, a re-opened or edited copy of
 * the sheet, another data folder or another computer on the same portal all arrive at the same identity:
 *
 *   - a row with its own ENTITY_TYPE + ENTITY_ID:  `pair:<TYPE>\0<ID>` (the pair already names the chat);
 *   - a row with a title:                         `title:<normalised title>#<n>`, n = how many rows above it in
 *     the sheet have the same normalised title (so two "Support" rows are two chats, the first and the second);
 *   - a row without a title (the portal names it): `content:<hash of TYPE, members, description, message,
 *     colour, avatar, owner>#<n>`.
 *
 * A copy the user asks for explicitly gets `<identity>+copy:<job id>`: a new identity of its own, tracked too.
 * The tool tags each chat it creates with ENTITY_TYPE `B24CHATADMIN` and ENTITY_ID `c1-<40 hex of sha256(identity)>`
 * (keys.ts), which is what the portal lookup finds. Field hashes of the values sent are kept with every created
 * row so a later send can say which fields differ ("created earlier as chat N with other values").
 */
import { createHash } from 'node:crypto'
import type { ChatParams } from '../../shared/chat'

/** The fields compared for "created with other values", in the order they are reported. */
export const IDENTITY_FIELDS = ['TITLE', 'TYPE', 'USERS', 'OWNER', 'DESCRIPTION', 'MESSAGE', 'COLOR', 'AVATAR', 'ENTITY_TYPE', 'ENTITY_ID', 'COPILOT_MAIN_ROLE'] as const
export type IdentityField = (typeof IDENTITY_FIELDS)[number]
export type FieldHashes = Partial<Record<IdentityField, string>>

/** What the identity and the field hashes are computed from (a SheetRow and a stored JobRow both fit). */
export interface IdentitySource {
  params: ChatParams
  emails: readonly string[]
  owner?: number | string
  /** Ids a live dry run added to params.USERS from the e-mails (left out: the e-mails stand for them). */
  live?: { addedUsers?: readonly number[] }
  addedUsers?: readonly number[]
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex')

/** Title as a person reads it: Unicode-normalised (NFKC), trimmed, inner white space collapsed, lower case. */
export function normaliseTitle(title: string): string {
  return title.normalize('NFKC').trim().replace(/\s+/gu, ' ').toLowerCase()
}

function ownPair(p: ChatParams): string | null {
  const t = p.ENTITY_TYPE?.trim()
  const i = p.ENTITY_ID?.trim()
  return t && i ? `${t}\u0000${i}` : null
}

function members(src: IdentitySource): string {
  const added = new Set(src.addedUsers ?? src.live?.addedUsers ?? [])
  const ids = (src.params.USERS ?? []).filter((id) => !added.has(id)).map(String)
  const emails = src.emails.map((e) => e.trim().toLowerCase())
  return [...new Set([...ids, ...emails])].sort().join(',')
}

function ownerOf(src: IdentitySource): string {
  return src.owner === undefined || src.owner === '' ? '' : String(src.owner).trim().toLowerCase()
}

/** One short hash per field of what would be sent (members and owner as the sheet names them). */
export function fieldHashes(src: IdentitySource): FieldHashes {
  const p = src.params
  const value: Record<IdentityField, string> = {
    TITLE: p.TITLE ? normaliseTitle(p.TITLE) : '',
    TYPE: p.TYPE === 'OPEN' ? 'OPEN' : 'CHAT',
    USERS: members(src),
    OWNER: ownerOf(src),
    DESCRIPTION: p.DESCRIPTION?.trim() ?? '',
    MESSAGE: p.MESSAGE?.trim() ?? '',
    COLOR: p.COLOR ?? '',
    AVATAR: p.AVATAR ?? '',
    ENTITY_TYPE: p.ENTITY_TYPE?.trim() ?? '',
    ENTITY_ID: p.ENTITY_ID?.trim() ?? '',
    COPILOT_MAIN_ROLE: p.COPILOT_MAIN_ROLE?.trim() ?? '',
  }
  const out: FieldHashes = {}
  for (const f of IDENTITY_FIELDS) out[f] = sha(`${f}\u0000${value[f]}`).slice(0, 12)
  return out
}

/** The fields whose values differ between what was sent then and what a row holds now. */
export function differingFields(then: FieldHashes | undefined, now: FieldHashes): IdentityField[] {
  if (!then) return []
  return IDENTITY_FIELDS.filter((f) => then[f] !== undefined && then[f] !== now[f])
}

/** The part of an identity before its occurrence index. */
function stem(src: IdentitySource): string {
  const pair = ownPair(src.params)
  if (pair) return `pair:${pair}`
  const title = src.params.TITLE ? normaliseTitle(src.params.TITLE) : ''
  if (title) return `title:${title}`
  const h = fieldHashes(src)
  return `content:${sha([h.TYPE, h.USERS, h.OWNER, h.DESCRIPTION, h.MESSAGE, h.COLOR, h.AVATAR, h.COPILOT_MAIN_ROLE].join('|')).slice(0, 24)}`
}

/**
 * The identities of a sheet's rows, in sheet order (every row counts, rows with errors too, so fixing one row
 * does not shift the others). Rows with their own entity pair carry no occurrence index: the pair is the name.
 */
export function rowIdentities(rows: Iterable<IdentitySource>): string[] {
  const seen = new Map<string, number>()
  const out: string[] = []
  for (const row of rows) {
    const s = stem(row)
    if (s.startsWith('pair:')) {
      out.push(s)
      continue
    }
    const n = seen.get(s) ?? 0
    seen.set(s, n + 1)
    out.push(`${s}#${n}`)
  }
  return out
}

/** The identity of an explicit copy: tracked on its own from then on. */
export function copyIdentity(identity: string, salt: string): string {
  return `${identity}+copy:${salt}`
}

/** The ENTITY_ID the tool tags a chat with (≤ 255 characters whatever the title). */
export function entityIdFor(identity: string): string {
  return `c1-${sha(identity).slice(0, 40)}`
}
