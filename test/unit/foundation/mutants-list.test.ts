import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MUTANTS } from '../../../scripts/mutants'

// `npm run mutants` counts a find text that is missing or not unique as an error; this keeps the list honest in
// every test run, so a refactor that moves a guard re-points its mutant at once.
describe('the mutant list (scripts/mutants.ts)', () => {
  it.each(MUTANTS.map((m) => [m.id, m] as const))('%s: the find text occurs exactly once and its tests exist', (_id, m) => {
    const text = readFileSync(m.file, 'utf8')
    expect(text.split(m.find).length - 1).toBe(1)
    expect(m.replace).not.toBe(m.find)
    for (const set of m.tests) for (const f of set.files) expect(existsSync(f), f).toBe(true)
  })

  it('has unique ids and covers every mutant of issue 13 "Seen" 3 and issue 10 item 8', () => {
    const ids = MUTANTS.map((m) => m.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ['gate-raw-payload', 'schema-any-object', 'trust-window-check-removed', 'trust-frame-check-removed', 'redact-no-g-flag', 'bucket-drains-10x', 'web-traversal-guard-removed', 'journal-no-datasync', 'atomic-write-in-place', 'snapshot-wrong-name', 'retry-replans-needs-checking'])
      expect(ids).toContain(id)
  })
})
