import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { imageSize } from 'image-size'
import pngjs from 'pngjs'
import { describe, expect, it } from 'vitest'
import { prepareAvatar } from '../../../electron/core/import'
import jpeg from 'jpeg-js'
import { boxResize, classifyAvatarCell, orient, resolveAvatarCell } from '../../../electron/core/import/avatar'
import type { Rgba } from '../../../electron/core/import/avatar'
import { codes, gifBytes, importText, jpegBytes, pngBytes } from './helpers'
import { tempDir } from '../../helpers/temp'

const { PNG } = pngjs
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')

/** "Exif\0\0" + a little-endian TIFF header + IFD0 with the one Orientation tag (0x0112, SHORT). */
function exifOrientation(o: number): Buffer {
  const b = Buffer.alloc(6 + 8 + 2 + 12 + 4)
  b.write('Exif\0\0', 0, 'latin1')
  b.write('II', 6, 'latin1')
  b.writeUInt16LE(42, 8)
  b.writeUInt32LE(8, 10)
  b.writeUInt16LE(1, 14)
  b.writeUInt16LE(0x0112, 16)
  b.writeUInt16LE(3, 18)
  b.writeUInt32LE(1, 20)
  b.writeUInt16LE(o, 24)
  return b
}

/** A w×h JPEG whose left half is red and right half blue, with an EXIF orientation when given. */
function halves(w: number, h: number, orientation?: number): Uint8Array {
  const data = new Uint8Array(w * h * 4)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(x < w / 2 ? [230, 20, 20, 255] : [20, 20, 230, 255], (y * w + x) * 4)
  const img = { width: w, height: h, data, ...(orientation ? { exifBuffer: exifOrientation(orientation) } : {}) }
  return new Uint8Array(jpeg.encode(img as jpeg.RawImageData<Uint8Array>, 90).data)
}

const pixel = (img: { width: number; data: Uint8Array }, x: number, y: number): number[] => [...img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 3)]
const reddish = (p: number[]): boolean => p[0]! > 150 && p[2]! < 100
const bluish = (p: number[]): boolean => p[2]! > 150 && p[0]! < 100

describe('avatars', () => {
  it('turns the pixels of every EXIF orientation the way the tag says', () => {
    // 3×2, every pixel a different value: [0 1 2 / 3 4 5] (red channel = index).
    const img: Rgba = { width: 3, height: 2, data: new Uint8Array(Array.from({ length: 6 }, (_, i) => [i, 0, 0, 255]).flat()) }
    const grid = (r: Rgba): number[][] => Array.from({ length: r.height }, (_, y) => Array.from({ length: r.width }, (_, x) => r.data[(y * r.width + x) * 4]!))
    expect(grid(orient(img, 1))).toEqual([[0, 1, 2], [3, 4, 5]])
    expect(grid(orient(img, 2))).toEqual([[2, 1, 0], [5, 4, 3]])
    expect(grid(orient(img, 3))).toEqual([[5, 4, 3], [2, 1, 0]])
    expect(grid(orient(img, 4))).toEqual([[3, 4, 5], [0, 1, 2]])
    expect(grid(orient(img, 5))).toEqual([[0, 3], [1, 4], [2, 5]])
    expect(grid(orient(img, 6))).toEqual([[3, 0], [4, 1], [5, 2]])
    expect(grid(orient(img, 7))).toEqual([[5, 2], [4, 1], [3, 0]])
    expect(grid(orient(img, 8))).toEqual([[2, 5], [1, 4], [0, 3]])
    expect(orient(img, 9)).toBe(img)
  })

  it('a phone photo with EXIF orientation 6 comes out upright (re-encoded), a plain one untouched', async () => {
    const tagged = halves(40, 20, 6)
    expect(imageSize(tagged)).toMatchObject({ width: 40, height: 20, orientation: 6 })
    const r = await prepareAvatar(tagged, 1024)
    if (!('base64' in r)) throw new Error(r.problem.message)
    expect(r.info).toMatchObject({ width: 20, height: 40, downscaled: false })
    const out = jpeg.decode(Buffer.from(r.base64, 'base64'), { useTArray: true, formatAsRGBA: true })
    expect([out.width, out.height]).toEqual([20, 40])
    // Turned clockwise: the stored left (red) half is now on top.
    expect(reddish(pixel(out, 10, 5))).toBe(true)
    expect(bluish(pixel(out, 10, 35))).toBe(true)
    // Turned and downscaled together.
    const small = await prepareAvatar(tagged, 16)
    if (!('base64' in small)) throw new Error('expected an avatar')
    expect(small.info).toMatchObject({ width: 8, height: 16, downscaled: true })
    const plain = halves(40, 20)
    const same = await prepareAvatar(plain, 1024)
    if (!('base64' in same)) throw new Error('expected an avatar')
    expect(same.base64).toBe(b64(plain))
    expect(same.info).toMatchObject({ width: 40, height: 20 })
  })

  it('downscales a large PNG to the edge, keeps the aspect and sends bare base64', async () => {
    const r = await prepareAvatar(pngBytes(1600, 800), 1024)
    if (!('base64' in r)) throw new Error(r.problem.message)
    expect(r.base64).not.toMatch(/^data:/)
    const out = Buffer.from(r.base64, 'base64')
    expect(imageSize(out)).toMatchObject({ width: 1024, height: 512, type: 'png' })
    expect(r.info).toMatchObject({ mime: 'image/png', width: 1024, height: 512, downscaled: true, base64Bytes: r.base64.length })
    expect(r.info.thumbnail).toMatch(/^data:image\/png;base64,/)
    // The colour survives the box filter.
    const px = PNG.sync.read(out).data
    expect([...px.subarray(0, 4)]).toEqual([200, 40, 40, 255])
  })

  it('downscales JPEG as JPEG and leaves small images untouched', async () => {
    const big = await prepareAvatar(jpegBytes(300, 200), 100)
    if (!('base64' in big)) throw new Error('expected an avatar')
    expect(imageSize(Buffer.from(big.base64, 'base64'))).toMatchObject({ width: 100, height: 67, type: 'jpg' })
    const small = pngBytes(40, 30)
    const same = await prepareAvatar(small, 1024)
    if (!('base64' in same)) throw new Error('expected an avatar')
    expect(same.base64).toBe(b64(small))
    expect(same.info.downscaled).toBe(false)
  })

  it('passes GIF through, warns when it is large, rejects > 5000 px and non-images', async () => {
    const gif = await prepareAvatar(gifBytes(1200, 900), 1024)
    if (!('base64' in gif)) throw new Error('expected an avatar')
    expect(gif.info).toMatchObject({ mime: 'image/gif', width: 1200, height: 900, downscaled: false })
    expect(gif.warning?.code).toBe('AVATAR_LARGE')
    expect(await prepareAvatar(gifBytes(6000, 10))).toMatchObject({ problem: { code: 'AVATAR_TOO_BIG', field: 'AVATAR', severity: 'error' } })
    expect(await prepareAvatar(new TextEncoder().encode('GIF89a but not really'))).toMatchObject({ problem: { code: 'AVATAR_NOT_IMAGE' } })
    expect(await prepareAvatar(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]))).toMatchObject({ problem: { code: 'AVATAR_NOT_IMAGE' } })
  })

  it('box filter averages with alpha weighting', () => {
    const src = { width: 2, height: 1, data: new Uint8Array([255, 0, 0, 255, 0, 0, 255, 0]) }
    expect([...boxResize(src, 1, 1).data]).toEqual([255, 0, 0, 128])
  })

  it('classifies cells: data URI, bare base64, URL, file URL, path', () => {
    expect(classifyAvatarCell('data:image/png;base64,AAAA')).toEqual({ kind: 'data', base64: 'AAAA' })
    expect(classifyAvatarCell('A'.repeat(80)).kind).toBe('base64')
    expect(classifyAvatarCell('https://x.example/a.png')).toEqual({ kind: 'url' })
    expect(classifyAvatarCell('file:///tmp/a.png')).toEqual({ kind: 'path', path: '/tmp/a.png' })
    expect(classifyAvatarCell('avatars/a.png')).toEqual({ kind: 'path', path: 'avatars/a.png' })
  })

  it('resolves relative paths against the sheet folder; sniffs content, not the name', async () => {
    const dir = tempDir('b24-av-')
    await writeFile(join(dir, 'real.txt'), pngBytes(10, 10))
    await writeFile(join(dir, 'fake.png'), 'hello')
    const s = await importText('TITLE,USERS,AVATAR\nA,1,real.txt\nB,1,fake.png\nC,1,missing.png\nD,1,https://x.example/a.png\n' +
      `E,1,"data:image/png;base64,${b64(pngBytes(5, 5))}"\nF,1,${b64(pngBytes(6, 6))}\n`, {}, dir)
    expect(s.allRows().map((r) => r.status)).toEqual(['ready', 'error', 'error', 'error', 'ready', 'ready'])
    expect(s.allRows().slice(1, 4).map((r) => codes(r)[0])).toEqual(['AVATAR_NOT_IMAGE', 'AVATAR_NOT_FOUND', 'AVATAR_URL'])
    expect(s.allRows()[0]!.avatar).toMatchObject({ width: 10, height: 10, mime: 'image/png' })
    expect(s.allRows()[0]!.params.AVATAR).toBe(b64(pngBytes(10, 10)))
    expect(s.allRows()[4]!.avatar?.width).toBe(5)
    expect(s.allRows()[5]!.avatar?.width).toBe(6)
    const noDir = await importText('TITLE,AVATAR\nA,x.png\n')
    expect(codes(noDir.allRows()[0]!)).toContain('AVATAR_NO_FOLDER')
  })

  it('uses an injected reader and reads each distinct file once', async () => {
    const reads: string[] = []
    const readFile = async (p: string) => {
      reads.push(p)
      return pngBytes(4, 4)
    }
    const s = await importText('TITLE,USERS,AVATAR\nA,1,a.png\nB,2,a.png\nC,3,/abs/b.png\n', { readFile, avatarFolders: ['/abs'] }, '/sheets')
    expect(s.allRows().every((r) => r.avatar?.width === 4)).toBe(true)
    expect(reads).toEqual(['/sheets/a.png', '/abs/b.png'])
    expect(await resolveAvatarCell('x.png', { dir: '/d', readFile: async () => { throw Object.assign(new Error('no'), { code: 'EACCES' }) } })).toMatchObject({ problem: { code: 'AVATAR_DENIED' } })
    expect(await resolveAvatarCell('x.png', { dir: '/d', readFile: async () => { throw Object.assign(new Error('no'), { code: 'EIO' }) } })).toMatchObject({ problem: { code: 'AVATAR_UNREADABLE' } })
  })
})
