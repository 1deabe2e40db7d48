/** Small builders shared by the import tests. */
import iconv from 'iconv-lite'
import jpeg from 'jpeg-js'
import pngjs from 'pngjs'
import { importSheet } from '../../../electron/core/import'
import type { ImportSheetOptions } from '../../../electron/core/import'
import type { SheetRow } from '../../../electron/shared/sheet'
import type { Sheet } from '../../../electron/core/import'

const { PNG } = pngjs

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
export const cp = (s: string, enc: 'windows-1251' | 'windows-1252'): Uint8Array => new Uint8Array(iconv.encode(s, enc))
export const utf16le = (s: string, bom = true): Uint8Array => new Uint8Array(Buffer.concat([bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(s, 'utf16le')]))

export const importText = (text: string, opts: ImportSheetOptions = {}, dir?: string): Promise<Sheet> =>
  importSheet(utf8(text), { fileName: 'test.csv', ...(dir ? { dir } : {}) }, opts)

export const codes = (row: SheetRow): string[] => row.problems.map((p) => p.code)

export function pngBytes(width: number, height: number, rgba: [number, number, number, number] = [200, 40, 40, 255]): Uint8Array {
  const img = new PNG({ width, height })
  for (let i = 0; i < width * height; i++) img.data.set(rgba, i * 4)
  return new Uint8Array(PNG.sync.write(img))
}

export function jpegBytes(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 4)
  for (let i = 0; i < width * height; i++) data.set([i % 255, 100, 200, 255], i * 4)
  return new Uint8Array(jpeg.encode({ width, height, data }, 80).data)
}

/** A minimal valid GIF89a (1 colour, 1 frame) with the given logical screen size. */
export function gifBytes(width: number, height: number): Uint8Array {
  const b = Buffer.from([
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, width & 255, width >> 8, height & 255, height >> 8, 0x80, 0, 0,
    0, 0, 0, 255, 255, 255,
    0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
  ])
  return new Uint8Array(b)
}
