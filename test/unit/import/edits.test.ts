/** Bulk edits: one batch of cell edits, checked first, applied in one pass. */
import { describe, expect, it } from 'vitest'
import { applyEdits } from '../../../electron/core/import'
import { codes, importText } from './helpers'

describe('applyEdits', () => {
  it('applies every edit of a batch, rebuilds each row once, and reports the rows whose cross-row checks changed', async () => {
    const s = await importText('TITLE,USERS,COLOR,TYPE,Note\nA,1,Fuchsia,CHAT,x\nB,2,RED,secret,y\nB,2,RED,CHAT,z\nD,4,,,w\n')
    expect(s.summary).toMatchObject({ ready: 1, warning: 1, error: 2 })
    const out = await applyEdits(s, [
      { rowKey: 'r1', column: 'COLOR', value: 'MINT' },
      { rowKey: 'r2', column: 'TYPE', value: 'OPEN' },
      { rowKey: 'r2', column: 'TITLE', value: 'B2' },
      { rowKey: 'r4', column: 'Note', value: 'edited' },
    ])
    // r3 was a duplicate of r2 (same title and members): it changed without being edited.
    expect(out.rows.map((r) => r.key)).toEqual(['r1', 'r2', 'r3', 'r4'])
    expect(out).toMatchObject({ changed: 4, truncated: false, summary: { rows: 4, ready: 4, warning: 0, error: 0 } })
    expect(s.rowAt(0).params.COLOR).toBe('MINT')
    expect(s.rowAt(1).params).toMatchObject({ TYPE: 'OPEN', TITLE: 'B2' })
    expect(codes(s.rowAt(2))).toEqual([])
    expect(s.rowAt(3).cells.Note).toBe('edited')
  })

  it('refuses the whole batch when one edit names a row or column that does not exist (nothing changes)', async () => {
    const s = await importText('TITLE,USERS,COLOR\nA,1,Fuchsia\n')
    await expect(applyEdits(s, [{ rowKey: 'r1', column: 'COLOR', value: 'RED' }, { rowKey: 'r9', column: 'COLOR', value: 'RED' }])).rejects.toMatchObject({ appError: { code: 'NOT_FOUND' } })
    await expect(applyEdits(s, [{ rowKey: 'r1', column: 'COLOR', value: 'RED' }, { rowKey: 'r1', column: 'Nope', value: 'x' }])).rejects.toMatchObject({ appError: { code: 'VALIDATION' } })
    expect(s.rowAt(0).params.COLOR).toBeUndefined()
    expect(s.summary.error).toBe(1)
  })

  it('an unmapped API field gets its own column for the rows edited', async () => {
    const s = await importText('TITLE,USERS\nA,1\nB,2\n')
    await applyEdits(s, [{ rowKey: 'r2', column: 'OWNER', value: '2' }])
    expect(s.meta.headers).toEqual(['TITLE', 'USERS', 'OWNER'])
    expect(s.meta.mapping.OWNER).toBe('OWNER')
    expect(s.rowAt(1).owner).toBe(2)
    expect(s.rowAt(0).owner).toBeUndefined()
  })

  it('a whole column of a 100,000-row sheet in one batch: more rows than a page → truncated, summary exact', async () => {
    const lines = ['TITLE,USERS,COLOR']
    for (let i = 1; i <= 100_000; i++) lines.push(`Chat ${i},${(i % 200) + 1},${i % 3 === 0 ? 'Fuchsia' : 'RED'}`)
    const s = await importText(`${lines.join('\n')}\n`)
    expect(s.summary.error).toBe(33_333)
    const out = await applyEdits(s, Array.from({ length: s.length }, (_, i) => ({ rowKey: `r${i + 1}`, column: 'COLOR', value: 'GRAPHITE' })))
    expect(out).toMatchObject({ changed: 100_000, truncated: true, rows: [], summary: { rows: 100_000, ready: 100_000, error: 0 } })
    expect(s.rowAt(99_998).params.COLOR).toBe('GRAPHITE')
  }, 60_000)
})
