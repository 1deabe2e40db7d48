/** The portal's data: chats, colour counters, and the JSON persistence used with `stateFile`. */
import { appendFileSync, existsSync, mkdirSync, openSync, fsyncSync, closeSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { ColorCode } from '../shared/chat'
import type { SandboxChat } from './types'

export interface ChatMessage {
  authorId: number
  text: string
}

export interface ChatRecord {
  id: number
  title: string
  type: 'OPEN' | 'CHAT'
  color: ColorCode
  description: string
  users: number[]
  ownerId: number
  managers: number[]
  entityType: string | null
  entityId: string | null
  avatar: { width: number; height: number; mime: string } | null
  messages: ChatMessage[]
  createdAt: number
}

export interface Counters {
  /** im_chat_color_id: the round-robin colour counter. */
  colorSeq: number
  /** im_chat_color_<CODE>: per-colour auto-title counters. */
  perColor: Partial<Record<ColorCode, number>>
  nextChatId: number
}

const entityKey = (t: string, id: string): string => t + '\u0000' + id

export class ChatStore {
  readonly chats = new Map<number, ChatRecord>()
  private readonly byEntity = new Map<string, number[]>()
  counters: Counters = { colorSeq: 0, perColor: {}, nextChatId: 1 }

  put(c: ChatRecord): void {
    const prev = this.chats.get(c.id)
    if (prev && prev.entityType !== null && prev.entityId !== null) {
      const k = entityKey(prev.entityType, prev.entityId)
      const ids = (this.byEntity.get(k) ?? []).filter((x) => x !== c.id)
      if (ids.length) this.byEntity.set(k, ids)
      else this.byEntity.delete(k)
    }
    this.chats.set(c.id, c)
    if (c.entityType !== null && c.entityId !== null) {
      const k = entityKey(c.entityType, c.entityId)
      const ids = this.byEntity.get(k)
      if (!ids) this.byEntity.set(k, [c.id])
      else if (!ids.includes(c.id)) ids.push(c.id)
    }
    if (c.id >= this.counters.nextChatId) this.counters.nextChatId = c.id + 1
  }

  /** ChatTable::getList(=ENTITY_TYPE, =ENTITY_ID)->fetch(): the first match (lowest id), or undefined. */
  findByEntity(type: string, id: string): ChatRecord | undefined {
    const ids = this.byEntity.get(entityKey(type, id))
    return ids && ids.length ? this.chats.get(ids[0] as number) : undefined
  }

  clear(): void {
    this.chats.clear()
    this.byEntity.clear()
    this.counters = { colorSeq: 0, perColor: {}, nextChatId: 1 }
  }
}

export function publicChat(c: ChatRecord): SandboxChat {
  return {
    id: c.id,
    title: c.title,
    type: c.type,
    color: c.color,
    description: c.description,
    users: [...c.users],
    ownerId: c.ownerId,
    entityType: c.entityType,
    entityId: c.entityId,
    avatar: c.avatar ? { ...c.avatar } : null,
    messages: c.messages.map((m) => m.text),
  }
}

/** What a state file holds besides chats. */
export interface PersistedCredentials {
  webhookSecret: string
  adminToken: string
  oauth: { clientId: string; clientSecret: string; accessToken: string; accessExpiresAt: number; refreshToken: string }
  tls?: { key: string; cert: string }
}

interface Snapshot {
  version: 1
  credentials: PersistedCredentials
  counters: Counters
  chats: ChatRecord[]
}

type LogRecord =
  | { t: 'chat'; chat: ChatRecord; counters: Counters }
  | { t: 'credentials'; credentials: PersistedCredentials }
  | { t: 'reset' }

/**
 * Snapshot (written atomically: temp file, fsync, rename) + an append-only log of changes since the snapshot,
 * appended before each response is sent (so a killed process keeps every chat it reported). Compacted at start,
 * at close and every few thousand changes.
 */
export class StateFile {
  private readonly logPath: string
  private logLines = 0
  constructor(readonly path: string) {
    this.logPath = path + '.log'
  }

  load(): { credentials: PersistedCredentials; counters: Counters; chats: ChatRecord[] } | null {
    if (!existsSync(this.path)) return null
    const snap = JSON.parse(readFileSync(this.path, 'utf8')) as Snapshot
    let credentials = snap.credentials
    let counters = snap.counters
    const chats = new Map<number, ChatRecord>(snap.chats.map((c) => [c.id, c]))
    if (existsSync(this.logPath)) {
      for (const line of readFileSync(this.logPath, 'utf8').split('\n')) {
        if (!line.trim()) continue
        let rec: LogRecord
        try {
          rec = JSON.parse(line) as LogRecord
        } catch {
          continue // a torn last line after a crash
        }
        if (rec.t === 'chat') {
          chats.set(rec.chat.id, rec.chat)
          counters = rec.counters
        } else if (rec.t === 'credentials') credentials = rec.credentials
        else if (rec.t === 'reset') {
          chats.clear()
          counters = { colorSeq: 0, perColor: {}, nextChatId: 1 }
        }
      }
    }
    return { credentials, counters, chats: [...chats.values()].sort((a, b) => a.id - b.id) }
  }

  writeSnapshot(credentials: PersistedCredentials, store: ChatStore): void {
    mkdirSync(dirname(this.path), { recursive: true })
    const snap: Snapshot = { version: 1, credentials, counters: store.counters, chats: [...store.chats.values()] }
    const tmp = `${this.path}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(snap), { mode: 0o600 })
    const fd = openSync(tmp, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, this.path)
    writeFileSync(this.logPath, '', { mode: 0o600 })
    this.logLines = 0
  }

  append(rec: LogRecord): void {
    appendFileSync(this.logPath, JSON.stringify(rec) + '\n', { mode: 0o600 })
    this.logLines++
  }

  get needsCompaction(): boolean {
    return this.logLines >= 5000
  }
}
