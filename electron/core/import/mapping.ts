/**
 * Column mapping: header text → im.chat.add field, by API name (any case) or by a common English/Russian
 * header; manual overrides; and a memory of mappings keyed by the header row, kept as JSON in the data dir.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CHAT_FIELDS } from '../../shared/chat'
import type { ChatField } from '../../shared/chat'
import type { ColumnMapping, Problem } from '../../shared/sheet'
import { makeProblem } from '../../shared/problems'
import { writeFileAtomic } from '../fsutil'

/** Lower case, ё→е, punctuation and runs of space/underscore/hyphen → one space, "(…)" and "*" dropped. */
export function normalizeHeader(h: string): string {
  return h
    .replace(/^\uFEFF/, '')
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/\([^)]*\)|\[[^\]]*\]|\*/g, ' ')
    .replace(/[\s_\-.:/]+/g, ' ')
    .trim()
}

/** Normalised header → field. API names map to themselves ("entity_type" → "entity type"). */
const ALIASES: Record<ChatField, string[]> = {
  USERS: ['users', 'user', 'members', 'member', 'participants', 'user ids', 'member ids', 'emails', 'e mails', 'участники', 'пользователи', 'члены', 'сотрудники', 'состав'],
  TYPE: ['type', 'chat type', 'тип', 'тип чата'],
  TITLE: ['title', 'name', 'chat name', 'chat title', 'subject', 'название', 'название чата', 'имя', 'имя чата', 'заголовок', 'тема'],
  DESCRIPTION: ['description', 'desc', 'about', 'описание', 'описание чата'],
  COLOR: ['color', 'colour', 'chat color', 'chat colour', 'цвет', 'цвет чата'],
  MESSAGE: ['message', 'first message', 'welcome message', 'greeting', 'сообщение', 'первое сообщение', 'приветствие', 'приветственное сообщение'],
  AVATAR: ['avatar', 'image', 'picture', 'icon', 'photo', 'avatar file', 'аватар', 'аватарка', 'картинка', 'изображение', 'иконка', 'фото'],
  ENTITY_TYPE: ['entity type', 'тип сущности', 'тип объекта', 'тип привязки'],
  ENTITY_ID: ['entity id', 'id сущности', 'ид сущности', 'идентификатор сущности', 'id объекта', 'идентификатор объекта', 'id привязки'],
  COPILOT_MAIN_ROLE: ['copilot main role', 'copilot role', 'роль copilot', 'роль копилота', 'основная роль copilot'],
  OWNER: ['owner', 'owner id', 'chat owner', 'владелец', 'владелец чата', 'ответственный'],
}

const ALIAS_INDEX = new Map<string, ChatField>()
for (const f of CHAT_FIELDS) for (const a of ALIASES[f]) ALIAS_INDEX.set(a, f)

/** Field → column index. */
export type ResolvedMapping = Partial<Record<ChatField, number>>

export function autoMapping(headers: readonly string[]): ColumnMapping {
  const out: ColumnMapping = {}
  for (const h of headers) {
    const f = ALIAS_INDEX.get(normalizeHeader(h))
    if (f && out[f] === undefined) out[f] = h
  }
  return out
}

/**
 * The effective mapping: automatic, then `manual` on top (a manual '' unmaps a field; a column a manual entry
 * claims is taken away from any automatic field). Unknown columns in `manual` become warnings.
 */
export function resolveMapping(headers: readonly string[], manual?: ColumnMapping): { mapping: ColumnMapping; index: ResolvedMapping; problems: Problem[] } {
  const problems: Problem[] = []
  const mapping: ColumnMapping = autoMapping(headers)
  if (manual) {
    const claimed = new Set(Object.values(manual).filter((v): v is string => !!v))
    for (const f of CHAT_FIELDS) {
      const col = mapping[f]
      if (col !== undefined && claimed.has(col) && manual[f] !== col) delete mapping[f]
    }
    for (const f of CHAT_FIELDS) {
      if (!(f in manual)) continue
      const col = manual[f]
      if (!col) {
        delete mapping[f]
      } else if (headers.includes(col)) {
        mapping[f] = col
      } else {
        delete mapping[f]
        problems.push(makeProblem('FILE', 'MAPPING_UNKNOWN_COLUMN', { column: col, field: f }))
      }
    }
  }
  const index: ResolvedMapping = {}
  for (const f of CHAT_FIELDS) {
    const col = mapping[f]
    if (col !== undefined) index[f] = headers.indexOf(col)
  }
  return { mapping, index, problems }
}

/** The memory key of a header row: normalised headers in order. */
export const headerKey = (headers: readonly string[]): string => headers.map(normalizeHeader).join('\u001f')

interface MemoryFile {
  version: 1
  entries: Record<string, { headers: string[]; mapping: ColumnMapping }>
}

const MAX_ENTRIES = 200

export type MappingLookup = (headers: readonly string[]) => ColumnMapping | undefined

/** Remembers manual mappings per header row, in one JSON file written atomically. */
export class MappingMemory {
  private data: MemoryFile | null = null
  private writing: Promise<void> = Promise.resolve()

  constructor(readonly file: string) {}

  /** The memory file inside a data dir. */
  static inDataDir(dataDir: string): MappingMemory {
    return new MappingMemory(join(dataDir, 'column-mappings.json'))
  }

  private async load(): Promise<MemoryFile> {
    if (this.data) return this.data
    let parsed: MemoryFile = { version: 1, entries: {} }
    try {
      const raw = JSON.parse(await readFile(this.file, 'utf8')) as Partial<MemoryFile>
      if (raw && typeof raw === 'object' && raw.entries && typeof raw.entries === 'object') parsed = { version: 1, entries: raw.entries }
    } catch {
      // Missing or damaged: start empty (the next save rewrites it).
    }
    this.data = parsed
    return parsed
  }

  async get(headers: readonly string[]): Promise<ColumnMapping | undefined> {
    return (await this.lookup())(headers)
  }

  /** Loads the file once and returns a synchronous lookup (the import calls it when the header row arrives). */
  async lookup(): Promise<MappingLookup> {
    const data = await this.load()
    return (headers) => MappingMemory.read(data, headers)
  }

  private static read(data: MemoryFile, headers: readonly string[]): ColumnMapping | undefined {
    const entry = Object.hasOwn(data.entries, headerKey(headers)) ? data.entries[headerKey(headers)] : undefined
    if (!entry || typeof entry !== 'object' || !entry.mapping || typeof entry.mapping !== 'object') return undefined
    const out: ColumnMapping = {}
    for (const f of CHAT_FIELDS) {
      const v = (entry.mapping as Record<string, unknown>)[f]
      if (typeof v === 'string') out[f] = v
    }
    return out
  }

  async remember(headers: readonly string[], mapping: ColumnMapping): Promise<void> {
    const data = await this.load()
    const key = headerKey(headers)
    delete data.entries[key] // re-insert: most recent last
    data.entries[key] = { headers: [...headers], mapping: { ...mapping } }
    const keys = Object.keys(data.entries)
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_ENTRIES))) delete data.entries[k]
    await this.save()
  }

  async forget(headers: readonly string[]): Promise<void> {
    const data = await this.load()
    delete data.entries[headerKey(headers)]
    await this.save()
  }

  private save(): Promise<void> {
    const text = `${JSON.stringify(this.data, null, 1)}\n`
    this.writing = this.writing.catch(() => {}).then(() => writeFileAtomic(this.file, text))
    return this.writing
  }
}
