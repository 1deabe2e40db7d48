/**
 * PHP-compatible request parsing (parse_str / php_register_variable_ex) and PHP json_encode's list/object rule.
 *
 * Parsed values are plain JS objects whose keys are strings (PHP arrays), strings, or — for JSON bodies — any JSON
 * value. Limitation: JS orders integer-like keys first, so `a[b]=1&a[0]=2` iterates `0` before `b` (PHP keeps
 * insertion order). Nothing the tool sends depends on that.
 */

export type Params = Record<string, unknown>

const HEX = /^[0-9a-fA-F]{2}$/

/** PHP urldecode: `+` is a space, `%XX` a byte; malformed escapes stay literal; bytes are read as UTF-8. */
export function urldecode(s: string): string {
  if (s.indexOf('%') < 0) return s.indexOf('+') < 0 ? s : s.replace(/\+/g, ' ')
  const bytes: number[] = []
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x2b) bytes.push(0x20)
    else if (c === 0x25 && i + 2 < s.length && HEX.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16))
      i += 2
    } else if (c < 0x80) bytes.push(c)
    else {
      // Non-ASCII characters in the raw string: keep them as their UTF-8 bytes.
      const end = c >= 0xd800 && c <= 0xdbff ? i + 2 : i + 1
      for (const b of Buffer.from(s.slice(i, end), 'utf8')) bytes.push(b)
      i = end - 1
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

/** RFC 3986 encoding as a client should send it (`+` → `%2B`, space → `%20`). */
export function rawurlencode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
}

const nextIndex = new WeakMap<object, number>()

function nextFree(arr: Params): number {
  let n = nextIndex.get(arr)
  if (n === undefined) {
    n = 0
    for (const k of Object.keys(arr)) {
      if (/^(0|-?[1-9][0-9]*)$/.test(k)) n = Math.max(n, Number(k) + 1)
    }
  }
  return n
}

function noteIndex(arr: Params, key: string): void {
  if (/^(0|-?[1-9][0-9]*)$/.test(key)) {
    const n = Number(key) + 1
    if (n > (nextIndex.get(arr) ?? nextFree(arr))) nextIndex.set(arr, n)
  }
}

function isArr(v: unknown): v is Params {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * php_register_variable_ex: store `value` under the decoded variable name `name` (e.g. `a[b][]`) in `into`.
 * The base name has spaces and dots turned into `_`; an unmatched first `[` becomes `_`; anything after a
 * malformed index is ignored; an empty index appends at the next free integer key.
 */
export function registerVariable(into: Params, name: string, value: unknown): void {
  let varName = name.replace(/^ +/, '')
  const nul = varName.indexOf('\0')
  if (nul >= 0) varName = varName.slice(0, nul)
  const open = varName.indexOf('[')
  let base: string
  const indexes: (string | null)[] = []
  if (open < 0) {
    base = varName.replace(/[ .]/g, '_')
  } else {
    base = varName.slice(0, open).replace(/[ .]/g, '_')
    let p = open
    let first = true
    while (p < varName.length && varName[p] === '[') {
      const close = varName.indexOf(']', p + 1)
      if (close < 0) {
        if (first) {
          // PHP: an unmatched first '[' becomes '_' and the rest is part of the name (dots/spaces kept).
          base = base + '_' + varName.slice(p + 1)
        }
        break
      }
      indexes.push(close === p + 1 ? null : varName.slice(p + 1, close))
      first = false
      p = close + 1
    }
  }
  if (base === '') return
  if (indexes.length > 64) return
  let cur = into
  let key: string | null = base
  for (const idx of indexes) {
    let k = key as string | null
    if (k === null) {
      k = String(nextFree(cur))
    }
    let child = cur[k]
    if (!isArr(child)) {
      child = {}
      cur[k] = child
    }
    noteIndex(cur, k)
    cur = child as Params
    key = idx
  }
  const k = key === null ? String(nextFree(cur)) : key
  cur[k] = value
  noteIndex(cur, k)
}

/** Splits a raw query string into decoded [name, value] pairs (PHP's separator is `&`). */
export function queryPairs(qs: string): [string, string][] {
  const out: [string, string][] = []
  if (!qs) return out
  for (const part of qs.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const k = urldecode(eq < 0 ? part : part.slice(0, eq))
    const v = eq < 0 ? '' : urldecode(part.slice(eq + 1))
    out.push([k, v])
  }
  return out
}

/** PHP parse_str. */
export function parseQuery(qs: string, into: Params = {}): Params {
  for (const [k, v] of queryPairs(qs)) registerVariable(into, k, v)
  return into
}

/** The values of a PHP array (JS array or string-keyed object); anything else gives null. */
export function phpValues(v: unknown): unknown[] | null {
  if (Array.isArray(v)) return v
  if (isArr(v)) return Object.values(v)
  return null
}

/** array_change_key_case(…, CASE_UPPER) on the top level. */
export function upperKeys(p: Params): Params {
  const out: Params = {}
  for (const [k, v] of Object.entries(p)) out[k.toUpperCase()] = v
  return out
}

/** PHP truthiness of a request value as Bitrix reads flags (`Y`, `true`, `1`). */
export function phpBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v
  if (typeof v === 'number') return v !== 0
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase()
    return s === 'y' || s === 'true' || s === '1' || s === 'yes' || s === 'on'
  }
  return false
}

/**
 * An ordered PHP array whose encoding follows json_encode: `[]` when empty, a JSON list when its keys are exactly
 * "0".."n-1" in order, otherwise an object in insertion order.
 */
export class PhpArray {
  readonly entries: [string, unknown][] = []
  set(key: string, value: unknown): void {
    this.entries.push([key, value])
  }
  get size(): number {
    return this.entries.length
  }
  isList(): boolean {
    return this.entries.every(([k], i) => k === String(i))
  }
  toPlain(): unknown {
    if (this.isList()) return this.entries.map(([, v]) => v)
    return Object.fromEntries(this.entries)
  }
}

/** JSON encoding that respects PhpArray (ordering and the list rule); everything else as JSON.stringify. */
export function encodeJson(v: unknown): string {
  if (v instanceof PhpArray) {
    if (v.size === 0 || v.isList()) return '[' + v.entries.map(([, x]) => encodeJson(x)).join(',') + ']'
    return '{' + v.entries.map(([k, x]) => JSON.stringify(k) + ':' + encodeJson(x)).join(',') + '}'
  }
  if (Array.isArray(v)) return '[' + v.map((x) => (x === undefined ? 'null' : encodeJson(x))).join(',') + ']'
  if (isArr(v)) {
    const parts: string[] = []
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) continue
      parts.push(JSON.stringify(k) + ':' + encodeJson(x))
    }
    return '{' + parts.join(',') + '}'
  }
  return JSON.stringify(v) ?? 'null'
}
