/**
 * Import benchmark: a generated 100k-row sheet, parse + validate (importSheet) against bare papaparse parsing
 * the same bytes (decode + Papa.parse with the delimiter given). Target: ratio ≤ 2. Also the peak RSS, the GC
 * share of each side, and what building every row as an object costs afterwards (a job does that once; the
 * preview builds the rows in pages).
 *   node --import tsx test/bench/import.ts
 */
import { fileURLToPath } from 'node:url'
import { PerformanceObserver, performance } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import Papa from 'papaparse'
import * as XLSX from '@e965/xlsx'
import { COLOR_CODES } from '../../electron/shared/chat'
import { importSheet } from '../../electron/core/import'
import type { Sheet } from '../../electron/core/import'

/** A realistic sheet: quoted cells with commas and line breaks, ids and e-mails, Russian and English text. */
export function generateSheet(rows: number, seed = 7): Uint8Array {
  let s = seed >>> 0
  const rnd = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s % n
  }
  const words = ['Sales', 'Support', 'Продажи', 'Маркетинг', 'Design', 'Project', 'Отдел', 'Team', 'Launch', 'Бухгалтерия', 'Logistics', 'Клиенты']
  const out: string[] = ['TITLE,USERS,TYPE,COLOR,DESCRIPTION,MESSAGE,ENTITY_TYPE,ENTITY_ID,OWNER']
  for (let i = 1; i <= rows; i++) {
    const owner = 1 + rnd(199)
    const members = [owner, 1 + rnd(199), 1 + rnd(199), 1 + rnd(199)]
    if (rnd(3) === 0) members.push(1 + rnd(199))
    const users = members.map((m) => (rnd(4) === 0 ? `user${m}@sandbox.test` : String(m))).join(', ')
    const title = `${words[rnd(words.length)]} ${words[rnd(words.length)]} #${i}`
    const desc = rnd(3) === 0 ? `"Line one, with a comma\nand a ""quoted"" word"` : `Description of chat ${i}`
    const msg = rnd(2) === 0 ? 'Добро пожаловать в чат!' : ''
    const color = rnd(5) === 0 ? '' : COLOR_CODES[rnd(COLOR_CODES.length)]!
    const type = rnd(2) === 0 ? 'OPEN' : 'CHAT'
    const entity = rnd(2) === 0 ? `BULKCHAT,job-${i}` : ','
    out.push(`${title},"${users}",${type},${color},${desc},${msg},${entity},${owner}`)
  }
  return new TextEncoder().encode(`${out.join('\r\n')}\r\n`)
}

/** A full GC between runs, so neither side pays for the garbage the other left behind. */
function collect(): void {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as (() => void) | undefined
  gc?.()
}

/** The fastest run: the figure least disturbed by other processes on a shared machine. */
const best = (xs: number[]): number => Math.min(...xs)
const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b)
  return s[s.length >> 1]!
}

export interface ImportBench {
  rows: number
  /** Wall time of decode + bare Papa.parse (best of the runs). */
  parseMs: number
  /** Wall time of importSheet: detection, chunked parse, mapping, validation, keys, cross-row checks. */
  importMs: number
  /** importMs / parseMs: the target is ≤ 2. */
  ratio: number
  /** The same ratio on process CPU time (steadier than wall time on a busy machine). */
  cpuRatio: number
  /** The wall ratio of the medians (how a typical run compares, not the luckiest one). */
  medianRatio: number
  peakRssMb: number
  /** Garbage-collector pause time inside the best run of each side (where the rest of the gap comes from). */
  parseGcMs: number
  importGcMs: number
  /** Building all rows as objects afterwards (`sheet.allRows()`, best run): not part of the import. */
  allRowsMs: number
}

const cpuMs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/** [wall ms, CPU ms, GC pause ms] of one run. */
type Run = [number, number, number]

export async function benchImport(opts: { rows?: number; runs?: number } = {}): Promise<ImportBench> {
  const rows = opts.rows ?? 100_000
  const runs = opts.runs ?? 5
  const bytes = generateSheet(rows)
  const pauses: { start: number; duration: number }[] = []
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push({ start: e.startTime, duration: e.duration })
  })
  observer.observe({ entryTypes: ['gc'] })
  /** GC pauses that began inside [t0, t1] (the observer reports them a turn of the event loop later). */
  const gcBetween = async (t0: number, t1: number): Promise<number> => {
    await new Promise((resolve) => setTimeout(resolve, 20))
    let ms = 0
    for (const p of pauses) if (p.start >= t0 && p.start <= t1) ms += p.duration
    return ms
  }
  const bare = async (): Promise<Run> => {
    collect()
    const c0 = cpuMs()
    const t0 = performance.now()
    const text = new TextDecoder('utf-8').decode(bytes)
    const res = Papa.parse<string[]>(text, { delimiter: ',', newline: '\r\n' })
    const t1 = performance.now()
    const c1 = cpuMs()
    if (res.data.length < rows) throw new Error('papaparse lost rows')
    return [t1 - t0, c1 - c0, await gcBetween(t0, t1)]
  }
  const full = async (): Promise<Run> => {
    collect()
    const c0 = cpuMs()
    const t0 = performance.now()
    const sheet = await importSheet(bytes, { fileName: 'bench.csv' })
    const t1 = performance.now()
    const c1 = cpuMs()
    const s = sheet.summary
    if (sheet.length !== rows || s.ready + s.warning + s.error !== rows) throw new Error(`import read ${sheet.length} rows, expected ${rows}`)
    last = sheet
    return [t1 - t0, c1 - c0, await gcBetween(t0, t1)]
  }
  let last: Sheet | undefined
  /** Building every row as an object afterwards (what a job does once; the preview builds pages). */
  const build = (): number => {
    if (!last) throw new Error('nothing imported')
    const sheet = last
    collect()
    const t0 = performance.now()
    const all = sheet.allRows()
    const ms = performance.now() - t0
    if (all.length !== rows) throw new Error('rows lost')
    return ms
  }
  try {
    await bare()
    await full()
    const parse: Run[] = []
    const imp: Run[] = []
    const builds: number[] = []
    for (let i = 0; i < runs; i++) {
      parse.push(await bare())
      imp.push(await full())
      builds.push(build())
    }
    const fastest = (xs: Run[]): Run => xs.reduce((a, b) => (b[0] < a[0] ? b : a))
    const p = fastest(parse)
    const m = fastest(imp)
    const round2 = (x: number): number => Math.round(x * 100) / 100
    return {
      rows, parseMs: Math.round(p[0]), importMs: Math.round(m[0]), ratio: round2(m[0] / p[0]),
      cpuRatio: round2(best(imp.map((x) => x[1])) / best(parse.map((x) => x[1]))),
      medianRatio: round2(median(imp.map((x) => x[0])) / median(parse.map((x) => x[0]))),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      parseGcMs: Math.round(p[2]), importGcMs: Math.round(m[2]), allRowsMs: Math.round(best(builds)),
    }
  } finally {
    observer.disconnect()
  }
}

/** The same generated sheet as an .xlsx workbook (written by SheetJS; every cell a string, as in the CSV). */
export function generateXlsx(rows: number): Uint8Array {
  const text = new TextDecoder().decode(generateSheet(rows))
  const aoa = Papa.parse<string[]>(text, { delimiter: ',', newline: '\r\n', skipEmptyLines: true }).data
  const wb = XLSX.utils.book_new()
  XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(aoa), 'Chats')
  return new Uint8Array(XLSX.write(wb, { type: 'array', bookType: 'xlsx' }) as ArrayBuffer)
}

export interface XlsxBench {
  rows: number
  bytes: number
  /** SheetJS's own read of the bytes (dense), in this thread: the library's bare figure (best run). */
  bareMs: number
  /** importSheet of the same bytes: the worker's read and extraction, then mapping and validation (best run). */
  importMs: number
  ratio: number
}

/** importSheet on a 100k-row .xlsx against SheetJS's bare read of the same bytes. */
export async function benchXlsx(opts: { rows?: number; runs?: number } = {}): Promise<XlsxBench> {
  const rows = opts.rows ?? 100_000
  const runs = opts.runs ?? 5
  const bytes = generateXlsx(rows)
  const bare: number[] = []
  const full: number[] = []
  for (let i = 0; i <= runs; i++) {
    collect()
    let t0 = performance.now()
    const wb = XLSX.read(bytes, { type: 'array', dense: true })
    const b = performance.now() - t0
    if (((wb.Sheets.Chats as { '!data'?: unknown[] })['!data']?.length ?? 0) < rows) throw new Error('SheetJS lost rows')
    collect()
    t0 = performance.now()
    const sheet = await importSheet(bytes, { fileName: 'bench.xlsx' })
    const f = performance.now() - t0
    if (sheet.length !== rows) throw new Error(`import read ${sheet.length} rows, expected ${rows}: ${sheet.fileProblems.map((p) => p.message).join('; ')}`)
    if (i > 0) {
      bare.push(b)
      full.push(f)
    }
  }
  const round2 = (x: number): number => Math.round(x * 100) / 100
  return { rows, bytes: bytes.byteLength, bareMs: Math.round(best(bare)), importMs: Math.round(best(full)), ratio: round2(best(full) / best(bare)) }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--xlsx')) {
    const x = await benchXlsx()
    console.log(`import .xlsx: ${x.rows} rows (${(x.bytes / 1024 / 1024).toFixed(1)} MB) — SheetJS bare read ${x.bareMs} ms, importSheet ${x.importMs} ms, ratio ${x.ratio}×`)
    process.exit(0)
  }
  const r = await benchImport()
  console.log(`import: ${r.rows} rows — papaparse ${r.parseMs} ms (GC ${r.parseGcMs}), importSheet ${r.importMs} ms (GC ${r.importGcMs}), ratio ${r.ratio}× (CPU ${r.cpuRatio}×, median ${r.medianRatio}×; target ≤ 2×), peak RSS ${r.peakRssMb} MB; building all ${r.rows} row objects afterwards: ${r.allRowsMs} ms`)
}
