import { describe, expect, it } from 'vitest'
import { csvLine, neutralise } from '../../../electron/core/sync/export'

// Issue 13 "Seen" 9: a formula hidden behind white space, a full-width sign or an invisible character still runs
// in a spreadsheet; the results export must neutralise every one of them.
describe('results export: formula neutralisation', () => {
  it('neutralises a formula behind leading white space of any kind', () => {
    for (const cell of [' =1+1', '  +7', '\u00a0=HYPERLINK("x")', '\u3000@SUM(A1)', '\n=1', ' \t -2']) expect(neutralise(cell), JSON.stringify(cell)).toBe(`'${cell}`)
  })

  it('neutralises full-width and small-form formula signs', () => {
    for (const cell of ['＝1+1', '＋7', '－2', '＠SUM(A1)', '﹦1', '﹢1', '﹣1', '﹫x', ' ＝cmd']) expect(neutralise(cell), cell).toBe(`'${cell}`)
  })

  it('neutralises a formula behind zero-width and other invisible characters', () => {
    for (const prefix of ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u200e', '\u202e', '\u2066', '\u180e', '\u200b \u200b']) {
      const cell = `${prefix}=cmd|' /C calc'!A0`
      expect(neutralise(cell), JSON.stringify(prefix)).toBe(`'${cell}`)
    }
  })

  it('leaves ordinary text alone, including signs that do not start the cell', () => {
    for (const cell of ['Plain', 'Sales — North-West', 'a=b', ' x + y', '\u200bhello', 'user@example.com', '', '１２３']) expect(neutralise(cell)).toBe(cell)
  })

  it('is applied to every cell of an export line', () => {
    expect(csvLine(['ok', '\u200b=1', ' ＋2'])).toBe("ok,'\u200b=1,' ＋2")
  })
})
