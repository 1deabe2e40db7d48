/**
 * Draws the app icon (resources/icon.png, 1024×1024): a Bitrix24-blue rounded square with a white speech
 * bubble and three dots. Run: node --import tsx scripts/make-icon.ts
 */
import { writeFileSync } from 'node:fs'
import { PNG } from 'pngjs'

const N = 1024
const png = new PNG({ width: N, height: N })
const blue = [0x2f, 0xc6, 0xf6]
const deep = [0x0b, 0x66, 0xc3]

function inRoundRect(x: number, y: number, x0: number, y0: number, x1: number, y1: number, r: number): boolean {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false
  const cx = Math.min(Math.max(x, x0 + r), x1 - r)
  const cy = Math.min(Math.max(y, y0 + r), y1 - r)
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r
}

// 4×4 supersampling for smooth edges.
for (let y = 0; y < N; y++) {
  for (let x = 0; x < N; x++) {
    let bg = 0
    let fg = 0
    for (let sy = 0; sy < 4; sy++) {
      for (let sx = 0; sx < 4; sx++) {
        const px = x + (sx + 0.5) / 4
        const py = y + (sy + 0.5) / 4
        if (!inRoundRect(px, py, 40, 40, N - 40, N - 40, 200)) continue
        bg++
        const bubble = inRoundRect(px, py, 220, 250, 804, 690, 130)
        const tail = py >= 660 && py <= 830 && px >= 300 && px <= 470 && px - 300 <= (830 - py) * 0.9 + 0 && px >= 300 + (py - 660) * 0.1
        const dot = [380, 512, 644].some((dx) => (px - dx) ** 2 + (py - 470) ** 2 <= 48 ** 2)
        if ((bubble || tail) && !dot) fg++
      }
    }
    const i = (y * N + x) * 4
    const t = y / N
    const base = blue.map((c, k) => Math.round(c * (1 - t) + deep[k]! * t))
    const a = bg / 16
    const f = bg ? fg / bg : 0
    png.data[i] = Math.round(base[0]! * (1 - f) + 255 * f)
    png.data[i + 1] = Math.round(base[1]! * (1 - f) + 255 * f)
    png.data[i + 2] = Math.round(base[2]! * (1 - f) + 255 * f)
    png.data[i + 3] = Math.round(255 * a)
  }
}
writeFileSync(new URL('../resources/icon.png', import.meta.url), PNG.sync.write(png))
console.log('resources/icon.png written')
