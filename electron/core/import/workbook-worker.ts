/**
 * Parses a workbook with SheetJS in a worker thread, so a big file never blocks the process's event loop and a
 * hostile one can be stopped: SheetJS can spin for ever, or allocate without bound, on a damaged file (seen in
 * the property tests). The worker has a heap ceiling and the caller a deadline; either ends it.
 *
 * The worker's code is plain JavaScript text (run with `eval: true`), so it needs no build step of its own in the
 * app bundle, under tsx or in vitest. It returns each sheet as displayed text, with what the import must tell the
 * user about it (merges, hidden rows, formulas, rounded numbers).
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

export interface ExtractedSheet {
  name: string
  /** Hidden (or very hidden) in the workbook. */
  hidden: boolean
  /** Rows of the sheet's used range (from !fullref when the read was cut short). */
  totalRows: number
  /** Rows read, hidden ones left out: 0-based row index and the displayed text of each cell from the first column. */
  rows: { r: number; cells: string[] }[]
  merges: string[]
  formulas: string[]
  rounded: string[]
  /** 1-based numbers of hidden rows that held something. */
  hiddenRows: number[]
}

export type Extracted = { ok: true; sheets: ExtractedSheet[] } | { ok: false; message: string; timeout?: boolean }

const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const XLSX = require(workerData.xlsxPath);
const { bytes, format, sheetRows } = workerData;
const isGeneral = (z) => z === undefined || z === 'General' || z === 0;
function cellText(c, onRounded) {
  if (!c) return '';
  if (c.t === 'n' && typeof c.v === 'number' && Number.isInteger(c.v) && isGeneral(c.z)) {
    if (Number.isSafeInteger(c.v)) return String(c.v);
    onRounded();
    return c.v.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 0 });
  }
  if (typeof c.w === 'string') return c.w;
  if (c.t === 'b') return c.v ? 'TRUE' : 'FALSE';
  return c.v === undefined || c.v === null ? '' : String(c.v);
}
function odsHidden(name) {
  const hidden = new Set();
  const entry = XLSX.CFB.find(XLSX.CFB.read(bytes, { type: 'array' }), 'content.xml');
  if (!entry || !entry.content) return hidden;
  const xml = new TextDecoder().decode(entry.content);
  const esc = name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
  const start = xml.indexOf('<table:table table:name="' + esc + '"');
  if (start < 0) return hidden;
  const re = /<table:table-row\b([^>]*)>|<\/table:table>/g;
  re.lastIndex = start;
  let row = 0;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    if (m[1] === undefined) break;
    const rep = Number((/table:number-rows-repeated="(\d+)"/.exec(m[1]) || [])[1] || 1);
    if (/table:visibility="(collapse|filter)"/.test(m[1])) for (let k = 0; k < rep && row + k <= sheetRows; k++) hidden.add(row + k);
    row += rep;
    if (row > sheetRows) break;
  }
  return hidden;
}
try {
  const wb = XLSX.read(bytes, { type: 'array', dense: true, cellStyles: true, cellFormula: true, cellHTML: false, cellNF: false, cellDates: false, sheetRows });
  const flags = (wb.Workbook && wb.Workbook.Sheets) || [];
  const sheets = wb.SheetNames.map((name, i) => {
    const ws = wb.Sheets[name] || {};
    const data = ws['!data'] || [];
    const full = ws['!fullref'] || ws['!ref'];
    const totalRows = full ? XLSX.utils.decode_range(full).e.r + 1 : 0;
    const range = ws['!ref'] ? XLSX.utils.decode_range(ws['!ref']) : { s: { r: 0, c: 0 }, e: { r: -1, c: -1 } };
    const fill = new Map();
    const merges = ws['!merges'] || [];
    let mergeEnd = -1;
    for (const m of merges) {
      const top = (data[m.s.r] || [])[m.s.c];
      if (top) for (let r = m.s.r + 1; r <= Math.min(m.e.r, range.e.r); r++) fill.set(r + ':' + m.s.c, top);
      if (m.s.c > mergeEnd) mergeEnd = m.s.c;
    }
    const hiddenSet = format === 'ods' ? odsHidden(name) : new Set((ws['!rows'] || []).flatMap((r, k) => (r && r.hidden ? [k] : [])));
    const out = { name, hidden: !!(flags[i] && flags[i].Hidden), totalRows, rows: [], merges: merges.map((m) => XLSX.utils.encode_range(m)), formulas: [], rounded: [], hiddenRows: [] };
    for (let r = range.s.r; r <= range.e.r; r++) {
      const src = data[r] || [];
      if (hiddenSet.has(r)) {
        if (src.some((c) => c && cellText(c, () => {}).trim())) out.hiddenRows.push(r + 1);
        continue;
      }
      const end = Math.min(range.e.c, Math.max(src.length - 1, fill.size ? mergeEnd : -1));
      const cells = [];
      let last = -1;
      for (let c = range.s.c; c <= end; c++) {
        const merged = fill.size ? fill.get(r + ':' + c) : undefined;
        const cell = merged || src[c];
        if (!merged && cell && (cell.f !== undefined || cell.F !== undefined)) out.formulas.push(XLSX.utils.encode_cell({ r, c }));
        const text = cellText(cell, () => out.rounded.push(XLSX.utils.encode_cell({ r, c })));
        cells.push(text);
        if (text !== '') last = c - range.s.c;
      }
      cells.length = last + 1;
      out.rows.push({ r, cells });
    }
    return out;
  });
  parentPort.postMessage({ ok: true, sheets });
} catch (e) {
  parentPort.postMessage({ ok: false, message: String((e && e.message) || e).slice(0, 200) });
}
`

let xlsxPath: string | undefined
const resolveXlsx = (): string => (xlsxPath ??= createRequire(import.meta.url).resolve('@e965/xlsx'))

export interface ExtractOptions {
  /** Rows to read per sheet at most (SheetJS `sheetRows`). */
  sheetRows: number
  /** The worker is stopped after this long (default 120 s). */
  timeoutMs?: number
  /** The worker's heap ceiling (default 2048 MB). */
  maxHeapMb?: number
  signal?: AbortSignal
}

/** Every sheet of a workbook as displayed text, parsed in a worker that a deadline, a heap ceiling or `signal` stops. */
export function extractWorkbook(bytes: Uint8Array, format: 'xlsx' | 'xls' | 'ods', opts: ExtractOptions): Promise<Extracted> {
  return new Promise((resolve, reject) => {
    let settled = false
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { xlsxPath: resolveXlsx(), bytes, format, sheetRows: opts.sheetRows },
      resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb ?? 2048 },
      stdout: true,
      stderr: true,
    })
    // SheetJS writes diagnostics of damaged files to the console: they are not for the user's terminal.
    worker.stdout.resume()
    worker.stderr.resume()
    const finish = (value: Extracted | Error): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
      void worker.terminate()
      if (value instanceof Error) reject(value)
      else resolve(value)
    }
    const onAbort = (): void => finish(opts.signal!.reason instanceof Error ? opts.signal!.reason : new Error('aborted'))
    const timer = setTimeout(() => finish({ ok: false, message: 'reading it took too long', timeout: true }), opts.timeoutMs ?? 120_000)
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    worker.once('message', (m: Extracted) => finish(m))
    worker.once('error', (e) => finish({ ok: false, message: e instanceof Error ? e.message.slice(0, 200) : 'the reader failed' }))
    worker.once('exit', (code) => finish({ ok: false, message: `the reader stopped (${code})` }))
  })
}
