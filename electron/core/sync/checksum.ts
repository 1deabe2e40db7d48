/** CRC-32 (IEEE), as 8 hex digits: the checksum of each journal line and snapshot. */
import * as zlib from 'node:zlib'

const TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

const encoder = new TextEncoder()

/** The same CRC-32 in JavaScript: the reference, and the fallback where the runtime has no `zlib.crc32`. */
export function crc32Js(text: string): string {
  const bytes = encoder.encode(text)
  let c = 0xffffffff
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)
  return hex((c ^ 0xffffffff) >>> 0)
}

/** Node's native CRC-32 (Node 20.15+, 22.2+; Electron 45 ships Node 22): the same value, several times faster. */
const native = (zlib as { crc32?: (data: string) => number }).crc32

export function crc32(text: string): string {
  return native ? hex(native(text)) : crc32Js(text)
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0')
}

/** `<crc> <text>`: the checksummed form of one line (no newline inside `text`). */
export function sealLine(text: string): string {
  return `${crc32(text)} ${text}`
}

/**
 * The text of a sealed line, or null when the checksum does not match (a torn or damaged line). `legacy`: a line
 * of the format before checksums (plain JSON), accepted as it is.
 */
export function openLine(line: string): { text: string; legacy: boolean } | null {
  if (line.startsWith('{')) return { text: line, legacy: true }
  if (line.length < 10 || line[8] !== ' ') return null
  const text = line.slice(9)
  return crc32(text) === line.slice(0, 8) ? { text, legacy: false } : null
}
