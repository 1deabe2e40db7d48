/**
 * Avatars: a sheet cell (file path, data: URI or bare base64) → bare base64 the portal accepts. The content is
 * sniffed (never the extension); PNG and JPEG larger than the target edge are decoded, box-filtered down and
 * re-encoded; GIF/WebP/BMP are checked with image-size and passed through. Every failure is a Problem.
 */
import { realpath } from 'node:fs/promises'
import { dirname, isAbsolute, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { imageSize } from 'image-size'
import jpeg from 'jpeg-js'
import pngjs from 'pngjs'
import type { AvatarInfo, Problem } from '../../shared/sheet'
import { LIMITS } from '../../shared/chat'
import { INPUT_LIMITS } from '../../shared/limits'
import { makeProblem } from '../../shared/problems'
import { readFailureOf } from '../bounded-read'
import { avatarReadProblem, formatSize, readAvatarFile } from './source'

export { formatSize } from './source'

const { PNG } = pngjs

export const DEFAULT_AVATAR_EDGE = 1024
/** Largest avatar file read from disk or decoded from base64 (INPUT_LIMITS.avatarBytes). */
export const AVATAR_FILE_LIMIT = INPUT_LIMITS.avatarBytes
const THUMB_EDGE = 64

/** A prepared avatar, or why not; `folder`: with AVATAR_OUTSIDE, the folder that would have to be allowed. */
export type AvatarResult = { base64: string; info: AvatarInfo; warning?: Problem } | { problem: Problem; folder?: string }

type Format = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp'
const MIME: Record<Format, string> = { png: 'image/png', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', bmp: 'image/bmp' }

export function sniffImage(b: Uint8Array): Format | null {
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return 'png'
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg'
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38 && (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61) return 'gif'
  if (b.length >= 12 && b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return 'webp'
  if (b.length >= 26 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp'
  return null
}

const toBase64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')

export interface Rgba {
  width: number
  height: number
  data: Uint8Array
}

/** Area-average (box) downscale with premultiplied alpha; never upscales. */
export function boxResize(src: Rgba, tw: number, th: number): Rgba {
  const { width: w, height: h, data } = src
  tw = Math.max(1, Math.min(w, Math.round(tw)))
  th = Math.max(1, Math.min(h, Math.round(th)))
  if (tw === w && th === h) return src
  const out = new Uint8Array(tw * th * 4)
  const acc = new Float64Array(tw * 4)
  const cnt = new Float64Array(tw)
  const xStart = new Int32Array(tw + 1)
  for (let x = 0; x <= tw; x++) xStart[x] = Math.floor((x * w) / tw)
  for (let ty = 0; ty < th; ty++) {
    const y0 = Math.floor((ty * h) / th)
    const y1 = Math.max(y0 + 1, Math.floor(((ty + 1) * h) / th))
    acc.fill(0)
    cnt.fill(0)
    for (let y = y0; y < y1; y++) {
      const row = y * w * 4
      for (let tx = 0; tx < tw; tx++) {
        const xa = xStart[tx]!
        const xb = Math.max(xa + 1, xStart[tx + 1]!)
        let r = 0, g = 0, b = 0, a = 0
        for (let x = xa; x < xb; x++) {
          const i = row + x * 4
          const al = data[i + 3]!
          r += data[i]! * al
          g += data[i + 1]! * al
          b += data[i + 2]! * al
          a += al
        }
        const k = tx * 4
        acc[k] = acc[k]! + r
        acc[k + 1] = acc[k + 1]! + g
        acc[k + 2] = acc[k + 2]! + b
        acc[k + 3] = acc[k + 3]! + a
        cnt[tx] = cnt[tx]! + (xb - xa)
      }
    }
    for (let tx = 0; tx < tw; tx++) {
      const k = tx * 4
      const a = acc[k + 3]!
      const o = (ty * tw + tx) * 4
      if (a > 0) {
        out[o] = Math.round(acc[k]! / a)
        out[o + 1] = Math.round(acc[k + 1]! / a)
        out[o + 2] = Math.round(acc[k + 2]! / a)
      }
      out[o + 3] = Math.round(a / cnt[tx]!)
    }
  }
  return { width: tw, height: th, data: out }
}

/** Cheap structural checks for the formats passed through undecoded (a header alone is not an image). */
function plausible(b: Uint8Array, format: 'gif' | 'webp' | 'bmp'): boolean {
  const le32 = (at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0
  switch (format) {
    case 'gif': {
      let end = b.length - 1
      while (end > 0 && b[end] === 0) end-- // tolerate zero padding after the trailer
      return b.length >= 26 && b[end] === 0x3b
    }
    case 'webp':
      return b.length >= 20 && le32(4) + 8 <= b.length + 1 && le32(4) + 8 >= b.length - 1
    case 'bmp':
      return le32(10) < b.length && le32(2) <= b.length + 2
  }
}

const fit = (w: number, h: number, edge: number): [number, number] => {
  const s = Math.min(1, edge / Math.max(w, h))
  return [Math.max(1, Math.round(w * s)), Math.max(1, Math.round(h * s))]
}

/**
 * The picture as it should be seen, for a JPEG with an EXIF orientation (2–8): phones store pixels as the sensor
 * read them and a tag that says how to turn them. Re-encoding drops the tag, so the pixels are turned here.
 * 2 mirror, 3 rotate 180°, 4 flip, 5 transpose, 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° anticlockwise.
 */
export function orient(img: Rgba, orientation: number): Rgba {
  if (!(orientation >= 2 && orientation <= 8)) return img
  const { width: w, height: h, data: src } = img
  const swap = orientation >= 5
  const W = swap ? h : w
  const H = swap ? w : h
  const out = new Uint8Array(W * H * 4)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let sx: number
      let sy: number
      switch (orientation) {
        case 2: sx = w - 1 - x; sy = y; break
        case 3: sx = w - 1 - x; sy = h - 1 - y; break
        case 4: sx = x; sy = h - 1 - y; break
        case 5: sx = y; sy = x; break
        case 6: sx = y; sy = h - 1 - x; break
        case 7: sx = w - 1 - y; sy = h - 1 - x; break
        default: sx = w - 1 - y; sy = x
      }
      const from = (sy * w + sx) * 4
      const to = (y * W + x) * 4
      out[to] = src[from]!
      out[to + 1] = src[from + 1]!
      out[to + 2] = src[from + 2]!
      out[to + 3] = src[from + 3]!
    }
  }
  return { width: W, height: H, data: out }
}

function decodeRaster(bytes: Uint8Array, format: 'png' | 'jpeg'): Rgba {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (format === 'png') {
    const png = PNG.sync.read(buf)
    return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) }
  }
  const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 26, maxMemoryUsageInMB: 1024 })
  return { width: img.width, height: img.height, data: img.data }
}

function encodeRaster(img: Rgba, format: 'png' | 'jpeg'): Uint8Array {
  if (format === 'png') {
    const png = new PNG({ width: img.width, height: img.height })
    png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength)
    return PNG.sync.write(png)
  }
  return jpeg.encode({ width: img.width, height: img.height, data: img.data }, 85).data
}

const thumbnailOf = (img: Rgba): string => {
  const [w, h] = fit(img.width, img.height, THUMB_EDGE)
  return `data:image/png;base64,${toBase64(encodeRaster(boxResize(img, w, h), 'png'))}`
}

/**
 * Checks and prepares image bytes: a real image (sniffed), ≤ 5000×5000, PNG/JPEG downscaled to `maxEdge`.
 * `what` names the source in problems ("avatars/x.png", "the base64 text").
 */
export async function prepareAvatar(bytes: Uint8Array, maxEdge = DEFAULT_AVATAR_EDGE, what: { en: string; ru: string } = { en: 'The file', ru: 'Файл' }): Promise<AvatarResult> {
  try {
    if (bytes.byteLength > AVATAR_FILE_LIMIT) {
      return { problem: makeProblem('AVATAR', 'AVATAR_FILE_TOO_LARGE', { size: formatSize(bytes.byteLength), limit: formatSize(AVATAR_FILE_LIMIT) }) }
    }
    const format = sniffImage(bytes)
    const notImage = (): AvatarResult => ({ problem: makeProblem('AVATAR', 'AVATAR_NOT_IMAGE', { what: what.en, whatRu: what.ru }) })
    if (!format) return notImage()
    if (format !== 'png' && format !== 'jpeg' && !plausible(bytes, format)) return notImage()
    let dims: { width?: number; height?: number; orientation?: number }
    try {
      dims = imageSize(bytes)
    } catch {
      return notImage()
    }
    const width = dims.width ?? 0
    const height = dims.height ?? 0
    if (width < 1 || height < 1) return notImage()
    if (width > LIMITS.AVATAR_MAX_EDGE || height > LIMITS.AVATAR_MAX_EDGE) {
      return { problem: makeProblem('AVATAR', 'AVATAR_TOO_BIG', { width, height }) }
    }
    const edge = Math.max(16, Math.min(LIMITS.AVATAR_MAX_EDGE, Math.floor(maxEdge) || DEFAULT_AVATAR_EDGE))
    if (format === 'png' || format === 'jpeg') {
      let img: Rgba
      try {
        img = decodeRaster(bytes, format)
      } catch {
        return notImage()
      }
      await Promise.resolve()
      let outBytes = bytes
      let downscaled = false
      let final = format === 'jpeg' ? orient(img, dims.orientation ?? 1) : img
      if (Math.max(final.width, final.height) > edge) {
        const [tw, th] = fit(final.width, final.height, edge)
        final = boxResize(final, tw, th)
        downscaled = true
      }
      // Re-encoded when downscaled or turned upright (the portal's own resizing ignores the EXIF tag).
      if (final !== img) outBytes = encodeRaster(final, format)
      const base64 = toBase64(outBytes)
      return {
        base64,
        info: { mime: MIME[format], width: final.width, height: final.height, base64Bytes: base64.length, downscaled, thumbnail: thumbnailOf(final) },
      }
    }
    const base64 = toBase64(bytes)
    const info: AvatarInfo = {
      mime: MIME[format], width, height, base64Bytes: base64.length, downscaled: false,
      thumbnail: base64.length <= 256 * 1024 ? `data:${MIME[format]};base64,${base64}` : '',
    }
    const result: AvatarResult = { base64, info }
    if (Math.max(width, height) > edge) result.warning = makeProblem('AVATAR', 'AVATAR_LARGE', { format: format.toUpperCase(), width, height })
    return result
  } catch (e) {
    return { problem: makeProblem('AVATAR', 'AVATAR_UNREADABLE', { reason: e instanceof Error ? e.message.slice(0, 200) : 'unknown error' }) }
  }
}

const BASE64_RE = /^[A-Za-z0-9+/\s]+={0,2}\s*$/

export interface AvatarSource {
  /** Folder relative paths resolve against: the avatar folder the user picked, else the sheet's folder. */
  dir?: string
  /**
   * Folders avatar files may come from (the sheet's folder, the picked avatar folder, folders the user allowed);
   * default: `dir` alone. A path outside all of them, by `../`, by an absolute path or through a symlink, is
   * refused with AVATAR_OUTSIDE and the folder that would have to be allowed.
   */
  roots?: readonly string[]
  /** Test seam: reads a file instead of the file system (no symlinks are followed then). */
  readFile?: (path: string) => Promise<Uint8Array>
  maxEdge?: number
  signal?: AbortSignal
}

/** Classifies a cell: data: URI, bare base64 (long and base64-only), web address, or a path. */
export type AvatarCell = { kind: 'data'; base64: string } | { kind: 'base64'; base64: string } | { kind: 'url' } | { kind: 'path'; path: string }

export function classifyAvatarCell(value: string): AvatarCell {
  const v = value.trim()
  const m = /^data:([^;,]*)(;[^,]*)?,/i.exec(v)
  if (m) return { kind: 'data', base64: v.slice(m[0].length) }
  if (/^https?:\/\//i.test(v)) return { kind: 'url' }
  if (v.length >= 64 && !v.includes('.') && BASE64_RE.test(v)) return { kind: 'base64', base64: v }
  if (/^file:\/\//i.test(v)) {
    try {
      return { kind: 'path', path: fileURLToPath(v) }
    } catch {
      return { kind: 'path', path: v }
    }
  }
  return { kind: 'path', path: v }
}

/** True when `path` is `root` or inside it (both absolute). */
export function isInside(path: string, root: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith('../') && !rel.startsWith('..\\'))
}

const shorten = (p: string): string => (p.length > 120 ? `…${p.slice(-117)}` : p)

/** The AVATAR_OUTSIDE problem for a file in `folder`, listing where avatars may come from. */
function outside(shown: string, folder: string, roots: readonly string[]): AvatarResult {
  const allowed = roots.length ? roots.map(shorten).join(', ') : '—'
  return { problem: makeProblem('AVATAR', 'AVATAR_OUTSIDE', { path: shown, folder: shorten(folder), allowed }), folder }
}

/**
 * The file an avatar path names, once it is known to be inside an allowed folder (by its path and by where its
 * symlinks lead), or the problem.
 */
async function locate(path: string, src: AvatarSource, shown: string): Promise<{ file: string } | AvatarResult> {
  const roots = (src.roots ?? (src.dir ? [src.dir] : [])).map((r) => resolve(r))
  if (!isAbsolute(path) && !src.dir) return { problem: makeProblem('AVATAR', 'AVATAR_NO_FOLDER', { path: shown }) }
  const full = isAbsolute(path) ? resolve(path) : resolve(src.dir!, path)
  // Nothing outside the allowed folders is touched, not even to see whether it exists.
  const realRoots = src.readFile ? roots : await Promise.all(roots.map((r) => realpath(r).catch(() => r)))
  const within = (p: string): boolean => roots.some((r) => isInside(p, r)) || realRoots.some((r) => isInside(p, r))
  if (!within(full)) return outside(shown, dirname(full), roots)
  if (src.readFile) return { file: full }
  let real: string
  try {
    real = await realpath(full)
  } catch (e) {
    return { problem: avatarReadProblem(readFailureOf(e), shown) }
  }
  if (!realRoots.some((r) => isInside(real, r))) return outside(shown, dirname(real), roots)
  return { file: real }
}

/** Resolves a sheet cell to a prepared avatar, or a problem. */
export async function resolveAvatarCell(value: string, src: AvatarSource): Promise<AvatarResult> {
  const c = classifyAvatarCell(value)
  if (c.kind === 'url') return { problem: makeProblem('AVATAR', 'AVATAR_URL') }
  if (c.kind === 'data' || c.kind === 'base64') {
    const clean = c.base64.replace(/\s+/g, '')
    if (clean.length > (AVATAR_FILE_LIMIT * 4) / 3 + 4) {
      return { problem: makeProblem('AVATAR', 'AVATAR_FILE_TOO_LARGE', { size: formatSize(Math.floor((clean.length * 3) / 4)), limit: formatSize(AVATAR_FILE_LIMIT) }) }
    }
    const bytes = new Uint8Array(Buffer.from(clean, 'base64'))
    return prepareAvatar(bytes, src.maxEdge, { en: 'The base64 text', ru: 'Текст base64' })
  }
  const shown = shorten(c.path)
  const where = await locate(c.path, src, shown)
  if (!('file' in where)) return where
  let bytes: Uint8Array
  if (src.readFile) {
    try {
      bytes = await src.readFile(where.file)
    } catch (e) {
      return { problem: avatarReadProblem(readFailureOf(e), shown) }
    }
  } else {
    const read = await readAvatarFile(where.file, shown, { signal: src.signal })
    if ('problem' in read) return read
    bytes = read.bytes
  }
  return prepareAvatar(bytes, src.maxEdge, { en: shown, ru: shown })
}
