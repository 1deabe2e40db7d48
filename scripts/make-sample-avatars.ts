/**
 * Generates the small, real avatar images used by resources/sample-chats.csv and the sheet fixtures
 * (plus one deliberately fake ".png"). Deterministic: re-running gives the same bytes.
 *   node --import tsx scripts/make-sample-avatars.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import jpeg from 'jpeg-js'
import pngjs from 'pngjs'

const { PNG } = pngjs
const root = join(dirname(fileURLToPath(import.meta.url)), '..')

type Rgb = [number, number, number]

/** A disc of `fg` on a vertical gradient from `top` to `bottom`. */
function paint(width: number, height: number, top: Rgb, bottom: Rgb, fg: Rgb): Uint8Array {
  const data = new Uint8Array(width * height * 4)
  const cx = width / 2
  const cy = height / 2
  const r = Math.min(width, height) * 0.32
  for (let y = 0; y < height; y++) {
    const t = y / Math.max(1, height - 1)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4
      const inDisc = (x - cx) ** 2 + (y - cy) ** 2 <= r * r
      const c = inDisc ? fg : [0, 1, 2].map((k) => Math.round(top[k]! + (bottom[k]! - top[k]!) * t)) as Rgb
      data[i] = c[0]
      data[i + 1] = c[1]
      data[i + 2] = c[2]
      data[i + 3] = 255
    }
  }
  return data
}

function png(path: string, width: number, height: number, top: Rgb, bottom: Rgb, fg: Rgb): void {
  const img = new PNG({ width, height })
  img.data = Buffer.from(paint(width, height, top, bottom, fg))
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, PNG.sync.write(img, { colorType: 2 }))
}

function jpg(path: string, width: number, height: number, top: Rgb, bottom: Rgb, fg: Rgb): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, jpeg.encode({ width, height, data: paint(width, height, top, bottom, fg) }, 80).data)
}

const res = (p: string): string => join(root, 'resources', 'avatars', p)
png(res('sales.png'), 256, 256, [223, 83, 45], [160, 40, 20], [255, 255, 255])
png(res('support.png'), 200, 200, [75, 165, 195], [30, 100, 140], [255, 240, 200])
jpg(res('team-photo.jpg'), 320, 240, [100, 165, 19], [40, 90, 10], [250, 250, 250])
// Larger than the default 1024 px edge: the import downscales it.
png(res('design-large.png'), 1600, 1600, [132, 116, 200], [60, 50, 120], [255, 220, 90])
// Named like an image, but text: the import must reject it by content.
writeFileSync(res('not-an-image.png'), 'This is a text file with a .png name.\n')

png(join(root, 'test', 'fixtures', 'sheets', 'avatars', 'team.png'), 48, 48, [30, 180, 170], [10, 90, 85], [255, 255, 255])
console.log('avatars written')
