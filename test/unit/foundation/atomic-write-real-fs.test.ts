import { open, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { writeFileAtomic } from '../../../electron/core/fsutil'

// Issue 10 "Seen" 8: writeFileAtomic writing in place passed every test. A reader must see either the whole old
// file or the whole new one, never a file being rewritten under it.
describe('writeFileAtomic', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'b24-atomic-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('replaces the file whole: a reader that opened the old one still reads all of the old one', async () => {
    const file = join(dir, 'state.json')
    const old = JSON.stringify({ rows: 'x'.repeat(10_000) })
    await writeFile(file, old)
    const reader = await open(file, 'r')
    try {
      await writeFileAtomic(file, '{"rows":"new"}')
      // Written in place, the open file would now be truncated and rewritten under the reader.
      expect((await reader.readFile('utf8')).length).toBe(old.length)
    } finally {
      await reader.close()
    }
    expect(await readFile(file, 'utf8')).toBe('{"rows":"new"}')
    expect(await readdir(dir)).toEqual(['state.json'])
  })
})
