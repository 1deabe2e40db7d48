import { describe, expect, it } from 'vitest'
import { writeAll, writeFileAtomic } from '../../../electron/core/fsutil'
import { CrashError, CrashFs } from '../../helpers/crash-fs'

const FILE = '/data/state.json'
const OLD = JSON.stringify({ generation: 1, rows: 'old'.repeat(50) })
const NEW = JSON.stringify({ generation: 2, rows: 'new'.repeat(80) })

async function disk(): Promise<CrashFs> {
  const fs = new CrashFs()
  await fs.mkdir('/data')
  fs.setText(FILE, OLD)
  return fs
}

describe('writeFileAtomic', () => {
  it('a crash at any of its write points leaves the old file or the new one, whole — never a torn or empty file', async () => {
    const probe = await disk()
    const before = probe.ops
    await writeFileAtomic(FILE, NEW, { fs: probe })
    const points = probe.ops - before
    const seen = new Set<string>()
    for (const mode of ['torn', 'lost'] as const) {
      for (let k = 1; k <= points; k++) {
        const fs = await disk()
        fs.failAt(k, 'crash')
        await expect(writeFileAtomic(FILE, NEW, { fs })).rejects.toBeInstanceOf(CrashError)
        fs.reboot(mode)
        const text = fs.text(FILE)
        expect([OLD, NEW], `crash at ${fs.opLog[fs.opLog.length - 1]} (${mode})`).toContain(text)
        seen.add(text === NEW ? 'new' : 'old')
      }
    }
    expect(points).toBeGreaterThanOrEqual(5) // open, write, sync, rename, fsyncDir
    expect(seen).toEqual(new Set(['old'])) // the rename is durable only with the folder's fsync: the last point
    // once it returns, the new content survives a crash
    const fs = await disk()
    await writeFileAtomic(FILE, NEW, { fs })
    fs.reboot('lost')
    expect(fs.text(FILE)).toBe(NEW)
  })

  it('a full disk or a short write leaves the old file and no temp file behind', async () => {
    for (const kind of ['enospc', 'short'] as const) {
      const fs = await disk()
      fs.failAt(2, kind) // the write
      await expect(writeFileAtomic(FILE, NEW, { fs })).rejects.toMatchObject({ code: 'ENOSPC' })
      expect(fs.text(FILE)).toBe(OLD)
      expect(await fs.readdir('/data')).toEqual(['state.json'])
    }
  })

  it('writeAll continues a short write and reports a write that stores nothing as ENOSPC', async () => {
    const fs = new CrashFs()
    await fs.mkdir('/d')
    const fh = await fs.open('/d/f', 'a')
    fs.failAt(1, 'short')
    await expect(writeAll(fh, new TextEncoder().encode('0123456789'), '/d/f')).rejects.toMatchObject({ code: 'ENOSPC' })
    expect(fs.text('/d/f')).toBe('01234')
    fs.capacity = Number.POSITIVE_INFINITY
    await writeAll(fh, new TextEncoder().encode('abc'))
    expect(fs.text('/d/f')).toBe('01234abc')
  })
})
