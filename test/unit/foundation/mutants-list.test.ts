import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MUTANTS, passedInReport, setKey } from '../../../scripts/mutants'
import type { TestSet, VitestReport } from '../../../scripts/mutants'

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

describe('the baseline taken from a report of the same tree (passedInReport)', () => {
  const root = '/repo'
  const report = (files: Record<string, string>): VitestReport => ({ testResults: Object.entries(files).map(([f, status]) => ({ name: `${root}/${f}`, status })) })
  const set = (files: string[], args?: string[]): TestSet => ({ project: 'unit', files, ...(args ? { args } : {}) })

  it('counts a set as passed only when each of its paths matched a file and every file matched passed', () => {
    const r = report({ 'test/unit/a.test.ts': 'passed', 'test/unit/sync/b.test.ts': 'passed', 'test/unit/sync/c.test.ts': 'failed', 'test/unit/portal/d.test.ts': 'passed' })
    const whole = set(['test/unit/a.test.ts'])
    const filtered = set(['test/unit/a.test.ts'], ['-t', 'one case'])
    const folderWithFailure = set(['test/unit/sync'])
    const folderPassed = set(['test/unit/portal', 'test/unit/a.test.ts'])
    const notInReport = set(['test/unit/a.test.ts', 'test/unit/missing.test.ts'])
    const prefixOnly = set(['test/unit/port'])
    const passed = passedInReport([whole, filtered, folderWithFailure, folderPassed, notInReport, prefixOnly], r, root)
    expect([...passed].sort()).toEqual([whole, filtered, folderPassed].map(setKey).sort())
  })

  it('takes nothing from an empty report', () => {
    expect(passedInReport([set(['test/unit/a.test.ts'])], { testResults: [] }, root).size).toBe(0)
  })
})
