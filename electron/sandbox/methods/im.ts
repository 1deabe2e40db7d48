/** im.* methods with the server's semantics (notes §1–2). */
import { COLORS, COLOR_CODES, ROUND_ROBIN_COLORS } from '../../shared/chat'
import type { ColorCode } from '../../shared/chat'
import type { AuthContext } from '../auth'
import { checkAvatar } from '../avatar'
import { normal } from '../clock'
import { E, RestError } from '../errors'
import { phpValues } from '../php'
import type { Params } from '../php'
import type { ChatRecord } from '../state'
import { fullName } from '../users'
import { done, lightCost } from './types'
import type { MethodDef, MethodEnv, Prepared } from './types'

export const TITLE_MAX = 255
export const ENTITY_TYPE_MAX = 50
export const ENTITY_ID_MAX = 255
/** Colour-counter wrap (Color::MAX_COLOR_COUNT). */
export const MAX_COLOR_COUNT = 99

/** PHP intval on a request value. */
export function intval(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : 0
  if (typeof v === 'boolean') return v ? 1 : 0
  if (typeof v === 'string') {
    const m = /^\s*([+-]?\d+)/.exec(v)
    return m ? parseInt(m[1] as string, 10) : 0
  }
  return 0
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '')

/** Color::getCodeByNumber: last digit d → index 9 if d=0 else d−1, over the ten round-robin colours. */
export function colorByNumber(n: number): ColorCode {
  const d = n % 10
  return ROUND_ROBIN_COLORS[d === 0 ? 9 : d - 1] as ColorCode
}

export const isSafeColor = (v: unknown): v is ColorCode => typeof v === 'string' && (COLOR_CODES as readonly string[]).includes(v)

/**
 * USERS as im.chat.add reads it: a JSON string is decoded; a non-array becomes []; array_filter drops falsy
 * values; an element that is neither an integer nor a string → 400 INVALID_FORMAT.
 */
export function parseUsersParam(raw: unknown): number[] {
  let v = raw
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v)
    } catch {
      v = null
    }
  }
  const list = phpValues(v) ?? []
  const out: number[] = []
  for (const x of list) {
    if (x === null || x === false || x === 0 || x === '' || x === '0' || (Array.isArray(x) && x.length === 0)) continue
    if (typeof x === 'number' && Number.isInteger(x)) out.push(x)
    else if (typeof x === 'string') out.push(intval(x))
    else throw E.bad('INVALID_FORMAT', 'Parameter USERS has wrong type')
  }
  return out
}

function checkLength(value: string, max: number, env: MethodEnv, onError: () => RestError): string {
  if (value.length <= max) return value
  if (env.switches.titleOverflow === 'truncate') return [...value].slice(0, max).join('').slice(0, max)
  throw onError()
}

const cantCreate = (): RestError => E.bad('WRONG_REQUEST', "Chat can't be created")
const accessError = (): RestError => new RestError(403, 'ACCESS_ERROR', 'You do not have access to the specified dialog')
const chatIdEmpty = (): RestError => E.bad('CHAT_ID_EMPTY', 'Chat ID can\'t be empty')

function validUser(env: MethodEnv, id: number): boolean {
  const u = env.users.get(id)
  return !!u && u.active
}

/** Simulated im.chat.add time: lognormal around the median, plus per member and per avatar megapixel. */
export function chatAddCost(env: MethodEnv, members: number, avatarMegapixels: number): number {
  if (env.latencyMs <= 0) return 0
  const scale = env.latencyMs / 300
  return env.latencyMs * Math.exp(0.35 * normal(env.rng)) + (3 * members + 60 * avatarMegapixels) * scale
}

const chatAdd: MethodDef = {
  scopes: ['im'],
  upperKeys: true,
  prepare(auth, p, env) {
    const requested = parseUsersParam(p.USERS)
    if (env.switches.usersEmptyLegacy && requested.length === 0) {
      throw E.bad('USERS_EMPTY', 'Please select users before creating a new chat')
    }
    const type: 'OPEN' | 'CHAT' = p.TYPE === 'OPEN' ? 'OPEN' : 'CHAT'
    const title = checkLength(str(p.TITLE).trim(), TITLE_MAX, env, cantCreate)
    const entityTypeRaw = str(p.ENTITY_TYPE)
    const entityIdRaw = str(p.ENTITY_ID)
    const entityType = entityTypeRaw === '' ? null : checkLength(entityTypeRaw, ENTITY_TYPE_MAX, env, cantCreate)
    const entityId = entityIdRaw === '' ? null : checkLength(entityIdRaw, ENTITY_ID_MAX, env, cantCreate)
    const description = str(p.DESCRIPTION)
    const message = str(p.MESSAGE)
    // A bad avatar is silently ignored by im.chat.add (ChatAvatar::saveAvatarByString).
    const av = p.AVATAR !== undefined && p.AVATAR !== '' ? checkAvatar(p.AVATAR) : null
    const avatar = av && av.ok ? { width: av.avatar.width, height: av.avatar.height, mime: av.avatar.mime } : null
    const costMs = chatAddCost(env, requested.length + 1, avatar ? (avatar.width * avatar.height) / 1e6 : 0)
    return {
      costMs,
      commit() {
        const users: number[] = [auth.userId]
        for (const id of requested) if (!users.includes(id) && validUser(env, id)) users.push(id)
        const c = env.store.counters
        let color: ColorCode
        if (!env.switches.colorsEnabled) color = 'MARENGO'
        else if (isSafeColor(p.COLOR)) color = p.COLOR
        else color = colorByNumber(++c.colorSeq)
        let finalTitle = title
        if (finalTitle === '') {
          if (env.switches.colorsEnabled) {
            let n = (c.perColor[color] ?? 0) + 1
            if (n > MAX_COLOR_COUNT) n = 1
            c.perColor[color] = n
            finalTitle = `${COLORS[color].en} Chat #${n}`
          } else {
            const names = users.map((id) => { const u = env.users.get(id); return u ? fullName(u) : '' }).filter(Boolean)
            finalTitle = [...`Chat with ${names.join(', ')}`].slice(0, TITLE_MAX).join('')
          }
        }
        const messages = []
        if (description !== '') messages.push({ authorId: auth.userId, text: description })
        if (message !== '') messages.push({ authorId: auth.userId, text: message })
        const chat: ChatRecord = {
          id: c.nextChatId++,
          title: finalTitle,
          type,
          color,
          description,
          users,
          ownerId: auth.userId,
          managers: [auth.userId],
          entityType,
          entityId,
          avatar,
          messages,
          createdAt: env.now(),
        }
        env.store.put(chat)
        env.chatChanged(chat)
        return { result: chat.id }
      },
    }
  },
}

/** CHAT_ID, or DIALOG_ID "chatN". */
function chatIdOf(p: Params): number {
  const id = intval(p.CHAT_ID)
  if (id > 0) return id
  const d = str(p.DIALOG_ID)
  const m = /^chat(\d+)$/.exec(d)
  return m ? Number(m[1]) : 0
}

function canRead(chat: ChatRecord, userId: number): boolean {
  return chat.type === 'OPEN' || chat.users.includes(userId)
}

function dialogJson(chat: ChatRecord, userId: number, env: MethodEnv): Record<string, unknown> {
  const date = new Date(chat.createdAt).toISOString().replace(/\.\d{3}Z$/, '+00:00')
  const owner = chat.ownerId === userId
  return {
    id: chat.id,
    parent_chat_id: 0,
    parent_message_id: 0,
    name: chat.title,
    description: chat.description,
    owner: chat.ownerId,
    extranet: false,
    avatar: chat.avatar ? `${env.origin}/upload/im/avatar/chat${chat.id}.${chat.avatar.mime.split('/')[1]}` : '',
    color: COLORS[chat.color].hex,
    type: chat.type === 'OPEN' ? 'open' : 'chat',
    counter: 0,
    user_counter: chat.users.length,
    message_count: chat.messages.length,
    unread_id: 0,
    last_message_id: chat.messages.length,
    entity_type: chat.entityType ?? '',
    entity_id: chat.entityId ?? '',
    entity_data_1: '',
    entity_data_2: '',
    entity_data_3: '',
    mute_list: [],
    manager_list: [...chat.managers],
    date_create: date,
    message_type: chat.type === 'OPEN' ? 'O' : 'C',
    public: '',
    role: owner ? 'OWNER' : chat.managers.includes(userId) ? 'MANAGER' : chat.users.includes(userId) ? 'MEMBER' : 'GUEST',
    permissions: { manage_users_add: 'MEMBER', manage_users_delete: 'MANAGER', manage_ui: 'MEMBER', manage_settings: 'OWNER', can_post: 'MEMBER' },
    dialog_id: `chat${chat.id}`,
  }
}

const chatGet: MethodDef = {
  scopes: ['im'],
  upperKeys: true,
  prepare(auth, p, env) {
    const et = str(p.ENTITY_TYPE)
    const ei = str(p.ENTITY_ID)
    const cost = lightCost(env, 0.03)
    if (et !== '' && ei !== '') {
      return done(cost, () => {
        const c = env.store.findByEntity(et, ei)
        return c ? { ID: c.id } : null
      })
    }
    if (p.DIALOG_ID !== undefined) {
      const d = str(p.DIALOG_ID)
      if (d === '') throw E.bad('DIALOG_ID_EMPTY', 'Dialog ID can\'t be empty')
      const m = /^chat(\d+)$/.exec(d)
      return done(cost, () => {
        const c = m ? env.store.chats.get(Number(m[1])) : undefined
        if (!c) return null
        if (!canRead(c, auth.userId)) throw accessError()
        return dialogJson(c, auth.userId, env)
      })
    }
    return done(cost, () => null)
  },
}

const dialogGet: MethodDef = {
  scopes: ['im'],
  upperKeys: true,
  prepare(auth, p, env) {
    const d = str(p.DIALOG_ID)
    if (d === '') throw E.bad('DIALOG_ID_EMPTY', 'Dialog ID can\'t be empty')
    return done(lightCost(env, 0.06), () => {
      const m = /^chat(\d+)$/.exec(d)
      const c = m ? env.store.chats.get(Number(m[1])) : undefined
      if (!c || !canRead(c, auth.userId)) throw accessError()
      return dialogJson(c, auth.userId, env)
    })
  },
}

const userList: MethodDef = {
  scopes: ['im'],
  upperKeys: true,
  prepare(auth, p, env) {
    const id = chatIdOf(p)
    if (id <= 0) throw chatIdEmpty()
    return done(lightCost(env, 0.03), () => {
      const c = env.store.chats.get(id)
      if (!c || !canRead(c, auth.userId)) throw accessError()
      return [...c.users]
    })
  },
}

/** Shared shape of the chat-changing methods: find the chat, check membership, apply, persist, return true. */
function mutate(auth: AuthContext, env: MethodEnv, id: number, costMs: number, apply: (c: ChatRecord) => void): Prepared {
  return done(costMs, () => {
    const c = env.store.chats.get(id)
    if (!c) throw E.bad('WRONG_REQUEST', 'Chat not found')
    if (!c.users.includes(auth.userId)) throw accessError()
    apply(c)
    env.store.put(c)
    env.chatChanged(c)
    return true
  })
}

const userAdd: MethodDef = {
  scopes: ['im'],
  upperKeys: true,
  prepare(auth, p, env) {
    const id = intval(p.CHAT_ID)
    if (id <= 0) throw chatIdEmpty()
    const requested = parseUsersParam(p.USERS)
    // HIDE_HISTORY (Y/N, default Y) only affects what new members see of old messages: nothing to emulate.
    const cost = lightCost(env, 0.25) + (env.latencyMs > 0 ? requested.length * 3 * (env.latencyMs / 300) : 0)
    return done(cost, () => {
      const c = env.store.chats.get(id)
      if (!c) throw E.bad('WRONG_REQUEST', "You don't have access or user already member in chat")
      if (!c.users.includes(auth.userId)) throw new RestError(403, 'ACCESS_DENIED_EXTEND', 'You do not have access to add users to this chat')
      const add = requested.filter((u, i) => requested.indexOf(u) === i && !c.users.includes(u) && validUser(env, u))
      if (add.length === 0) throw E.bad('WRONG_REQUEST', "You don't have access or user already member in chat")
      c.users.push(...add)
      env.store.put(c)
      env.chatChanged(c)
      return true
    })
  },
}

const setOwner: MethodDef = {
  scopes: ['im'],
  upperKeys: true,
  prepare(auth, p, env) {
    const userId = intval(p.USER_ID)
    if (userId <= 0) throw E.bad('USER_ID_EMPTY', 'User ID can\'t be empty')
    const id = intval(p.CHAT_ID)
    if (id <= 0) throw chatIdEmpty()
    return done(lightCost(env, 0.15), () => {
      const c = env.store.chats.get(id)
      if (!c || c.ownerId !== auth.userId || !c.users.includes(userId)) {
        throw E.bad('WRONG_REQUEST', 'Change owner can only owner and user must be member in chat')
      }
      c.ownerId = userId
      if (!c.managers.includes(userId)) c.managers.push(userId)
      env.store.put(c)
      env.chatChanged(c)
      return true
    })
  },
}

const updateTitle: MethodDef = {
  scopes: ['im'],
  upperKeys: true,
  prepare(auth, p, env) {
    const id = chatIdOf(p)
    if (id <= 0) throw chatIdEmpty()
    const title = str(p.TITLE).trim()
    if (title === '') throw E.bad('TITLE_EMPTY', 'Title can\'t be empty')
    const finalTitle = checkLength(title, TITLE_MAX, env, () => E.bad('WRONG_REQUEST', 'Title is too long'))
    return mutate(auth, env, id, lightCost(env, 0.2), (c) => {
      c.title = finalTitle
    })
  },
}

const updateColor: MethodDef = {
  scopes: ['im'],
  upperKeys: true,
  prepare(auth, p, env) {
    const id = chatIdOf(p)
    if (id <= 0) throw chatIdEmpty()
    if (!isSafeColor(p.COLOR)) throw E.bad('WRONG_COLOR', 'Wrong color')
    const color = p.COLOR
    return done(lightCost(env, 0.2), () => {
      const c = env.store.chats.get(id)
      if (!c || c.color === color) throw E.bad('WRONG_REQUEST', 'Color is not changed')
      if (!c.users.includes(auth.userId)) throw accessError()
      c.color = color
      env.store.put(c)
      env.chatChanged(c)
      return true
    })
  },
}

const updateAvatar: MethodDef = {
  scopes: ['im'],
  upperKeys: true,
  prepare(auth, p, env) {
    const id = chatIdOf(p)
    if (id <= 0) throw chatIdEmpty()
    const av = checkAvatar(p.AVATAR)
    if (!av.ok) {
      if (av.reason === 'size') throw E.bad('AVATAR_ERROR', 'Avatar incorrect size (max 5000x5000)')
      throw E.bad('AVATAR_ERROR', 'Avatar incorrect type')
    }
    const mp = (av.avatar.width * av.avatar.height) / 1e6
    const cost = lightCost(env, 0.2) + (env.latencyMs > 0 ? 60 * mp * (env.latencyMs / 300) : 0)
    return mutate(auth, env, id, cost, (c) => {
      c.avatar = { width: av.avatar.width, height: av.avatar.height, mime: av.avatar.mime }
    })
  },
}

export const imMethods: Record<string, MethodDef> = {
  'im.chat.add': chatAdd,
  'im.chat.get': chatGet,
  'im.dialog.get': dialogGet,
  'im.chat.user.list': userList,
  'im.chat.user.add': userAdd,
  'im.chat.setowner': setOwner,
  'im.chat.updatetitle': updateTitle,
  'im.chat.updatecolor': updateColor,
  'im.chat.updateavatar': updateAvatar,
}
