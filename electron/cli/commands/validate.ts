/**
 * `b24chat validate FILE`: reads a sheet exactly as the app would and reports every problem per row and field,
 * optionally checked against a portal (--profile / --webhook-stdin / --webhook). Exit 0 whenever the file could be read.
 */
import { once } from 'node:events'
import { basename, dirname, resolve } from 'node:path'
import { resolveDataDir } from '../../core/paths'
import { MappingMemory, importSheet, isReadable, liveCheck, readSheetFile } from '../../core/import'
import { formatSize } from '../../core/import/avatar'
import { redact } from '../../core/redact'
import type { ChatParams } from '../../shared/chat'
import { AppFailure } from '../../shared/result'
import type { Delimiter, Problem, SheetEncoding, SheetRow } from '../../shared/sheet'
import type { Sheet } from '../../core/import'
import { DELIMITERS, ENCODINGS } from '../../shared/sheet'
import { AVATARS_FROM_OPTION, avatarFoldersFrom, parseCommandArgs } from '../args'
import type { CliCommand, CliIO } from '../types'
import { EXIT } from '../types'

const USAGE = `Usage: b24chat validate FILE [--json] [--encoding NAME] [--delimiter C] [--avatar-edge PX]
                        [--avatars-from DIR]… [--profile NAME | --webhook-stdin | --webhook URL [--ca FILE]] [--data DIR] [--lang en|ru]

Reads a CSV/TSV sheet (any encoding a spreadsheet exports) or an .xlsx / .xls / .ods workbook and lists every
problem per row and field.
  --json            one JSON document on stdout: { file, encoding, delimiter, rows, summary }
  --encoding NAME   ${ENCODINGS.join(' | ')} (default: detected)
  --delimiter C     , ; | or "tab" (default: detected)
  --avatar-edge PX  downscale PNG/JPEG avatars to this longest edge (default 1024)
  --avatars-from DIR  also read avatar files from DIR (repeatable); without it, only from the sheet's folder
  --profile NAME    also check users and entity pairs on that portal (read-only: user.get, im.chat.get)
  --webhook-stdin   the same with a one-off webhook read from standard input; --ca FILE trusts a private CA
  --webhook URL     the same as an argument (warns: other users can see it in the process list)
  --data DIR        data folder (profiles, remembered column mappings)
  --lang en|ru      language of the problem texts (default: from $LANG)
Exit status: 0 when the file could be read, whatever its rows say; 1 when it could not; 2 for bad options.`

const DELIMITER_NAMES: Record<string, Delimiter> = { ',': ',', comma: ',', ';': ';', semicolon: ';', tab: '\t', '\\t': '\t', '\t': '\t', '|': '|', pipe: '|' }

/** AVATAR summarised (size and picture), never the base64 itself. */
export function summariseParams(params: ChatParams, avatar?: { mime: string; width: number; height: number }): Record<string, unknown> {
  const out: Record<string, unknown> = { ...params }
  if (params.AVATAR !== undefined) {
    out.AVATAR = `<base64, ${formatSize(params.AVATAR.length)}${avatar ? `, ${avatar.mime} ${avatar.width}×${avatar.height}` : ''}>`
  }
  return out
}

const problemJson = (p: Problem, ru: boolean) => ({ field: p.field, code: p.code, severity: p.severity, message: ru ? p.messageRu : p.message })

/** One row of the JSON document. */
export function rowJson(r: SheetRow, ru = false): Record<string, unknown> {
  return {
    line: r.line,
    key: r.key,
    status: r.status,
    params: summariseParams(r.params, r.avatar),
    ...(r.emails.length ? { emails: r.emails } : {}),
    ...(r.owner !== undefined ? { owner: r.owner } : {}),
    ...(r.titleGenerated ? { titlePreview: r.titlePreview } : {}),
    ...(r.live?.existingChatId ? { existingChatId: r.live.existingChatId } : {}),
    problems: r.problems.map((p) => problemJson(p, ru)),
  }
}

/**
 * The `--json` document, { file, encoding, delimiter, headers, mapping, fileProblems, rows, summary }, in pieces:
 * exactly `JSON.stringify(doc, null, 2)` + newline, but built one row at a time, so a 200,000-row sheet never
 * holds every row, or the whole text, in memory.
 */
export function* jsonChunks(sheet: Sheet, file: string, ru = false): Generator<string> {
  const head = JSON.stringify({
    file,
    encoding: sheet.meta.encoding,
    delimiter: sheet.meta.delimiter,
    format: sheet.meta.format ?? 'csv',
    ...(sheet.meta.sheetName !== undefined ? { sheet: sheet.meta.sheetName, sheets: sheet.meta.sheetNames ?? [] } : {}),
    headers: sheet.meta.headers,
    mapping: sheet.meta.mapping,
    fileProblems: sheet.fileProblems.map((p) => problemJson(p, ru)),
  }, null, 2)
  yield `${head.slice(0, -2)},\n  "rows": [`
  for (let i = 0; i < sheet.length; i++) {
    yield `${i ? ',' : ''}\n    ${JSON.stringify(rowJson(sheet.rowAt(i), ru), null, 2).replace(/\n/g, '\n    ')}`
  }
  const summary = { ready: sheet.summary.ready, warning: sheet.summary.warning, error: sheet.summary.error }
  yield `${sheet.length ? '\n  ' : ''}],\n  "summary": ${JSON.stringify(summary, null, 2).replace(/\n/g, '\n  ')}\n}\n`
}

/** Word-wraps `s` to lines of at most `n` characters (a longer word gets a line of its own). */
export function wrap(s: string, n: number): string[] {
  const lines: string[] = []
  let cur = ''
  for (const word of s.split(' ')) {
    if (cur && cur.length + 1 + word.length > n) {
      lines.push(cur)
      cur = word
    } else {
      cur = cur ? `${cur} ${word}` : word
    }
  }
  lines.push(cur)
  return lines
}

/** The human-readable report in pieces: header facts, one line (or a few wrapped ones) per problem, the summary. */
export function* tableChunks(sheet: Sheet, file: string, ru: boolean, width = 120): Generator<string> {
  const delim = sheet.meta.delimiter === '\t' ? 'tab' : sheet.meta.delimiter
  const book = sheet.meta.format && sheet.meta.format !== 'csv' ? sheet.meta.format : undefined
  yield book ? `${file}: .${book} workbook, sheet "${sheet.meta.sheetName ?? ''}", ${sheet.summary.rows} rows\n` : `${file}: ${sheet.meta.encoding}, delimiter "${delim}", ${sheet.summary.rows} rows\n`
  const mapped = Object.entries(sheet.meta.mapping).map(([f, h]) => (f === h ? f : `${h} → ${f}`))
  if (mapped.length) yield `Columns: ${mapped.join(', ')}${sheet.meta.mappingRemembered ? ' (remembered mapping)' : ''}\n`
  for (const p of sheet.fileProblems) yield `${p.severity.toUpperCase()}: ${ru ? p.messageRu : p.message}\n`
  const indent = 36
  const room = Math.max(40, width - indent - 1)
  let first = true
  for (let i = 0; i < sheet.length; i++) {
    // Only rows with problems are built.
    if (sheet.statusAt(i) === 'ready') continue
    const r = sheet.rowAt(i)
    let text = ''
    if (first && r.problems.length) {
      first = false
      text += `\n${'Line'.padStart(6)}  ${'Status'.padEnd(7)}  ${'Field'.padEnd(17)}  Problem\n`
    }
    for (const p of r.problems) {
      const [head, ...rest] = wrap((ru ? p.messageRu : p.message).replace(/\s+/g, ' '), room)
      text += `${String(r.line).padStart(6)}  ${p.severity.padEnd(7)}  ${p.field.padEnd(17)}  ${head}\n`
      for (const more of rest) text += `${' '.repeat(indent)}${more}\n`
    }
    yield text
  }
  const s = sheet.summary
  yield `\n${ru
    ? `Итого: ${s.rows} строк — готово ${s.ready}, с предупреждениями ${s.warning}, с ошибками ${s.error} (не будут отправлены).`
    : `Summary: ${s.rows} rows — ${s.ready} ready, ${s.warning} with warnings, ${s.error} with errors (will not be sent).`}\n`
}

/**
 * Writes `chunks` to `out` in blocks of about 64 KiB, waiting for 'drain' whenever the stream asks to (a slow
 * pipe), with a turn of the event loop between blocks so a signal is handled; stops when `signal` aborts.
 */
export async function writeChunks(out: NodeJS.WritableStream, chunks: Iterable<string>, signal?: AbortSignal): Promise<void> {
  let block = ''
  const flush = async (): Promise<void> => {
    const text = block
    block = ''
    if (!out.write(text)) await once(out, 'drain', { signal })
    else await new Promise((r) => setImmediate(r))
    signal?.throwIfAborted()
  }
  for (const c of chunks) {
    block += c
    if (block.length >= 65_536) await flush()
  }
  if (block) await flush()
}

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'Read a CSV sheet and report every problem per row and field (optionally against a portal)',
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const parsed = parseCommandArgs(argv, {
      json: { type: 'boolean' },
      encoding: { type: 'string' },
      delimiter: { type: 'string' },
      'avatar-edge': { type: 'string' },
      profile: { type: 'string' },
      webhook: { type: 'string' },
      'webhook-stdin': { type: 'boolean' },
      ca: { type: 'string' },
      data: { type: 'string' },
      lang: { type: 'string' },
      ...AVATARS_FROM_OPTION,
    }, USAGE, io)
    if ('exit' in parsed) return parsed.exit
    const { values, positionals } = parsed
    const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined)
    const usage = (msg: string): number => {
      io.stderr.write(`${msg}\n\n${USAGE}\n`)
      return EXIT.USAGE
    }
    if (positionals.length !== 1) return usage(positionals.length ? `Give one file, not ${positionals.length}.` : 'Which file? b24chat validate FILE')
    const encoding = str('encoding')?.toLowerCase().replace(/^cp(125[12])$/, 'windows-$1').replace(/^utf8$/, 'utf-8')
    if (encoding !== undefined && !(ENCODINGS as readonly string[]).includes(encoding)) return usage(`--encoding must be one of ${ENCODINGS.join(', ')}.`)
    const delimRaw = str('delimiter')
    const delimiter = delimRaw === undefined ? undefined : DELIMITER_NAMES[delimRaw.toLowerCase()]
    if (delimRaw !== undefined && (!delimiter || !DELIMITERS.includes(delimiter))) return usage('--delimiter must be , ; | or tab.')
    const edgeRaw = str('avatar-edge')
    const avatarMaxEdge = edgeRaw === undefined ? undefined : Number(edgeRaw)
    if (avatarMaxEdge !== undefined && !(Number.isInteger(avatarMaxEdge) && avatarMaxEdge >= 64 && avatarMaxEdge <= 5000)) return usage('--avatar-edge must be a whole number from 64 to 5000.')
    const lang = str('lang') ?? (/^ru/i.test(io.env.LC_ALL || io.env.LC_MESSAGES || io.env.LANG || '') ? 'ru' : 'en')
    if (lang !== 'en' && lang !== 'ru') return usage('--lang must be en or ru.')
    const ru = lang === 'ru'
    const hookStdin = values['webhook-stdin'] === true
    if (str('ca') && !str('webhook') && !str('profile') && !hookStdin) return usage('--ca only makes sense with --webhook-stdin, --webhook or --profile.')

    const file = positionals[0]!
    const path = resolve(file)
    const fail = (p: Problem): number => {
      io.stderr.write(`${file}: ${ru ? p.messageRu : p.message}\n`)
      return EXIT.FAILURE
    }
    const from = await avatarFoldersFrom(values)
    if ('error' in from) return usage(from.error)
    const avatarFolders = from.folders
    // Bounded: counted as the bytes arrive, regular files only, with a deadline; a signal stops it.
    const read = await readSheetFile(path, { signal: io.signal })
    if ('problem' in read) return fail(read.problem)
    const dataDir = resolve(str('data') ?? resolveDataDir(io.env))
    const sheet = await importSheet(read.bytes, { fileName: basename(path), dir: dirname(path) }, {
      encoding: encoding as SheetEncoding | undefined,
      delimiter,
      avatarMaxEdge,
      avatarFolders,
      mappingMemory: MappingMemory.inDataDir(dataDir),
      signal: io.signal,
    })
    if (!isReadable(sheet.fileProblems)) return fail(sheet.fileProblems[0]!)

    if (str('profile') || str('webhook') || hookStdin) {
      let close: (() => void) | undefined
      try {
        const { resolveCaller } = await import('../caller')
        const resolved = await resolveCaller({ profile: str('profile'), webhook: str('webhook'), ...(hookStdin ? { webhookStdin: io.stdin } : {}), warn: (l) => io.stderr.write(`${l}\n`), ca: str('ca'), data: str('data'), env: io.env })
        close = () => resolved.client.close()
        await liveCheck(sheet, resolved.client, { signal: io.signal })
      } catch (e) {
        if (io.signal?.aborted) throw e
        const msg = e instanceof AppFailure ? e.appError.message : e instanceof Error ? e.message : String(e)
        io.stderr.write(`Cannot check against the portal: ${redact(msg)}\n`)
        return e instanceof AppFailure && e.appError.code === 'VALIDATION' ? EXIT.USAGE : EXIT.FAILURE
      } finally {
        close?.()
      }
    }
    await writeChunks(io.stdout, values.json ? jsonChunks(sheet, file, ru) : tableChunks(sheet, file, ru, io.stdout.columns ?? 120), io.signal)
    return EXIT.OK
  },
}
