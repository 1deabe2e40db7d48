/**
 * The sheet being imported: its metadata, the mapping being edited, and the preview rows. Rows can number
 * 100,000, so the arrays live in shallowRefs of markRaw'd, precomputed display objects: the table renders
 * plain data and never walks reactive proxies. An edited row replaces just that row.
 * The send plan (`sheets.sendPlan`, core's) says which rows were created before — by any earlier send, from this
 * data folder's history or found on the portal — and what a send would create now: the preview marks those rows,
 * the filter can show them, and the choice per row (skip, or a copy) is the plan's.
 */
import { defineStore } from 'pinia'
import { computed, markRaw, ref, shallowRef } from 'vue'
import type { CellEditInput, ImportOptionsInput, SendPlan, SendPlanRow, SheetPreview } from '../../../electron/shared/ipc'
import { SHEET_PAGE_MAX } from '../../../electron/shared/sheet'
import type { ColumnMapping, ReadingNote, RowStatus, SheetMeta, SheetRow, SheetSummary } from '../../../electron/shared/sheet'
import type { ChatField, ChatType } from '../../../electron/shared/chat'
import { CHAT_FIELDS, COLORS } from '../../../electron/shared/chat'
import { isReadable, makeProblem } from '../../../electron/shared/problems'
import { formatSize, INPUT_LIMITS } from '../../../electron/shared/limits'
import { api, UiError } from '../api'
import { membersOf } from '../members'
import { emptyHistory, pushBatch, redoStep, undoStep } from '../bulk'
import type { EditHistory } from '../bulk'

/** Rows created before: 'created' (the same values), 'changed' (created earlier with other values). */
export type SentFilter = 'created' | 'changed'
export type StatusFilter = 'all' | RowStatus | SentFilter
export const sentFilterOf = (r: SendPlanRow): SentFilter => (r.match === 'already-created' ? 'created' : 'changed')
export type ImportStep = 'file' | 'mapping' | 'preview'

/** What one preview line shows, computed once per row. */
export interface PreviewRow {
  key: string
  line: number
  status: RowStatus
  title: string
  titleGenerated: boolean
  colorHex: string | null
  colorCode: string | null
  /** The COLOR cell's text when the core refused it (the colour is invalid, not "auto"); null otherwise. */
  colorInvalid: string | null
  thumbnail: string | null
  /** "Anna Ivanova, 12, ✗ bob(at)x" — each member once: ids, names after a live check, unresolved e-mails marked ✗. */
  members: string
  memberCount: number
  type: ChatType
  /** What the import read differently from the TYPE / COLOR cell ("PUBLIC" → OPEN), if anything. */
  typeNote: ReadingNote | null
  colorNote: ReadingNote | null
  problemCount: number
  existingChatId: number | null
  /** The row itself, for the side panel. */
  row: SheetRow
}

/** `colorColumn`: the header mapped to COLOR, to quote the cell of an invalid colour. */
export function toPreviewRow(row: SheetRow, colorColumn?: string): PreviewRow {
  const parts = membersOf(row).map((m) =>
    m.kind === 'id' ? (m.name ?? String(m.id)) : m.state === 'pending' ? m.email : m.state === 'unknown' ? `✗ ${m.email}` : (m.name ?? m.email),
  )
  const colorCode = row.color ?? null
  const colorBad = row.problems.some((p) => p.field === 'COLOR' && p.severity === 'error')
  return markRaw({
    key: row.key,
    line: row.line,
    status: row.status,
    title: row.titlePreview,
    titleGenerated: row.titleGenerated,
    colorHex: !colorBad && !row.colorAuto && colorCode ? COLORS[colorCode].hex : null,
    colorCode: !colorBad && !row.colorAuto ? colorCode : null,
    colorInvalid: colorBad ? (colorColumn !== undefined ? (row.cells[colorColumn] ?? '') : '').trim() : null,
    thumbnail: row.avatar?.thumbnail ?? null,
    members: parts.join(', '),
    memberCount: parts.length,
    problemCount: row.problems.length,
    existingChatId: row.live?.existingChatId ?? null,
    type: row.params.TYPE ?? 'CHAT',
    typeNote: row.notes?.find((x) => x.field === 'TYPE') ?? null,
    // A colour written as its own English name ("Sky blue") is shown by that name anyway: no note needed.
    colorNote: row.notes?.find((x) => x.field === 'COLOR' && x.from.toLowerCase() !== COLORS[x.to as keyof typeof COLORS].en.toLowerCase()) ?? null,
    row,
  })
}

/** Index of the first row at or after `line` (rows are in sheet order), or the last row; -1 when there are none. */
export function indexOfLine(rows: readonly { line: number }[], line: number): number {
  if (rows.length === 0) return -1
  let lo = 0
  let hi = rows.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (rows[mid]!.line < line) lo = mid + 1
    else hi = mid
  }
  return lo
}

export function summarize(rows: readonly { status: RowStatus }[]): SheetSummary {
  const s: SheetSummary = { rows: rows.length, ready: 0, warning: 0, error: 0 }
  for (const r of rows) s[r.status]++
  return s
}

export const useSheetStore = defineStore('sheet', () => {
  const sheet = shallowRef<SheetPreview | null>(null)
  const rows = shallowRef<readonly PreviewRow[]>(markRaw([]))
  const summary = ref<SheetSummary>({ rows: 0, ready: 0, warning: 0, error: 0 })
  const filter = ref<StatusFilter>('all')
  const step = ref<ImportStep>('file')
  const mappingDraft = ref<ColumnMapping>({})
  const busy = ref<'' | 'import' | 'reimport' | 'live' | 'edit' | 'save'>('')
  const liveCheckedWith = ref<string | null>(null)
  /** A file that could not be opened as a sheet (or has no rows): shown at step 1 with its problems. */
  const rejected = shallowRef<SheetPreview | null>(null)
  /** Undo/redo of edit batches (every edit: grid, panel, bulk, find and replace). */
  const history = shallowRef<EditHistory>(emptyHistory())
  const canUndo = computed(() => history.value.done.length > 0)
  const canRedo = computed(() => history.value.undone.length > 0)
  let index = new Map<string, number>()
  /** The last send plan of this sheet (null until one is asked for), and for which profile. */
  const plan = shallowRef<SendPlan | null>(null)
  const planProfile = ref<string | null>(null)
  const planBusy = ref(false)
  let planSeq = 0
  /** Rows created before, by row key. */
  const sent = computed<ReadonlyMap<string, SendPlanRow>>(() => markRaw(new Map((plan.value?.rows ?? []).map((r) => [r.rowKey, r]))))

  const filteredRows = computed<readonly PreviewRow[]>(() => {
    const f = filter.value
    const all = rows.value
    if (f === 'all') return all
    const done = sent.value
    if (f === 'created' || f === 'changed') return markRaw(all.filter((r) => { const s = done.get(r.key); return !!s && sentFilterOf(s) === f }))
    // Ready and Warnings: the rows a send would create (rows created before have their own filters).
    return markRaw(all.filter((r) => r.status === f && (f === 'error' || !done.has(r.key))))
  })

  /** The filter's counts: rows created before are counted apart from Ready and Warnings. */
  const counts = computed(() => {
    const out = { ...summary.value, created: 0, changed: 0 }
    for (const s of sent.value.values()) {
      const r = rowByKey(s.rowKey)
      if (!r || r.status === 'error') continue
      out[r.status]--
      out[sentFilterOf(s)]++
    }
    return out
  })

  /** Fields the backend mapped itself (on import), for the "matched" tick. */
  const autoMapped = computed<ColumnMapping>(() => sheet.value?.meta.mapping ?? {})

  /** The preview rows of a sheet, read from the backend in pages (it keeps the sheet compact and builds rows on request). */
  async function loadRows(preview: SheetPreview): Promise<PreviewRow[]> {
    const colorColumn = preview.meta.mapping.COLOR
    const display: PreviewRow[] = []
    for (let offset = 0; offset < preview.summary.rows; ) {
      const page = await api.sheets.rows({ sheetId: preview.sheetId, offset, limit: SHEET_PAGE_MAX })
      if (!page.rows.length) break
      for (const r of page.rows) display.push(toPreviewRow(r, colorColumn))
      offset += page.rows.length
    }
    return display
  }

  /** Shows a sheet whose rows are loaded. */
  function show(preview: SheetPreview, display: PreviewRow[], nextStep?: ImportStep): void {
    sheet.value = markRaw(preview)
    rows.value = markRaw(display)
    index = new Map(display.map((r, i) => [r.key, i]))
    summary.value = { ...preview.summary }
    mappingDraft.value = { ...preview.meta.mapping }
    if (nextStep) step.value = nextStep
  }

  /** Shows the new state of the open sheet (re-import, live check). */
  async function adopt(preview: SheetPreview, nextStep?: ImportStep): Promise<void> {
    show(preview, await loadRows(preview), nextStep)
  }

  /**
   * Replaces the open sheet with a newly imported one, once its rows are in (the old one stays on any failure). A
   * file that could not be read, or has no data rows, stops at step 1: nothing moves on to the mapping with 0 rows.
   */
  async function switchTo(preview: SheetPreview): Promise<void> {
    const before = rejected.value
    if (before && before.sheetId !== preview.sheetId) await api.sheets.close({ sheetId: before.sheetId }).catch(() => undefined)
    if (!isReadable(preview.fileProblems) || preview.summary.rows === 0) {
      // A workbook with other sheets stays open in the backend: another sheet can be picked right here.
      if ((preview.meta.sheetNames?.length ?? 0) < 2) await api.sheets.close({ sheetId: preview.sheetId }).catch(() => undefined)
      rejected.value = markRaw(preview)
      return
    }
    rejected.value = null
    let display: PreviewRow[]
    try {
      display = await loadRows(preview)
    } catch (e) {
      await api.sheets.close({ sheetId: preview.sheetId }).catch(() => undefined)
      throw e
    }
    await closeCurrent()
    forgetPlan()
    liveCheckedWith.value = null
    filter.value = 'all'
    history.value = emptyHistory()
    show(preview, display, 'mapping')
  }

  async function run<T>(kind: typeof busy.value, fn: () => Promise<T>): Promise<T> {
    busy.value = kind
    try {
      return await fn()
    } finally {
      busy.value = ''
    }
  }

  async function importFile(file: File): Promise<void> {
    // Refused before a byte is read: a dropped multi-gigabyte file must not be loaded into the window first.
    if (file.size > INPUT_LIMITS.sheetBytes) {
      const p = makeProblem('FILE', 'FILE_TOO_LARGE', { size: formatSize(file.size), limit: formatSize(INPUT_LIMITS.sheetBytes) })
      throw new UiError({ code: 'VALIDATION', message: `${file.name}: ${p.message}`, messageRu: `${file.name}: ${p.messageRu}` })
    }
    const buf = await file.arrayBuffer()
    const path = api.files.pathForFile(file)
    await run('import', async () => {
      await switchTo(await api.sheets.import({ name: file.name, bytes: new Uint8Array(buf), ...(path ? { path } : {}) }))
    })
  }

  /** Opens the native file dialog; false when the user cancelled it. */
  async function openDialog(): Promise<boolean> {
    return run('import', async () => {
      const preview = await api.sheets.openDialog()
      if (!preview) return false
      await switchTo(preview)
      return true
    })
  }

  /** Reads another sheet of a rejected workbook (its sheet had no rows). */
  async function pickRejectedSheet(name: string): Promise<void> {
    const r = rejected.value
    if (!r) return
    await run('import', async () => {
      await switchTo(await api.sheets.reimport({ sheetId: r.sheetId, options: { sheet: name } }))
    })
  }

  /** Opens the bundled sample sheet (the backend reads it from the app's resources). */
  async function openSample(): Promise<void> {
    await run('import', async () => {
      await switchTo(await api.sheets.openSample())
    })
  }

  async function reimport(options: ImportOptionsInput): Promise<void> {
    const current = sheet.value
    if (!current) return
    await run('reimport', async () => {
      const preview = await api.sheets.reimport({ sheetId: current.sheetId, options })
      liveCheckedWith.value = null
      history.value = emptyHistory()
      await adopt(preview)
    })
  }

  function setMapping(field: ChatField, column: string | null): void {
    const next = { ...mappingDraft.value }
    if (column) next[field] = column
    else delete next[field]
    mappingDraft.value = next
  }

  /** Re-imports with the edited mapping when it changed, then shows the preview. */
  async function confirmMapping(): Promise<void> {
    const current = sheet.value
    if (!current) return
    const before = JSON.stringify(sortKeys(current.meta.mapping))
    const after = JSON.stringify(sortKeys(mappingDraft.value))
    if (before !== after) await reimport({ mapping: { ...mappingDraft.value } })
    step.value = 'preview'
  }

  /** The header an edit's column names (a header as it is, or the column mapped to an API field). */
  function headerOf(meta: SheetMeta, column: string): string {
    if (meta.headers.includes(column)) return column
    const field = CHAT_FIELDS.find((f) => f === column.trim().toUpperCase())
    return (field && meta.mapping[field]) || column
  }

  /** Sends a list of edits in one call and shows the result; returns the rows changed. */
  async function sendEdits(edits: CellEditInput[]): Promise<number> {
    const current = sheet.value
    if (!current || !edits.length) return 0
    const out = await run('edit', () => api.sheets.editCells({ sheetId: current.sheetId, edits }))
    const preview: SheetPreview = { ...current, meta: out.meta, summary: out.summary }
    if (out.truncated) {
      show(preview, await loadRows(preview))
    } else {
      sheet.value = markRaw(preview)
      const next = rows.value.slice()
      for (const r of out.rows) {
        const i = index.get(r.key)
        if (i !== undefined) next[i] = toPreviewRow(r, out.meta.mapping.COLOR)
      }
      rows.value = markRaw(next)
      summary.value = { ...out.summary }
    }
    return out.changed
  }

  /** Applies a batch of edits (grid, panel, bulk fix, find and replace) and records it for undo. */
  async function applyEdits(edits: CellEditInput[]): Promise<number> {
    const current = sheet.value
    if (!current || !edits.length) return 0
    const meta = current.meta
    const batch = edits.map((e) => {
      const r = rowByKey(e.rowKey)
      return { rowKey: e.rowKey, column: e.column, before: r?.row.cells[headerOf(meta, e.column)] ?? '', after: e.value }
    })
    const changed = await sendEdits(edits)
    history.value = pushBatch(history.value, { edits: batch })
    return changed
  }

  /** Applies an undo or redo step; the history moves only once the backend took it. */
  async function replay(step: ReturnType<typeof undoStep>): Promise<number> {
    if (!step) return 0
    const changed = await sendEdits(step.edits)
    history.value = step.next
    return changed
  }
  const undo = (): Promise<number> => replay(undoStep(history.value))
  const redo = (): Promise<number> => replay(redoStep(history.value))

  /** One cell (the row panel): an undoable batch of one edit; returns the row as it is now. */
  async function editCell(rowKey: string, column: string, value: string): Promise<PreviewRow> {
    await applyEdits([{ rowKey, column, value }])
    const r = rowByKey(rowKey)
    if (!r) throw new Error('row gone')
    return r
  }

  /** Puts a re-validated row in place of the old one (its key may change with its content). */
  function replaceRow(oldKey: string, updated: SheetRow): PreviewRow {
    const i = index.get(oldKey)
    const display = toPreviewRow(updated, sheet.value?.meta.mapping.COLOR)
    if (i === undefined) return display
    const old = rows.value[i]
    const next = rows.value.slice()
    next[i] = display
    rows.value = markRaw(next)
    if (oldKey !== updated.key) {
      index.delete(oldKey)
      index.set(updated.key, i)
    }
    if (old && old.status !== display.status) {
      summary.value = { ...summary.value, [old.status]: summary.value[old.status] - 1, [display.status]: summary.value[display.status] + 1 }
    }
    return display
  }

  function rowByKey(key: string): PreviewRow | undefined {
    const i = index.get(key)
    return i === undefined ? undefined : rows.value[i]
  }

  async function liveCheck(profile: string): Promise<void> {
    const current = sheet.value
    if (!current) return
    await run('live', async () => {
      await adopt(await api.sheets.liveCheck({ sheetId: current.sheetId, profile }))
      liveCheckedWith.value = profile
    })
  }

  /**
   * Asks the backend what a send would do now (`portal`: look the rows up on the portal too, not only in this data
   * folder's history). `copies`: the rows to create again as new chats; by default the plan's current choice.
   * The caller always gets its own answer (null when the sheet was closed meanwhile); the preview shows it only
   * when no later request was made meanwhile.
   */
  async function refreshPlan(profile: string, opts: { portal?: boolean; copies?: string[] } = {}): Promise<SendPlan | null> {
    const current = sheet.value
    if (!current) return null
    const mine = ++planSeq
    planBusy.value = true
    try {
      const next = await api.sheets.sendPlan({ sheetId: current.sheetId, profile, copies: opts.copies ?? copies(), portal: opts.portal ?? false })
      if (sheet.value?.sheetId !== current.sheetId) return null
      if (mine === planSeq) {
        plan.value = markRaw(next)
        planProfile.value = profile
      }
      return next
    } finally {
      if (mine === planSeq) planBusy.value = false
    }
  }

  /** The rows the plan creates again as new chats (the user's choice). */
  function copies(): string[] {
    return (plan.value?.rows ?? []).filter((r) => r.choice === 'copy').map((r) => r.rowKey)
  }

  /** A row created before: skip it (the default) or create a new chat (a copy). */
  async function setChoice(profile: string, rowKey: string, choice: 'skip' | 'copy'): Promise<void> {
    const next = new Set(copies())
    if (choice === 'copy') next.add(rowKey)
    else next.delete(rowKey)
    await refreshPlan(profile, { copies: [...next] })
  }

  function forgetPlan(): void {
    planSeq++
    plan.value = null
    planProfile.value = null
    planBusy.value = false
  }

  async function closeCurrent(): Promise<void> {
    const current = sheet.value
    if (!current) return
    try {
      await api.sheets.close({ sheetId: current.sheetId })
    } catch {
      // Closing only frees memory in the backend; a failure changes nothing the user sees.
    }
  }

  async function close(): Promise<void> {
    await closeCurrent()
    sheet.value = null
    rows.value = markRaw([])
    index = new Map()
    summary.value = { rows: 0, ready: 0, warning: 0, error: 0 }
    step.value = 'file'
    liveCheckedWith.value = null
    rejected.value = null
    history.value = emptyHistory()
    forgetPlan()
  }

  return {
    sheet, rows, summary, filter, step, mappingDraft, busy, liveCheckedWith, rejected, history, canUndo, canRedo, filteredRows, autoMapped,
    plan, planProfile, planBusy, sent, counts, refreshPlan, copies, setChoice,
    adopt, importFile, openDialog, openSample, pickRejectedSheet, reimport, setMapping, confirmMapping, editCell, applyEdits, undo, redo, replaceRow, rowByKey, liveCheck, close,
  }
})

function sortKeys(m: ColumnMapping): [string, string | undefined][] {
  return Object.entries(m).sort(([a], [b]) => a.localeCompare(b))
}
