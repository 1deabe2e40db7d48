/**
 * The compact Sheet: rows are kept as cell arrays plus typed-array verdicts and built on request. What is built
 * must be what the import checked, every time, and a built row must be the caller's own copy.
 */
import { describe, expect, it } from 'vitest'
import { keyOf, revalidateRow } from '../../../electron/core/import'
import { copyRow, indexOfKey } from '../../../electron/core/import/sheet'
import type { SheetRow } from '../../../electron/shared/sheet'
import { codes, importText } from './helpers'

const SHEET = [
  'TITLE,USERS,COLOR,ENTITY_TYPE,ENTITY_ID,AVATAR,Note',
  'Sales,"1, 2",RED,T,1,,first',
  'Sales,"2, 1",RED,,,,same title and members as line 2',
  'Broken,3,Pinkish,,,,bad colour',
  'Pair,4,,T,1,,same pair as line 2',
  'Ragged,5,,,,,x,extra',
  'Pic,6,,,,"data:image/png;base64,aGVsbG8gd29ybGQ=",avatar is not an image',
].join('\n')

describe('Sheet', () => {
  it('keys are r + ordinal, and only such keys of existing rows resolve', async () => {
    const s = await importText(SHEET)
    expect(s.length).toBe(6)
    expect(s.allRows().map((r) => r.key)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6'])
    expect(keyOf(0)).toBe('r1')
    expect(s.indexOfKey('r1')).toBe(0)
    expect(s.indexOfKey('r6')).toBe(5)
    for (const bad of ['r7', 'r0', 'r01', 'r-1', 'x1', 'r', '', 'r1 ', 'r99999999999']) expect(s.indexOfKey(bad)).toBe(-1)
    expect(indexOfKey('r3', 2)).toBe(-1)
  })

  it('pages cover the rows exactly, with the total; past the end is empty', async () => {
    const s = await importText(SHEET)
    const all = s.allRows()
    expect(s.page(0, 2)).toEqual({ offset: 0, total: 6, rows: all.slice(0, 2) })
    expect(s.page(4, 10)).toEqual({ offset: 4, total: 6, rows: all.slice(4) })
    expect(s.page(6, 5)).toEqual({ offset: 6, total: 6, rows: [] })
    expect([...s.eachRow()]).toEqual(all)
    expect(s.materialize()).toEqual({ meta: s.meta, fileProblems: s.fileProblems, summary: s.summary, rows: all })
  })

  it('statuses and the summary are counted without building rows, and agree with the built rows', async () => {
    const s = await importText(SHEET)
    const rows = s.allRows()
    expect(codes(rows[0]!)).toEqual(['ROW_DUPLICATE', 'ENTITY_PAIR_DUPLICATE'])
    expect(codes(rows[1]!)).toEqual(['ROW_DUPLICATE'])
    expect(codes(rows[2]!)).toEqual(['COLOR_INVALID'])
    expect(codes(rows[3]!)).toEqual(['ENTITY_PAIR_DUPLICATE'])
    expect(codes(rows[4]!)).toEqual(['ROW_TOO_MANY_FIELDS'])
    expect(codes(rows[5]!)).toEqual(['AVATAR_NOT_IMAGE'])
    rows.forEach((r, i) => expect(s.statusAt(i)).toBe(r.status))
    expect(s.summary).toEqual({ rows: 6, ready: 0, warning: 1, error: 5 })
    expect(rows[4]!.cells).toMatchObject({ Note: 'x', 'Column 8': 'extra' })
  })

  it('a built row is the caller\'s copy: changing it changes nothing in the sheet', async () => {
    const s = await importText(SHEET)
    const edited = await revalidateRow(s, 'r3', 'COLOR', 'blue')
    expect(edited.status).toBe('ready')
    // Row 0 has cross-row problems, row 2 was replaced by the edit, row 4 is as imported.
    for (const i of [0, 2, 4]) {
      const before = structuredClone(s.rowAt(i))
      const mine = s.rowAt(i)
      mine.status = 'ready'
      mine.problems.push(mine.problems[0] ?? before.problems[0]!)
      mine.params.TITLE = 'changed'
      mine.params.USERS?.push(99)
      // (Empty lists may be shared frozen arrays: a caller assigns a new list to add to one.)
      if (mine.emails.length) mine.emails.push('x@y.z')
      else mine.emails = ['x@y.z']
      mine.cells.Note = 'changed'
      expect(s.rowAt(i)).toEqual(before)
    }
  })

  it('copyRow copies every list and record of a row, at every level (problems and strings stay shared)', async () => {
    const s = await importText(SHEET)
    const row: SheetRow = {
      ...s.rowAt(0),
      emails: ['a@b.ru'],
      owner: 'a@b.ru',
      avatar: { mime: 'image/png', width: 2, height: 2, base64Bytes: 8, downscaled: false, thumbnail: 'data:image/png;base64,AA==' },
      live: { resolved: { 'a@b.ru': 7 }, names: { 7: 'Ann' }, existingChatId: 3, addedUsers: [7] },
    }
    const copy = copyRow(row)
    expect(copy).toEqual(row)
    // Walk both: every object or array reached in the copy is a new one, except the Problem objects.
    const walk = (a: unknown, b: unknown, path: string): void => {
      if (typeof a !== 'object' || a === null) return
      if (path.startsWith('row.problems.')) return
      expect(a, path).not.toBe(b)
      for (const k of Object.keys(a)) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`)
    }
    walk(copy, row, 'row')
  })

  it('an edit that removes a duplicate clears the cross-row problem of the other row too', async () => {
    const s = await importText(SHEET)
    await revalidateRow(s, 'r2', 'USERS', '9')
    expect(codes(s.rowAt(0))).toEqual(['ENTITY_PAIR_DUPLICATE'])
    expect(codes(s.rowAt(1))).toEqual([])
    await revalidateRow(s, 'r4', 'ENTITY_ID', '2')
    expect(codes(s.rowAt(0))).toEqual([])
    expect(s.statusAt(0)).toBe('ready')
    expect(s.summary).toEqual({ rows: 6, ready: 3, warning: 0, error: 3 })
  })
})
