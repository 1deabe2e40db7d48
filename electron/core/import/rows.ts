/**
 * Cells → SheetRow: runs the field validators, builds the exact im.chat.add params, the title/colour preview and
 * the row status; plus the cross-row checks (duplicate rows, duplicate entity pairs) and the summary.
 */
import type { ChatField, ChatParams } from '../../shared/chat'
import { COLOR_CODES, COLORS, LIMITS } from '../../shared/chat'
import type { ColorCode } from '../../shared/chat'
import type { Problem, ReadingNote, RowStatus, SheetRow, TitleKind } from '../../shared/sheet'
import { CROSS_ROW_CODES, makeProblem } from '../../shared/problems'
import type { AvatarResult } from './avatar'
import { USERS_SCAN, checkText, fnv, parseColor, parseCopilotRole, parseEntity, parseOwner, parseTitle, parseType, parseUsers, scanUsers, textValue } from './fields'

export interface RowOptions {
  /** False when the portal has chat colours turned off: auto-titles are then "Chat with <names>". */
  colorsEnabled?: boolean
}

export function statusOf(problems: readonly Problem[]): RowStatus {
  // Indexed loops in the per-row paths: a for-of that V8 has not optimised yet allocates an iterator per call.
  for (let i = 0; i < problems.length; i++) if (problems[i]!.severity === 'error') return 'error'
  return problems.length ? 'warning' : 'ready'
}

const EMPTY_MEMBERS_TITLE = 'Chat'

/** What a title will look like (English), whether the portal makes it up, and how (`titleKind`). */
export interface TitleInfo {
  titlePreview: string
  titleGenerated: boolean
  titleKind: TitleKind
  titleNames?: string[]
}

/** What the title will look like, and whether the portal makes it up. */
export function titlePreview(row: Pick<SheetRow, 'params' | 'emails' | 'color' | 'live'>, opts: RowOptions = {}): TitleInfo {
  if (row.params.TITLE) return { titlePreview: row.params.TITLE, titleGenerated: false, titleKind: 'given' }
  if (opts.colorsEnabled === false) {
    const names = (row.params.USERS ?? []).map((id) => row.live?.names[id] ?? `#${id}`)
    for (const e of row.emails) if (row.live?.resolved[e] == null) names.push(e)
    if (!names.length) return { titlePreview: EMPTY_MEMBERS_TITLE, titleGenerated: true, titleKind: 'plain' }
    const text = `Chat with ${names.join(', ')}`
    return { titlePreview: text.length > LIMITS.TITLE ? text.slice(0, LIMITS.TITLE) : text, titleGenerated: true, titleKind: 'withMembers', titleNames: names }
  }
  // The portal numbers auto-titles with a per-colour counter only it knows.
  return row.color ? AUTO_TITLES[row.color] : AUTO_TITLE_ANY
}

const AUTO_TITLE_ANY: TitleInfo = Object.freeze({ titlePreview: 'Chat #… (colour picked by the portal, round-robin)', titleGenerated: true, titleKind: 'autoNumbered' as const })
const AUTO_TITLES = Object.fromEntries(
  COLOR_CODES.map((c) => [c, Object.freeze({ titlePreview: `${COLORS[c].en} Chat #…`, titleGenerated: true, titleKind: 'colorNumbered' as const })]),
) as Record<ColorCode, TitleInfo>

/** Field → column index of the cells array. */
export type FieldIndex = Partial<Record<ChatField, number>>

/** A FieldIndex compiled to plain numbers (-1: unmapped) for the per-row hot path. */
export interface FieldPlan {
  users: number; type: number; title: number; description: number; color: number; message: number
  avatar: number; entityType: number; entityId: number; copilot: number; owner: number
  /** Columns of every mapped field. */
  mapped: number[]
}

export function compilePlan(index: FieldIndex): FieldPlan {
  const at = (f: ChatField): number => index[f] ?? -1
  return {
    users: at('USERS'), type: at('TYPE'), title: at('TITLE'), description: at('DESCRIPTION'), color: at('COLOR'), message: at('MESSAGE'),
    avatar: at('AVATAR'), entityType: at('ENTITY_TYPE'), entityId: at('ENTITY_ID'), copilot: at('COPILOT_MAIN_ROLE'), owner: at('OWNER'),
    mapped: Object.values(index).filter((i): i is number => typeof i === 'number'),
  }
}

function cell(fields: readonly string[], i: number): string {
  return i < 0 ? '' : (fields[i] ?? '')
}

/** The row's AVATAR cell, trimmed ('' when there is none): `applyAvatar` resolves it after `buildRow`. */
export function avatarCellOf(fields: readonly string[], plan: FieldPlan): string {
  const raw = cell(fields, plan.avatar)
  return raw === '' ? '' : raw.trim()
}

/**
 * `im.chat.add` params laid out in their fixed key order (absent fields are absent keys). A constructor, not a
 * growing `{}`, so V8 allocates the object once with room for every key (no out-of-object property array per
 * row); its prototype is Object.prototype, so the result is an ordinary plain object.
 */
const Params = function (
  this: ChatParams,
  users: number[] | undefined, type: ChatParams['TYPE'], title: string | undefined, desc: string | undefined, color: ColorCode | undefined,
  msg: string | undefined, entityType: string | undefined, entityId: string | undefined, role: string | undefined,
): void {
  if (users !== undefined) this.USERS = users
  this.TYPE = type
  if (title !== undefined) this.TITLE = title
  if (desc !== undefined) this.DESCRIPTION = desc
  if (color !== undefined) this.COLOR = color
  if (msg !== undefined) this.MESSAGE = msg
  if (entityType !== undefined) this.ENTITY_TYPE = entityType
  if (entityId !== undefined) this.ENTITY_ID = entityId
  if (role !== undefined) this.COPILOT_MAIN_ROLE = role
} as unknown as new (
  users: number[] | undefined, type: ChatParams['TYPE'], title: string | undefined, desc: string | undefined, color: ColorCode | undefined,
  msg: string | undefined, entityType: string | undefined, entityId: string | undefined, role: string | undefined,
) => ChatParams
;(Params as unknown as { prototype: object }).prototype = Object.prototype

/**
 * A SheetRow, keys in their documented order (`owner` and `color` only when set). A constructor rather than an
 * object literal: V8 tenures the objects of a literal that mostly survives straight into the old generation,
 * and then every pointer from such a row to its (young) cells, params and problems costs a write barrier and a
 * remembered-set entry; measured, that made the literal several times slower than this. The prototype is
 * Object.prototype, so a row is an ordinary plain object.
 */
const Row = function (
  this: SheetRow,
  key: string, line: number, cells: Record<string, string>, status: SheetRow['status'], params: ChatParams, emails: string[],
  titlePreview: string, titleGenerated: boolean, titleKind: TitleKind, problems: Problem[], owner: number | string | undefined, color: ColorCode | undefined,
): void {
  this.key = key
  this.line = line
  this.cells = cells
  this.status = status
  this.params = params
  this.emails = emails
  this.titlePreview = titlePreview
  this.titleGenerated = titleGenerated
  this.titleKind = titleKind
  this.colorAuto = !color
  this.problems = problems
  if (owner !== undefined) this.owner = owner
  if (color) this.color = color
} as unknown as new (
  key: string, line: number, cells: Record<string, string>, status: SheetRow['status'], params: ChatParams, emails: string[],
  titlePreview: string, titleGenerated: boolean, titleKind: TitleKind, problems: Problem[], owner: number | string | undefined, color: ColorCode | undefined,
) => SheetRow
;(Row as unknown as { prototype: object }).prototype = Object.prototype

/**
 * The problems of a row that has none: one shared, frozen list (most rows of a good sheet), so a 100k-row sheet
 * does not keep 100k empty arrays. Code that adds a problem to a row assigns a new list (`withProblem`).
 */
export const NO_PROBLEMS: Problem[] = Object.freeze([]) as unknown as Problem[]
/** The members of a verdict from `checkRecord` (not copied out): shared frozen empty lists. */
const NONE_IDS: number[] = Object.freeze([]) as unknown as number[]
const NONE_EMAILS: string[] = Object.freeze([]) as unknown as string[]

/** The validators' scratch list (buildRow is synchronous): each row keeps an exact-size copy, or NO_PROBLEMS. */
const PROBLEM_SCRATCH: Problem[] = []

/** Adds a problem to a row (a new list: the old one may be the shared NO_PROBLEMS) and refreshes its status. */
export function withProblem(row: SheetRow, problem: Problem): void {
  row.problems = [...row.problems, problem]
  row.status = statusOf(row.problems)
}

/**
 * What validating one record found: the values its params are built from (DESCRIPTION and MESSAGE are made by
 * buildRow from their cells: their values play no part in the verdict), its problems, status and hashes.
 */
export interface Verdict {
  /** Members (the owner included); may be a shared frozen empty list. */
  ids: number[]
  emails: string[]
  owner: number | string | undefined
  type: ChatParams['TYPE']
  title: string | undefined
  color: ColorCode | undefined
  entityType: string | undefined
  entityId: string | undefined
  role: string | undefined
  /** An exact-size list of the row's own problems, or NO_PROBLEMS. */
  problems: Problem[]
  status: RowStatus
  /** The cross-row hashes: `dupHashOf` and `pairHashOf` of the row this record builds. */
  dup: number
  pair: number
}

/** The one verdict `validateRecord` fills (the import validates 100k records without an object per record). */
const VERDICT: Verdict = {
  ids: [], emails: [], owner: undefined, type: 'CHAT', title: undefined, color: undefined,
  entityType: undefined, entityId: undefined, role: undefined, problems: NO_PROBLEMS, status: 'ready', dup: -1, pair: -1,
}

/**
 * Validates one record: `fields` are its cells in header order, `plan` says which column feeds which field;
 * `structural` are problems found while reading it (ragged row, quotes). AVATAR is left to `applyAvatar`.
 * Returns a verdict that the next call reuses: read it first.
 */
export function validateRecord(fields: readonly string[], plan: FieldPlan, structural: Problem[] | null): Verdict {
  return judge(fields, plan, structural, true)
}

/**
 * `validateRecord` for the import, which keeps only the status and the hashes: the members are not copied out
 * of the scratch lists (`ids` and `emails` of the verdict are left empty). Status, problems and hashes are the same.
 */
export function checkRecord(fields: readonly string[], plan: FieldPlan, structural: Problem[] | null): Verdict {
  return judge(fields, plan, structural, false)
}

/** `members`: copy the members out (a row is built from them); `hashes`: work out the cross-row hashes (else -1). */
function judge(fields: readonly string[], plan: FieldPlan, structural: Problem[] | null, members: boolean, hashes = true): Verdict {
  const problems = PROBLEM_SCRATCH
  if (problems.length) problems.length = 0
  if (structural) for (let i = 0; i < structural.length; i++) problems.push(structural[i]!)

  const v = VERDICT
  let ids: readonly number[]
  let emails: readonly string[]
  let nIds: number
  let nEmails: number
  let owner: number | string | undefined
  // The e-mails' fnv, when the scan made them (else they are hashed from the strings).
  let emailHashes: readonly number[] | undefined
  if (members) {
    const parsed = parseUsers(cell(fields, plan.users), problems)
    ids = parsed.ids
    emails = parsed.emails
    owner = parseOwner(cell(fields, plan.owner), problems)
    if (typeof owner === 'number' && !ids.includes(owner)) ids = [...ids, owner]
    if (typeof owner === 'string' && !emails.includes(owner)) emails = [...emails, owner]
    v.ids = ids as number[]
    v.emails = emails as string[]
    nIds = ids.length
    nEmails = emails.length
  } else {
    // The same members in the scratch lists: the owner appended there when it is not among them.
    scanUsers(cell(fields, plan.users), problems)
    const scan = USERS_SCAN
    ids = scan.ids
    emails = scan.emails
    nIds = scan.nIds
    nEmails = scan.nEmails
    owner = parseOwner(cell(fields, plan.owner), problems)
    if (typeof owner === 'number' && !has(ids, nIds, owner)) scan.ids[nIds++] = owner
    if (typeof owner === 'string' && !has(emails, nEmails, owner)) {
      scan.emailHashes[nEmails] = fnv(0x811c9dc5, owner)
      scan.emails[nEmails++] = owner
    }
    emailHashes = scan.emailHashes
    v.ids = NONE_IDS
    v.emails = NONE_EMAILS
  }
  v.owner = owner
  v.type = parseType(cell(fields, plan.type), problems)
  const title = parseTitle(cell(fields, plan.title), problems)
  v.title = title
  // DESCRIPTION and MESSAGE: only their problems here; their values are made when the row is built (buildRow).
  checkText(cell(fields, plan.description), 'DESCRIPTION', problems)
  v.color = parseColor(cell(fields, plan.color), problems)
  checkText(cell(fields, plan.message), 'MESSAGE', problems)
  const entity = parseEntity(cell(fields, plan.entityType), cell(fields, plan.entityId), problems)
  v.entityType = entity.entityType
  v.entityId = entity.entityId
  v.role = parseCopilotRole(cell(fields, plan.copilot), problems)

  let anything = false
  const mapped = plan.mapped
  for (let k = 0; k < mapped.length; k++) {
    const c = cell(fields, mapped[k]!)
    if (c !== '' && c.trim() !== '') {
      anything = true
      break
    }
  }
  // A row too long to read has its own problem, not "nothing to send".
  if (!anything) {
    if (!structural || !structural.some((p) => p.code === 'ROW_TOO_LONG')) problems.push(makeProblem('ROW', 'ROW_EMPTY'))
  } else if (!nIds && !nEmails) problems.push(makeProblem('USERS', 'USERS_NONE'))
  v.dup = anything && hashes ? dupHash(title, ids, nIds, emails, nEmails, emailHashes) : -1
  v.pair = anything && hashes ? pairHash(v.entityType, v.entityId) : -1

  if (problems.length) {
    v.problems = problems.slice()
    problems.length = 0
  } else {
    v.problems = NO_PROBLEMS
  }
  v.status = statusOf(v.problems)
  return v
}

/** Validates one record (`validateRecord`) and builds its row: exact im.chat.add params, previews, problems. */
export function buildRow(
  key: string,
  line: number,
  cells: Record<string, string>,
  fields: readonly string[],
  plan: FieldPlan,
  structural: Problem[] | null,
  opts: RowOptions = {},
): SheetRow {
  // The row's cross-row hashes are not needed here (dupHashOf / pairHashOf work them out from a row).
  const v = judge(fields, plan, structural, true, false)
  const desc = textValue(cell(fields, plan.description))
  const msg = textValue(cell(fields, plan.message))
  const params = new Params(v.ids.length ? v.ids : undefined, v.type, v.title, desc, v.color, msg, v.entityType, v.entityId, v.role)
  const tp: TitleInfo = v.title ? { titlePreview: v.title, titleGenerated: false, titleKind: 'given' } : titlePreview({ params, emails: v.emails, color: v.color }, opts)
  const row = new Row(key, line, cells, v.status, params, v.emails, tp.titlePreview, tp.titleGenerated, tp.titleKind, v.problems, v.owner, v.color)
  if (tp.titleNames) row.titleNames = tp.titleNames
  const notes = readingNotes(cell(fields, plan.type), cell(fields, plan.color), v)
  if (notes) row.notes = notes
  return row
}

/**
 * What the import read differently from the cell's text: a TYPE or COLOR given as a synonym ("PUBLIC", "Красный",
 * "#df532d") of the API value sent. Exact API values and cells with an error give no note.
 */
export function readingNotes(rawType: string, rawColor: string, v: Pick<Verdict, 'type' | 'color' | 'problems'>): ReadingNote[] | undefined {
  let notes: ReadingNote[] | undefined
  const type = rawType.trim()
  const sent = v.type ?? 'CHAT'
  if (type && type !== sent && !v.problems.some((p) => p.code === 'TYPE_INVALID')) (notes ??= []).push({ code: 'TYPE_READ_AS', field: 'TYPE', from: type, to: sent })
  const color = rawColor.trim()
  if (color && v.color && color !== v.color) (notes ??= []).push({ code: 'COLOR_READ_AS', field: 'COLOR', from: color, to: v.color })
  return notes
}

/** Puts a resolved avatar (or its problem) into the row and refreshes its status. */
export function applyAvatar(row: SheetRow, result: AvatarResult): void {
  if ('problem' in result) {
    withProblem(row, result.problem)
  } else {
    row.params.AVATAR = result.base64
    row.avatar = result.info
    if (result.warning) withProblem(row, result.warning)
  }
}

const memberKey = (row: SheetRow): string => {
  const ids = row.params.USERS ?? []
  const idPart = ids.length > 1 ? ids.slice().sort((a, b) => a - b).join(',') : ids.join(',')
  const emails = row.emails.length > 1 ? row.emails.slice().sort().join(',') : row.emails.join(',')
  return `${idPart}|${emails}`
}

const CROSS = new Set<string>(CROSS_ROW_CODES)


/** Order-independent hash of a row's members (ids and e-mails). */
function membersHash(ids: readonly number[], nIds: number, emails: readonly string[], nEmails: number, emailHashes?: readonly number[]): number {
  let h = 0
  for (let i = 0; i < nIds; i++) h = (h + Math.imul(ids[i]! ^ 0x5bd1e995, 0x9e3779b1)) | 0
  if (emailHashes) for (let i = 0; i < nEmails; i++) h = (h + emailHashes[i]!) | 0
  else for (let i = 0; i < nEmails; i++) h = (h + fnv(0x811c9dc5, emails[i]!)) | 0
  return h
}

/**
 * The duplicate-row hash of a non-empty row: its title and members, the first `nIds` ids and `nEmails` e-mails
 * of the lists (-1 when it has neither).
 */
function dupHash(title: string | undefined, ids: readonly number[], nIds: number, emails: readonly string[], nEmails: number, emailHashes?: readonly number[]): number {
  return !title && !nIds && !nEmails ? -1 : (fnv(0x811c9dc5, title ?? '') ^ membersHash(ids, nIds, emails, nEmails, emailHashes)) >>> 1
}

/** Whether `value` is among the first `n` entries of `list`. */
function has<T>(list: readonly T[], n: number, value: T): boolean {
  for (let i = 0; i < n; i++) if (list[i] === value) return true
  return false
}

/** The duplicate-pair hash of a non-empty row (-1 without a complete pair). */
function pairHash(type: string | undefined, id: string | undefined): number {
  return type && id ? fnv(fnv(0x811c9dc5, type) ^ 0x1f, id) >>> 1 : -1
}

/**
 * Groups of row indexes with equal `hashes` (-1: skip the row), found with an open-addressing table over typed
 * arrays: no per-row Map entry and no sort (a typed-array sort boxes every element), so it stays cheap at 100k
 * rows. Callers confirm each group with the exact key.
 */
export function sameHash(hashes: Int32Array): number[][] {
  const n = hashes.length
  let cap = 16
  while (cap < n * 2) cap *= 2
  const mask = cap - 1
  // slot → the first row with that hash; next[i] chains the later rows with row i's hash.
  const slots = new Int32Array(cap).fill(-1)
  const next = new Int32Array(n).fill(-1)
  const tail = new Int32Array(n)
  const heads: number[] = []
  for (let i = 0; i < n; i++) {
    const h = hashes[i]!
    if (h < 0) continue
    let s = Math.imul(h, 0x9e3779b1) & mask
    for (;;) {
      const j = slots[s]!
      if (j === -1) {
        slots[s] = i
        tail[i] = i
        break
      }
      if (hashes[j] === h) {
        if (next[j] === -1) heads.push(j)
        next[tail[j]!] = i
        tail[j] = i
        break
      }
      s = (s + 1) & mask
    }
  }
  return heads.map((j) => {
    const g: number[] = []
    for (let i = j; i !== -1; i = next[i]!) g.push(i)
    return g
  })
}

/** Splits a candidate group by the exact key; returns the groups of two or more. */
function byExactKey(group: number[], keyOf: (i: number) => string): number[][] {
  const m = new Map<string, number[]>()
  for (const i of group) {
    const key = keyOf(i)
    const g = m.get(key)
    if (g) g.push(i)
    else m.set(key, [i])
  }
  return [...m.values()].filter((g) => g.length > 1)
}

const isEmpty = (row: SheetRow): boolean => {
  const problems = row.problems
  for (let i = 0; i < problems.length; i++) if (problems[i]!.code === 'ROW_EMPTY') return true
  return false
}

/** Hash of a row's title and members for the duplicate-row check; -1 when the row takes no part in it. */
export function dupHashOf(row: SheetRow): number {
  const ids = row.params.USERS ?? NONE_IDS
  return isEmpty(row) ? -1 : dupHash(row.params.TITLE, ids, ids.length, row.emails, row.emails.length)
}

/** Hash of a row's entity pair for the duplicate-pair check; -1 when the row has no complete pair. */
export function pairHashOf(row: SheetRow): number {
  return isEmpty(row) ? -1 : pairHash(row.params.ENTITY_TYPE, row.params.ENTITY_ID)
}

/**
 * Cross-row checks over a whole sheet from the rows' hashes (`dupHashOf`, `pairHashOf`): the same title and
 * members twice (warning on each), the same entity pair twice (error on each). Only rows whose hashes collide
 * are built (`rowOf`, without cross-row problems) to compare their exact keys. Returns the problems by row index.
 */
export function crossProblems(dup: Int32Array, pair: Int32Array, rowOf: (i: number) => SheetRow): Map<number, Problem[]> {
  const out = new Map<number, Problem[]>()
  const add = (i: number, p: Problem): void => {
    const list = out.get(i)
    if (list) list.push(p)
    else out.set(i, [p])
  }
  const built = new Map<number, SheetRow>()
  const row = (i: number): SheetRow => {
    let r = built.get(i)
    if (!r) built.set(i, (r = rowOf(i)))
    return r
  }
  for (const candidates of sameHash(dup)) {
    for (const list of byExactKey(candidates, (i) => `${row(i).params.TITLE ?? ''}\u0000${memberKey(row(i))}`)) {
      list.sort((x, y) => x - y)
      // The other lines of each row, from the group's first few: linear in the group (100,000 equal rows once
      // took a filter over the group per row).
      const head = list.slice(0, LISTED + 1).map((j) => row(j).line)
      // Rows past the first few all name the same others: they share one problem (problems are immutable values).
      const rest = makeProblem('ROW', 'ROW_DUPLICATE', { other: listLines(head.slice(0, LISTED), list.length - 1) })
      list.forEach((i, at) => {
        add(i, at <= LISTED ? makeProblem('ROW', 'ROW_DUPLICATE', { other: listLines(head.filter((_, k) => k !== at), list.length - 1) }) : rest)
      })
    }
  }
  for (const candidates of sameHash(pair)) {
    for (const list of byExactKey(candidates, (i) => `${row(i).params.ENTITY_TYPE}\u0000${row(i).params.ENTITY_ID}`)) {
      list.sort((x, y) => x - y)
      const pairProblem = makeProblem('ENTITY_ID', 'ENTITY_PAIR_DUPLICATE', { lines: listLines(list.slice(0, LISTED).map((j) => row(j).line), list.length) })
      for (const i of list) add(i, pairProblem)
    }
  }
  return out
}

/** True for the problems the cross-row checks add (they are kept apart from a row's own problems). */
export const isCrossProblem = (p: Problem): boolean => CROSS.has(p.code)

/** Lines named in a cross-row problem; the rest are counted. */
const LISTED = 10

/** `lines` (at most LISTED of them), and "(+n)" for the rest of `total`. */
const listLines = (lines: number[], total = lines.length): string => {
  const shown = lines.slice(0, LISTED)
  return total > shown.length ? `${shown.join(', ')} (+${total - shown.length})` : shown.join(', ')
}
