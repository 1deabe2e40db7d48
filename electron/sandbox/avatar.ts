/**
 * Avatar checks (notes §1 AVATAR): PHP base64_decode (non-strict: characters outside the alphabet are skipped),
 * the bytes must sniff as an image (PNG, JPEG, GIF, WebP, BMP) with both sides in 1..5000.
 * A `data:…;base64,` prefix is invalid (it corrupts the decoded bytes on the real server).
 */
import { imageSize } from 'image-size'
import { phpValues } from './php'

export const AVATAR_MAX_EDGE = 5000

export interface AvatarInfo {
  width: number
  height: number
  mime: string
  bytes: number
}

export type AvatarCheck = { ok: true; avatar: AvatarInfo } | { ok: false; reason: 'type' | 'size' | 'file-id' }

const MIME: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
}

/** PHP base64_decode without strict mode. */
export function phpBase64Decode(s: string): Buffer {
  return Buffer.from(s.replace(/[^A-Za-z0-9+/]/g, ''), 'base64')
}

/** Reads an AVATAR value: a base64 string, a `[filename, base64]` pair, or a numeric file id. */
export function checkAvatar(value: unknown): AvatarCheck {
  let b64: unknown = value
  const pair = phpValues(value)
  if (pair) b64 = pair.length >= 2 ? pair[1] : pair[0]
  if (typeof b64 === 'number' || (typeof b64 === 'string' && /^\d+$/.test(b64.trim()) && b64.trim().length < 12)) {
    return { ok: false, reason: 'file-id' }
  }
  if (typeof b64 !== 'string' || b64.trim() === '') return { ok: false, reason: 'type' }
  if (/^\s*data:/i.test(b64)) return { ok: false, reason: 'type' }
  const buf = phpBase64Decode(b64)
  if (buf.length < 8) return { ok: false, reason: 'type' }
  let dim: { width: number; height: number; type?: string }
  try {
    dim = imageSize(buf)
  } catch {
    return { ok: false, reason: 'type' }
  }
  const mime = dim.type ? MIME[dim.type] : undefined
  if (!mime) return { ok: false, reason: 'type' }
  if (!(dim.width >= 1 && dim.height >= 1)) return { ok: false, reason: 'type' }
  if (dim.width > AVATAR_MAX_EDGE || dim.height > AVATAR_MAX_EDGE) return { ok: false, reason: 'size' }
  return { ok: true, avatar: { width: dim.width, height: dim.height, mime, bytes: buf.length } }
}
