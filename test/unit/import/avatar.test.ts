import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { imageSize } from 'image-size'
import pngjs from 'pngjs'
import { describe, expect, it } from 'vitest'
import { prepareAvatar } from '../../../electron/core/import'
import { boxResize, classifyAvatarCell, resolveAvatarCell } from '../../../electron/core/import/avatar'
import { codes, gifBytes, importText, jpegBytes, pngBytes } from './helpers'

const { PNG } = pngjs
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')

describe('avatars', () => {
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
    const dir = await mkdtemp(join(tmpdir(), 'b24-av-'))
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
    const s = await importText('TITLE,USERS,AVATAR\nA,1,a.png\nB,2,a.png\nC,3,/abs/b.png\n', { readFile }, '/sheets')
    expect(s.allRows().every((r) => r.avatar?.width === 4)).toBe(true)
    expect(reads).toEqual(['/sheets/a.png', '/abs/b.png'])
    expect(await resolveAvatarCell('x.png', { dir: '/d', readFile: async () => { throw Object.assign(new Error('no'), { code: 'EACCES' }) } })).toMatchObject({ problem: { code: 'AVATAR_UNREADABLE' } })
  })
})
