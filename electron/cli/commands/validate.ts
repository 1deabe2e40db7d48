/**
 * `b24chat validate FILE`: reads a sheet exactly as the app would and reports every problem per row and field,
 * optionally checked against a portal (--profile / --webhook). Exit 0 whenever the file could be read.
 */
import { readFile, stat } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'
import { resolveDataDir } from '../../core/paths'
import { DEFAULT_MAX_BYTES, MappingMemory, importSheet, isReadable, liveCheck } from '../../core/import'
import { formatSize } from '../../core/import/avatar'
import { redact } from '../../core/redact'
import type { ChatParams } from '../../shared/chat'
import { makeProblem } from '../../shared/problems'
import { AppFailure } from '../../shared/result'
import type { Delimiter, Problem, SheetEncoding, SheetRow } from '../../shared/sheet'
import type { Sheet } from '../../core/import'
import { DELIMITERS, ENCODINGS } from '../../shared/sheet'
import { parseCommandArgs } from '../args'
import type { CliCommand, CliIO } from '../types'
import { EXIT } from '../types'

const USAGE = `Usage: b24chat validate FILE [--json] [--encoding NAME] [--delimiter C] [--avatar-edge PX]
                        [--profile NAME | --webhook URL [--ca FILE]] [--data DIR] [--lang en|ru]

Reads a CSV/TSV sheet (any encoding a spreadsheet exports) or an .xlsx / .xls / .ods workbook and lists every
problem per row and field.
  --json            one JSON document on stdout: { file, encoding, delimiter, rows, summary }
  --encoding NAME   ${ENCODINGS.join(' | ')} (default: detected)
  --delimiter C     , ; | or "tab" (default: detected)
  --avatar-edge PX  downscale PNG/JPEG avatars to this longest edge (default 1024)
  --profile NAME    also check users and entity pairs on that portal (read-only: user.get, im.chat.get)
  --webhook URL     the same with a one-off webhook; --ca FILE trusts a private CA (the sandbox's)
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

export function toJson(sheet: Sheet, file: string, ru = false): unknown {
  const text = (p: Problem) => ({ field: p.field, code: p.code, severity: p.severity, message: ru ? p.messageRu : p.message })
  return {
    file,
    encoding: sheet.meta.encoding,
    delimiter: sheet.meta.delimiter,
    format: sheet.meta.format ?? 'csv',
    ...(sheet.meta.sheetName !== undefined ? { sheet: sheet.meta.sheetName, sheets: sheet.meta.sheetNames ?? [] } : {}),
    headers: sheet.meta.headers,
    mapping: sheet.meta.mapping,
    fileProblems: sheet.fileProblems.map(text),
    rows: Array.from(sheet.eachRow(), (r) => ({
      line: r.line,
      key: r.key,
      status: r.status,
      params: summariseParams(r.params, r.avatar),
      ...(r.emails.length ? { emails: r.emails } : {}),
      ...(r.owner !== undefined ? { owner: r.owner } : {}),
      ...(r.titleGenerated ? { titlePreview: r.titlePreview } : {}),
      ...(r.live?.existingChatId ? { existingChatId: r.live.existingChatId } : {}),
      problems: r.problems.map(text),
    })),
    summary: { ready: sheet.summary.ready, warning: sheet.summary.warning, error: sheet.summary.error },
  }
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

export function toTable(sheet: Sheet, file: string, ru: boolean, width = 120): string {
  const lines: string[] = []
  const delim = sheet.meta.delimiter === '\t' ? 'tab' : sheet.meta.delimiter
  const book = sheet.meta.format && sheet.meta.format !== 'csv' ? sheet.meta.format : undefined
  lines.push(book ? `${file}: .${book} workbook, sheet "${sheet.meta.sheetName ?? ''}", ${sheet.summary.rows} rows` : `${file}: ${sheet.meta.encoding}, delimiter "${delim}", ${sheet.summary.rows} rows`)
  const mapped = Object.entries(sheet.meta.mapping).map(([f, h]) => (f === h ? f : `${h} → ${f}`))
  if (mapped.length) lines.push(`Columns: ${mapped.join(', ')}${sheet.meta.mappingRemembered ? ' (remembered mapping)' : ''}`)
  for (const p of sheet.fileProblems) lines.push(`${p.severity.toUpperCase()}: ${ru ? p.messageRu : p.message}`)
  const problems: { r: SheetRow; p: Problem }[] = []
  for (let i = 0; i < sheet.length; i++) {
    // Only rows with problems are built.
    if (sheet.statusAt(i) === 'ready') continue
    const r = sheet.rowAt(i)
    for (const p of r.problems) problems.push({ r, p })
  }
  if (problems.length) {
    lines.push('')
    lines.push(`${'Line'.padStart(6)}  ${'Status'.padEnd(7)}  ${'Field'.padEnd(17)}  Problem`)
    const indent = 36
    const room = Math.max(40, width - indent - 1)
    for (const { r, p } of problems) {
      const [head, ...rest] = wrap((ru ? p.messageRu : p.message).replace(/\s+/g, ' '), room)
      lines.push(`${String(r.line).padStart(6)}  ${p.severity.padEnd(7)}  ${p.field.padEnd(17)}  ${head}`)
      for (const more of rest) lines.push(`${' '.repeat(indent)}${more}`)
    }
  }
  lines.push('')
  const s = sheet.summary
  lines.push(ru
    ? `Итого: ${s.rows} строк — готово ${s.ready}, с предупреждениями ${s.warning}, с ошибками ${s.error} (не будут отправлены).`
    : `Summary: ${s.rows} rows — ${s.ready} ready, ${s.warning} with warnings, ${s.error} with errors (will not be sent).`)
  return `${lines.join('\n')}\n`
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
      ca: { type: 'string' },
      data: { type: 'string' },
      lang: { type: 'string' },
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
    if (str('ca') && !str('webhook') && !str('profile')) return usage('--ca only makes sense with --webhook or --profile.')

    const file = positionals[0]!
    const path = resolve(file)
    const fail = (p: Problem): number => {
      io.stderr.write(`${file}: ${ru ? p.messageRu : p.message}\n`)
      return EXIT.FAILURE
    }
    let bytes: Uint8Array
    try {
      const st = await stat(path)
      if (!st.isFile()) return fail(makeProblem('FILE', 'FILE_UNREADABLE', { reason: 'it is not a file' }))
      if (st.size > DEFAULT_MAX_BYTES) return fail(makeProblem('FILE', 'FILE_TOO_LARGE', { size: formatSize(st.size), limit: formatSize(DEFAULT_MAX_BYTES) }))
      bytes = await readFile(path)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      return fail(makeProblem('FILE', 'FILE_UNREADABLE', { reason: code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'error') }))
    }
    const dataDir = resolve(str('data') ?? resolveDataDir(io.env))
    const sheet = await importSheet(bytes, { fileName: basename(path), dir: dirname(path) }, {
      encoding: encoding as SheetEncoding | undefined,
      delimiter,
      avatarMaxEdge,
      mappingMemory: MappingMemory.inDataDir(dataDir),
    })
    if (!isReadable(sheet.fileProblems)) return fail(sheet.fileProblems[0]!)

    if (str('profile') || str('webhook')) {
      let close: (() => void) | undefined
      try {
        const { resolveCaller } = await import('../caller')
        const resolved = await resolveCaller({ profile: str('profile'), webhook: str('webhook'), ca: str('ca'), data: str('data'), env: io.env })
        close = () => resolved.client.close()
        const ac = new AbortController()
        void io.interrupted.then(() => ac.abort(new AppFailure('CANCELLED', 'Interrupted.')))
        await liveCheck(sheet, resolved.client, { signal: ac.signal })
      } catch (e) {
        const msg = e instanceof AppFailure ? e.appError.message : e instanceof Error ? e.message : String(e)
        io.stderr.write(`Cannot check against the portal: ${redact(msg)}\n`)
        return e instanceof AppFailure && e.appError.code === 'VALIDATION' ? EXIT.USAGE : EXIT.FAILURE
      } finally {
        close?.()
      }
    }
    if (values.json) io.stdout.write(`${JSON.stringify(toJson(sheet, file, ru), null, 2)}\n`)
    else io.stdout.write(toTable(sheet, file, ru, io.stdout.columns ?? 120))
    return EXIT.OK
  },
}
