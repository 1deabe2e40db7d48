/**
 * The sandbox's user directory (emulator spec 9) and the user.get / user.search filter semantics (notes §6).
 * User n: e-mail user<n>@sandbox.test, a deterministic mixed Latin/Cyrillic name, dismissed when n % 50 === 0.
 */
import { RestError } from './errors'
import { phpBool, phpValues } from './php'
import type { Params } from './php'

export interface SandboxUser {
  id: number
  active: boolean
  admin: boolean
  name: string
  lastName: string
  secondName: string
  email: string
  gender: 'M' | 'F'
  position: string
  department: number
}

const LATIN_M = ['Alexander', 'Daniel', 'Michael', 'Thomas', 'Peter', 'Martin', 'David', 'Lukas', 'Jonas', 'Oliver', 'Samuel', 'Victor']
const LATIN_F = ['Anna', 'Maria', 'Julia', 'Laura', 'Sophie', 'Emma', 'Clara', 'Elena', 'Nina', 'Paula', 'Lena', 'Eva']
const LATIN_LAST = ['Smith', 'Müller', 'Novak', 'Schneider', 'Fischer', 'Weber', 'Brown', 'Kowalski', 'Meyer', 'Wagner', 'Becker', 'Hoffmann', 'Taylor', 'Schulz', 'Keller']
const CYR_M = ['Иван', 'Дмитрий', 'Сергей', 'Алексей', 'Андрей', 'Михаил', 'Николай', 'Павел', 'Артём', 'Егор', 'Олег', 'Юрий']
const CYR_F = ['Мария', 'Анна', 'Елена', 'Ольга', 'Татьяна', 'Наталья', 'Ирина', 'Светлана', 'Дарья', 'Ксения', 'Екатерина', 'Юлия']
const CYR_LAST_M = ['Иванов', 'Петров', 'Смирнов', 'Кузнецов', 'Попов', 'Соколов', 'Лебедев', 'Козлов', 'Новиков', 'Морозов', 'Волков', 'Фёдоров', 'Орлов', 'Зайцев', 'Павлов']
const CYR_LAST_F = CYR_LAST_M.map((s) => s + 'а')
const CYR_SECOND_M = ['Иванович', 'Петрович', 'Сергеевич', 'Андреевич', 'Николаевич']
const CYR_SECOND_F = ['Ивановна', 'Петровна', 'Сергеевна', 'Андреевна', 'Николаевна']
const POSITIONS = ['Manager', 'Engineer', 'Sales representative', 'Accountant', 'Менеджер', 'Инженер', 'Бухгалтер', 'Designer', 'Support specialist', 'Руководитель отдела']

const pick = <T>(a: readonly T[], n: number): T => a[n % a.length] as T

/** The deterministic directory entry for user `id` (independent of the seed, so tests can rely on it). */
export function makeUser(id: number): SandboxUser {
  const female = id % 2 === 0
  const cyrillic = id % 3 !== 1 // roughly two thirds Cyrillic, one third Latin, interleaved
  const k = Math.floor(id / 2) * 7 + id
  const name = cyrillic ? pick(female ? CYR_F : CYR_M, k) : pick(female ? LATIN_F : LATIN_M, k)
  const lastName = cyrillic ? pick(female ? CYR_LAST_F : CYR_LAST_M, k * 3 + 1) : pick(LATIN_LAST, k * 3 + 1)
  const secondName = cyrillic ? pick(female ? CYR_SECOND_F : CYR_SECOND_M, k) : ''
  return {
    id,
    active: id % 50 !== 0,
    admin: id === 1,
    name,
    lastName,
    secondName,
    email: `user${id}@sandbox.test`,
    gender: female ? 'F' : 'M',
    position: id === 1 ? 'Administrator' : pick(POSITIONS, k),
    department: 1 + (id % 5),
  }
}

export function makeDirectory(count: number): Map<number, SandboxUser> {
  const m = new Map<number, SandboxUser>()
  for (let i = 1; i <= Math.max(1, count); i++) m.set(i, makeUser(i))
  return m
}

export const fullName = (u: SandboxUser): string => `${u.name} ${u.lastName}`.trim()

/** What each user scope may see (user_brief hides contacts such as EMAIL). */
export type UserView = 'full' | 'basic' | 'brief'

const BASE_DATE = '2024-01-15T09:00:00+00:00'

/** A user as user.get returns it: IDs as strings. */
export function userJson(u: SandboxUser, view: UserView): Record<string, unknown> {
  const o: Record<string, unknown> = {
    ID: String(u.id),
    XML_ID: `sandbox-${u.id}`,
    ACTIVE: u.active,
    NAME: u.name,
    LAST_NAME: u.lastName,
    SECOND_NAME: u.secondName,
    TITLE: '',
    PERSONAL_GENDER: u.gender,
    PERSONAL_PHOTO: '',
    WORK_POSITION: u.position,
    UF_DEPARTMENT: [u.department],
    IS_ONLINE: 'N',
    TIME_ZONE: '',
    TIME_ZONE_OFFSET: '0',
    USER_TYPE: 'employee',
  }
  if (view !== 'brief') {
    o.EMAIL = u.email
    o.LAST_LOGIN = BASE_DATE
    o.DATE_REGISTER = BASE_DATE
    o.PERSONAL_PHONE = ''
    o.PERSONAL_MOBILE = ''
    o.WORK_PHONE = ''
  }
  return o
}

type Op = '=' | '!' | '!=' | '>' | '>=' | '<' | '<=' | '@' | '!@' | '%' | '=%' | '!%'
const OPS: Op[] = ['>=', '<=', '=%', '!%', '!@', '!=', '=', '!', '>', '<', '@', '%']
const RESERVED = new Set(['SORT', 'ORDER', 'FILTER', 'ADMIN_MODE', 'START', 'FIND', 'AUTH', 'HALT', 'CMD'])

interface Cond {
  field: string
  op: Op
  value: unknown
}

function fieldValue(u: SandboxUser, field: string, view: UserView): string | number | boolean | undefined {
  switch (field) {
    case 'ID': return u.id
    case 'ACTIVE': return u.active
    case 'NAME': return u.name
    case 'LAST_NAME': return u.lastName
    case 'SECOND_NAME': return u.secondName
    case 'EMAIL': return view === 'brief' ? undefined : u.email
    case 'WORK_POSITION': return u.position
    case 'PERSONAL_GENDER': return u.gender
    case 'UF_DEPARTMENT': return u.department
    case 'USER_TYPE': return 'employee'
    case 'IS_ONLINE': return 'N'
    case 'XML_ID': return `sandbox-${u.id}`
    default: return undefined
  }
}

function likeToRegex(pattern: string): RegExp {
  const esc = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')
  return new RegExp('^' + esc + '$', 'i')
}

function eq(actual: string | number | boolean, expected: unknown): boolean {
  if (typeof actual === 'boolean') return actual === phpBool(expected)
  if (typeof actual === 'number') return actual === Number(expected)
  return actual.toLowerCase() === String(expected).toLowerCase()
}

function matchCond(u: SandboxUser, c: Cond, view: UserView): boolean {
  const actual = fieldValue(u, c.field, view)
  if (actual === undefined) {
    // A field this scope cannot see (or that does not exist) never matches a positive condition.
    return c.op === '!' || c.op === '!=' || c.op === '!@' || c.op === '!%'
  }
  const list = phpValues(c.value) ?? (typeof c.value === 'string' && (c.op === '@' || c.op === '!@') ? c.value.split(',') : [c.value])
  switch (c.op) {
    case '=': return list.some((v) => eq(actual, v))
    case '!':
    case '!=': return !list.some((v) => eq(actual, v))
    case '@': return list.some((v) => eq(actual, typeof v === 'string' ? v.trim() : v))
    case '!@': return !list.some((v) => eq(actual, typeof v === 'string' ? v.trim() : v))
    case '>': return Number(actual) > Number(c.value)
    case '>=': return Number(actual) >= Number(c.value)
    case '<': return Number(actual) < Number(c.value)
    case '<=': return Number(actual) <= Number(c.value)
    case '%': return String(actual).toLowerCase().includes(String(c.value).toLowerCase())
    case '=%': return likeToRegex(String(c.value)).test(String(actual))
    case '!%': return !String(actual).toLowerCase().includes(String(c.value).toLowerCase())
  }
}

/** Conditions from `FILTER` and from top-level keys (both allowed by user.get). */
export function parseFilter(params: Params): Cond[] {
  const conds: Cond[] = []
  const add = (rawKey: string, value: unknown): void => {
    let op: Op = '='
    let key = rawKey
    for (const o of OPS) {
      if (key.startsWith(o)) {
        op = o
        key = key.slice(o.length)
        break
      }
    }
    conds.push({ field: key.toUpperCase(), op, value })
  }
  for (const [k, v] of Object.entries(params)) {
    const up = k.toUpperCase()
    if (RESERVED.has(up) || up.startsWith('BX24_')) continue
    add(k, v)
  }
  const f = params.FILTER ?? params.filter
  if (f !== undefined && f !== null && typeof f === 'object' && !Array.isArray(f)) {
    for (const [k, v] of Object.entries(f as Params)) add(k, v)
  }
  return conds
}

export const PAGE = 50

export interface UserPage {
  result: Record<string, unknown>[]
  total?: number
  next?: number
}

/** user.get / user.search: filter, sort, 50 per page, total/next unless start=-1. */
export function queryUsers(dir: Map<number, SandboxUser>, params: Params, view: UserView, find?: string): UserPage {
  const conds = parseFilter(params)
  const needle = find?.trim().toLowerCase()
  const matches: SandboxUser[] = []
  for (const u of dir.values()) {
    if (needle) {
      const hay = [u.name, u.lastName, u.secondName, u.position, view === 'brief' ? '' : u.email].join(' ').toLowerCase()
      if (!needle.split(/\s+/).every((w) => hay.includes(w))) continue
    }
    if (conds.every((c) => matchCond(u, c, view))) matches.push(u)
  }
  const sortRaw = params.SORT ?? params.sort
  const orderRaw = params.ORDER ?? params.order
  const sortField = typeof sortRaw === 'string' && sortRaw ? sortRaw.toUpperCase() : 'ID'
  const desc = typeof orderRaw === 'string' && orderRaw.toUpperCase() === 'DESC'
  if (sortField !== 'ID' || desc) {
    matches.sort((a, b) => {
      const x = fieldValue(a, sortField, view) ?? ''
      const y = fieldValue(b, sortField, view) ?? ''
      const r = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))
      return desc ? -r : r
    })
  }
  const startRaw = params.START ?? params.start
  const start = startRaw === undefined || startRaw === '' ? 0 : Number(startRaw)
  if (!Number.isFinite(start)) throw new RestError(400, 'INVALID_ARG_VALUE', 'Invalid start value')
  if (start === -1) return { result: matches.slice(0, PAGE).map((u) => userJson(u, view)) }
  const from = Math.max(0, Math.floor(start))
  const page = matches.slice(from, from + PAGE).map((u) => userJson(u, view))
  const out: UserPage = { result: page, total: matches.length }
  if (from + PAGE < matches.length) out.next = from + PAGE
  return out
}
