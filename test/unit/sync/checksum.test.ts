import { describe, expect, it } from 'vitest'
import { crc32, crc32Js, openLine, sealLine } from '../../../electron/core/sync/checksum'

describe('journal checksums (CRC-32, IEEE)', () => {
  it('match the standard check value and the JavaScript reference, for any text', () => {
    expect(crc32('123456789')).toBe('cbf43926')
    expect(crc32Js('123456789')).toBe('cbf43926')
    expect(crc32('')).toBe('00000000')
    const texts = ['', 'a', 'Чат «Продажи» — 2026', '😀 emoji and \u0000 NUL', '{"k":"row","key":"r1"}', 'x'.repeat(100_000), 'lone \ud800 surrogate']
    for (let i = 0; i < 200; i++) texts.push(String.fromCharCode(...Array.from({ length: i }, (_, j) => (j * 7919 + i * 104729) % 0xd7ff)))
    for (const t of texts) expect(crc32(t), t.slice(0, 20)).toBe(crc32Js(t))
  })

  it('a sealed line opens to its text; one changed character does not open', () => {
    const line = sealLine('{"k":"row","key":"r1","state":"created"}')
    expect(openLine(line)).toEqual({ text: '{"k":"row","key":"r1","state":"created"}', legacy: false })
    expect(openLine(line.replace('created', 'crea7ed'))).toBeNull()
  })
})
