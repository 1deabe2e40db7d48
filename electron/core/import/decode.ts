/**
 * Bytes → text: BOM, UTF-16 without BOM, strict UTF-8, otherwise windows-1251 vs windows-1252 decided from
 * byte statistics. Also recognises files that are not text at all (workbooks, archives, images, PDFs).
 */
import { isUtf8 } from 'node:buffer'
import iconv from 'iconv-lite'
import type { SheetEncoding } from '../../shared/sheet'

export interface BinaryKind {
  en: string
  ru: string
}

const startsWith = (b: Uint8Array, sig: number[], at = 0): boolean => sig.every((v, i) => b[at + i] === v)

/** Recognises common non-text files by their magic numbers, or by NUL/control bytes in a non-UTF-16 file. */
export function sniffBinary(bytes: Uint8Array): BinaryKind | null {
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return { en: 'an Excel .xlsx / OpenDocument workbook or a ZIP archive', ru: 'книга Excel .xlsx / OpenDocument или ZIP-архив' }
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0])) return { en: 'an old Excel .xls workbook', ru: 'старая книга Excel .xls' }
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46])) return { en: 'a PDF document', ru: 'документ PDF' }
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47]) || startsWith(bytes, [0xff, 0xd8, 0xff]) || startsWith(bytes, [0x47, 0x49, 0x46, 0x38])) {
    return { en: 'an image', ru: 'картинка' }
  }
  if (startsWith(bytes, [0x1f, 0x8b])) return { en: 'a gzip archive', ru: 'архив gzip' }
  if (detectUtf16(bytes)) return null
  // Control bytes other than tab/CR/LF/FF in the first 64 KiB: not a text sheet.
  const n = Math.min(bytes.length, 65536)
  let control = 0
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!
    if (c === 0) return { en: 'binary data', ru: 'двоичные данные' }
    if (c < 0x20 && c !== 9 && c !== 10 && c !== 13 && c !== 12) control++
  }
  return control > Math.max(8, n / 100) ? { en: 'binary data', ru: 'двоичные данные' } : null
}

/** UTF-16 by BOM, or by the zero-byte pattern of mostly-ASCII text without one. */
export function detectUtf16(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le'
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be'
  const n = Math.min(bytes.length - (bytes.length % 2), 4096)
  if (n < 4) return null
  let evenZero = 0
  let oddZero = 0
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenZero++
    if (bytes[i + 1] === 0) oddZero++
  }
  const pairs = n / 2
  if (oddZero > pairs * 0.3 && evenZero < pairs * 0.05) return 'utf-16le'
  if (evenZero > pairs * 0.3 && oddZero < pairs * 0.05) return 'utf-16be'
  return null
}

const isValidUtf8 = (bytes: Uint8Array): boolean => isUtf8(bytes)

/**
 * Whether `bytes` are valid UTF-8, scanned at most once however often it is asked: the import asks when it detects
 * the encoding and again when it decodes (a second pass over a 50 MB file for the same answer).
 */
export function utf8Validity(bytes: Uint8Array): () => boolean {
  let valid: boolean | undefined
  return () => (valid ??= isValidUtf8(bytes))
}

/**
 * windows-1251 or windows-1252 for a file that is not valid UTF-8. Russian text in cp1251 puts its letters in
 * 0xC0–0xFF (plus Ё/ё at 0xA8/0xB8) in runs: whole words of high bytes. Western text in cp1252 has isolated
 * accented letters between ASCII ones. Score the share of high bytes that have a high-byte neighbour.
 */
export function guessSingleByte(bytes: Uint8Array): 'windows-1251' | 'windows-1252' {
  const n = Math.min(bytes.length, 1 << 20)
  let high = 0
  let paired = 0
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!
    if (c < 0x80) continue
    high++
    const prev = i > 0 ? bytes[i - 1]! : 0
    const next = i + 1 < n ? bytes[i + 1]! : 0
    if ((prev >= 0xa8 && prev !== 0xa0) || (next >= 0xa8 && next !== 0xa0)) paired++
  }
  if (high === 0) return 'windows-1252'
  return paired / high > 0.5 ? 'windows-1251' : 'windows-1252'
}

export function detectEncoding(bytes: Uint8Array, isValid: () => boolean = utf8Validity(bytes)): SheetEncoding {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8'
  const u16 = detectUtf16(bytes)
  if (u16) return u16
  if (isValid()) return 'utf-8'
  return guessSingleByte(bytes)
}

/**
 * Decodes with the given encoding; a leading BOM of that encoding is dropped. `lossy` when bytes were replaced.
 * `isValid`: the bytes' `utf8Validity`, when the caller has asked it already.
 */
export function decode(bytes: Uint8Array, encoding: SheetEncoding, isValid: () => boolean = utf8Validity(bytes)): { text: string; lossy: boolean } {
  switch (encoding) {
    case 'utf-8':
      return { text: new TextDecoder('utf-8').decode(bytes), lossy: !isValid() }
    case 'utf-16le':
    case 'utf-16be': {
      const text = new TextDecoder(encoding).decode(bytes)
      let lossy = text.includes('\uFFFD')
      if (lossy) {
        try {
          new TextDecoder(encoding, { fatal: true }).decode(bytes)
          lossy = false // the file really contains U+FFFD
        } catch {
          lossy = true
        }
      }
      return { text, lossy }
    }
    case 'windows-1251':
    case 'windows-1252': {
      let text = iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), encoding)
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
      return { text, lossy: false }
    }
  }
}

/**
 * Where a file stops being valid UTF-8: the offset of the first byte that does not belong to a well-formed
 * sequence (overlong forms, surrogates and code points above U+10FFFF count as invalid, as in TextDecoder), its
 * value and its 1-based line. Null for valid UTF-8. A leading UTF-8 BOM is fine.
 */
export function firstInvalidUtf8(bytes: Uint8Array): { offset: number; byte: number; line: number } | null {
  const n = bytes.length
  let i = 0
  let line = 1
  while (i < n) {
    const c = bytes[i]!
    if (c < 0x80) {
      if (c === 10) line++
      i++
      continue
    }
    let need: number
    let lo = 0x80
    let hi = 0xbf
    if (c >= 0xc2 && c <= 0xdf) need = 1
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2
      if (c === 0xe0) lo = 0xa0
      else if (c === 0xed) hi = 0x9f
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3
      if (c === 0xf0) lo = 0x90
      else if (c === 0xf4) hi = 0x8f
    } else return { offset: i, byte: c, line }
    for (let k = 1; k <= need; k++) {
      const d = i + k < n ? bytes[i + k]! : -1
      const min = k === 1 ? lo : 0x80
      const max = k === 1 ? hi : 0xbf
      if (d < min || d > max) return { offset: i, byte: c, line }
    }
    i += need + 1
  }
  return null
}
