/** Structured facts the renderer words itself: title kinds, reading notes, spreadsheet row numbers. */
import { describe, expect, it } from 'vitest'
import { importText } from './helpers'

describe('titleKind', () => {
  it('says how each title comes about', async () => {
    const s = await importText('TITLE,USERS,COLOR\nSales,1,RED\n,2,GREEN\n,3,\n')
    expect(s.allRows().map((r) => r.titleKind)).toEqual(['given', 'colorNumbered', 'autoNumbered'])
  })
  it('with chat colours off: withMembers with the names, or plain without members', async () => {
    const s = await importText('TITLE,USERS,DESCRIPTION\n,"4, a@b.ru",x\n,,y\n', { colorsEnabled: false })
    const [a, b] = s.allRows()
    expect(a).toMatchObject({ titleKind: 'withMembers', titleNames: ['#4', 'a@b.ru'] })
    expect(b!.titleKind).toBe('plain')
    expect(b!.titleNames).toBeUndefined()
  })
})

describe('reading notes', () => {
  it('a synonym is read and noted (from → to); exact API values and errors are not', async () => {
    const s = await importText('TITLE,USERS,TYPE,COLOR\nA,1,PUBLIC,Красный\nB,2,OPEN,RED\nC,3,secret,Fuchsia\nD,4,открытый,#4ba984\nE,5,,\n')
    const [a, b, c, d, e] = s.allRows()
    expect(a!.notes).toEqual([
      { code: 'TYPE_READ_AS', field: 'TYPE', from: 'PUBLIC', to: 'OPEN' },
      { code: 'COLOR_READ_AS', field: 'COLOR', from: 'Красный', to: 'RED' },
    ])
    expect(a!.params).toMatchObject({ TYPE: 'OPEN', COLOR: 'RED' })
    expect(b!.notes).toBeUndefined()
    expect(c!.notes).toBeUndefined()
    expect(d!.notes?.map((n) => [n.from, n.to])).toEqual([['открытый', 'OPEN'], ['#4ba984', 'MINT']])
    expect(e!.notes).toBeUndefined()
  })
})

describe('row numbers', () => {
  it('count records, not lines: a multi-line cell keeps later rows in step; the file line is kept apart', async () => {
    const s = await importText('TITLE,USERS,MESSAGE\nA,1,"one\ntwo\nthree"\nB,2,x\n\nC,3,y\n')
    expect(s.allRows().map((r) => [r.line, r.fileLine])).toEqual([[2, 2], [3, 5], [5, 7]])
  })
})
