/**
 * A CSV row's `fileLine` (its first physical line) is worked out when a row is asked for, not while the file is
 * read. Checked against the lines counted as the file is written, for any mix of quoted line breaks, blank
 * records, rows too long to keep, rows cut at the column limit, an unterminated quote at the end, any line break
 * style, any chunk size and any order of asking.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { importText } from './helpers'

type Rec = { kind: 'row'; cells: string[] } | { kind: 'blank' }

const cell = fc.stringMatching(/^[a-z ,"\n]{0,12}$/)
const rec: fc.Arbitrary<Rec> = fc.oneof(
  { weight: 5, arbitrary: fc.array(cell, { minLength: 1, maxLength: 6 }).map((cells) => ({ kind: 'row' as const, cells: ['t', ...cells] })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'blank' as const }) },
)

describe('fileLine of CSV rows', () => {
  it('is the first physical line of the row, however the file is shaped and in whatever order rows are asked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rec, { minLength: 1, maxLength: 25 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.boolean(),
        fc.constantFrom(5, 17, 1 << 20),
        fc.nat(),
        async (recs, nl, unterminated, chunkChars, firstAsked) => {
          // Quoted cells with their line breaks in the file's own style; the header spans two lines.
          const quote = (c: string): string => `"${c.replace(/"/g, '""').replace(/\n/g, nl)}"`
          const parts = [`TITLE,${quote('US\nERS')},MESSAGE,DESCRIPTION`]
          let line = 3
          const expected: number[] = []
          for (const r of recs) {
            if (r.kind === 'blank') parts.push('')
            else {
              // A row counts when some cell is not blank (the first one never is).
              expected.push(line)
              parts.push(r.cells.map(quote).join(','))
            }
            line += 1 + (r.kind === 'row' ? r.cells.join('').split('\n').length - 1 : 0)
          }
          if (unterminated) {
            expected.push(line)
            parts.push(`open,"never${nl}closed${nl}`)
          }
          const text = parts.join(nl) + (unterminated ? '' : nl)
          const sheet = await importText(text, { chunkChars, limits: { recordChars: 40, columns: 4 } })
          expect(sheet.length).toBe(expected.length)
          // One row first (any of them: the lines before it are worked out then), then all of them.
          if (sheet.length) expect(sheet.rowAt(firstAsked % sheet.length).fileLine).toBe(expected[firstAsked % sheet.length])
          expect(sheet.allRows().map((r) => r.fileLine)).toEqual(expected)
          const open = sheet.fileProblems.find((p) => p.code === 'QUOTE_UNTERMINATED')
          if (unterminated) {
            expect(open?.message).toContain(`line ${line} `)
            const last = sheet.rowAt(sheet.length - 1).problems.find((p) => p.code === 'ROW_UNTERMINATED_QUOTE')
            // Too long to keep (only its length is checked then), or it names the line it runs to.
            if (last) expect(last.message).toContain(`(line ${line + 2})`)
          } else expect(open).toBeUndefined()
        },
      ),
      { numRuns: 300 },
    )
  })
})
