import type { ChatField, ChatParams, ColorCode } from './chat'

export type Severity = 'error' | 'warning'
export type RowStatus = 'ready' | 'warning' | 'error'

/** One thing wrong (or worth a look) with a row or the file, at the field it concerns. */
export interface Problem {
  /** The im.chat.add field (API name), 'ROW' for the row as a whole, 'FILE' for the file. */
  field: ChatField | 'ROW' | 'FILE'
  /** Stable machine code, e.g. COLOR_UNKNOWN, USERS_INVALID, TITLE_TOO_LONG, FILE_TOO_LARGE. */
  code: string
  severity: Severity
  /** English text; `messageRu` is the same in Russian. Both are safe to show. */
  message: string
  messageRu: string
}

export type Delimiter = ',' | ';' | '\t' | '|'
export const DELIMITERS: readonly Delimiter[] = [',', ';', '\t', '|']
export const ENCODINGS = ['utf-8', 'utf-16le', 'utf-16be', 'windows-1251', 'windows-1252'] as const
export type SheetEncoding = (typeof ENCODINGS)[number]
/** What a sheet file is, by its content: a text sheet or a spreadsheet program's workbook. */
export const SHEET_FORMATS = ['csv', 'xlsx', 'xls', 'ods'] as const
export type SheetFormat = (typeof SHEET_FORMATS)[number]

/** Which sheet column feeds which im.chat.add field (by header text). Unmapped columns are kept as-is. */
export type ColumnMapping = Partial<Record<ChatField, string>>

export interface ImportOptions {
  encoding?: SheetEncoding
  delimiter?: Delimiter
  mapping?: ColumnMapping
  /** Longest edge of a downscaled avatar, px (default 1024). */
  avatarMaxEdge?: number
  /** False when the portal has chat colours off: auto-titles are then previewed as "Chat with …" (default true). */
  colorsEnabled?: boolean
  /** A workbook's sheet to read (by name); default: the first visible sheet whose header names a chat field. */
  sheet?: string
}

export interface AvatarInfo {
  mime: string
  width: number
  height: number
  /** Size of the base64 that will be sent. */
  base64Bytes: number
  downscaled: boolean
  /** Small PNG/JPEG data: URL for previews (≤ 64 px). */
  thumbnail: string
}

/** A row as the preview shows it and the engine sends it. */
export interface SheetRow {
  /**
   * `r` + the record's ordinal among the data rows: the same file always gives the same keys (a job is tied to the
   * file's content hash, so keys of two versions of a sheet never meet).
   */
  key: string
  /**
   * The row's number as a spreadsheet program shows it (1-based; the header row is usually 1): for a CSV the
   * record's ordinal in the file, so a quoted cell with line breaks does not push the numbers out of step.
   */
  line: number
  /** CSV only: the record's first physical line in the file (shown in the row's details). */
  fileLine?: number
  /** Original cells by header, verbatim (come back in the results export). */
  cells: Record<string, string>
  status: RowStatus
  /** Exactly what would be sent to im.chat.add (no TITLE when the server generates it). */
  params: ChatParams
  /** E-mails in USERS waiting for resolution to ids (a live dry run fills `resolved`). */
  emails: string[]
  /** The owner to set after creation: a user id, or an e-mail until resolved. */
  owner?: number | string
  /** What the title will look like (English); `titleGenerated` when the server will make it up. */
  titlePreview: string
  titleGenerated: boolean
  /**
   * How the title comes about, for the UI to word it in its own language (never parse `titlePreview`). The import
   * always sets it; rows stored by an older version lack it (read them by `titleGenerated` / `colorAuto`).
   */
  titleKind?: TitleKind
  /** The member names of a `withMembers` title, in order. */
  titleNames?: string[]
  /** Colour the chat will have; `colorAuto` when the server picks it (round-robin). */
  color?: ColorCode
  colorAuto: boolean
  avatar?: AvatarInfo
  problems: Problem[]
  /** Cells read as something other than what they say ("PUBLIC" → OPEN): shown in the preview. */
  notes?: ReadingNote[]
  /** Set by the live dry run. */
  live?: {
    /** e-mail → user id (null: no active user). */
    resolved: Record<string, number | null>
    /** user id → display name. */
    names: Record<number, string>
    /** A chat with this row's entity pair already exists on the portal. */
    existingChatId?: number
    /** Ids the resolution of e-mails added to `params.USERS` (so a later check can redo it). */
    addedUsers?: number[]
  }
}

/**
 * How a chat's title comes about: `given` by the sheet or form; else made by the portal — `colorNumbered`
 * ("Red Chat #n", colour known), `autoNumbered` (the portal picks the colour too), `withMembers` ("Chat with …",
 * portals with chat colours off; names in `titleNames`), `plain` ("Chat": colours off and no members).
 */
export const TITLE_KINDS = ['given', 'colorNumbered', 'autoNumbered', 'withMembers', 'plain'] as const
export type TitleKind = (typeof TITLE_KINDS)[number]

/** Codes of the reading notes: a TYPE or COLOR cell written as a synonym of an API value. */
export const READING_CODES = ['TYPE_READ_AS', 'COLOR_READ_AS'] as const
export type ReadingCode = (typeof READING_CODES)[number]

/** A cell the import read as something else than its text: `from` is the cell, `to` the API value sent. */
export interface ReadingNote {
  code: ReadingCode
  field: ChatField
  from: string
  to: string
}

export interface SheetSummary {
  rows: number
  ready: number
  warning: number
  error: number
}

export interface SheetMeta {
  fileName: string
  /** Folder the sheet came from (relative avatar paths resolve against it), when known. */
  dir?: string
  bytes: number
  encoding: SheetEncoding
  encodingDetected: SheetEncoding
  delimiter: Delimiter
  delimiterDetected: Delimiter
  headers: string[]
  mapping: ColumnMapping
  /** True when the mapping came from memory for this header row. */
  mappingRemembered: boolean
  /** sha256 of the file's bytes: keys a job for resume. */
  contentHash: string
  /** Records skipped because every cell was blank (spreadsheets export trailing empty rows). */
  skippedBlank?: number
  /** 'csv' when absent. For a workbook, `encoding` and `delimiter` mean nothing. */
  format?: SheetFormat
  /** A workbook's visible sheets, and the one read. */
  sheetNames?: string[]
  sheetName?: string
  /** Up to three non-blank values of each column (by header index), for the mapping step. */
  samples?: string[][]
}

/** An imported sheet without its rows: what the app shows at once (rows come in pages: `sheets.rows`). */
export interface SheetOverview {
  meta: SheetMeta
  /** File-level problems (empty file, binary, too large, unterminated quote …). */
  fileProblems: Problem[]
  summary: SheetSummary
}

/** An imported sheet with every row built as an object (the CLI's JSON output, tests). */
export interface ImportedSheet extends SheetOverview {
  rows: SheetRow[]
}

/** Most rows one `sheets.rows` call returns. */
export const SHEET_PAGE_MAX = 5000

/** One page of a sheet's rows, in sheet order. */
export interface SheetRowsPage {
  offset: number
  total: number
  rows: SheetRow[]
}
