/**
 * Every failure the app can show carries its Russian text (`messageRu`): a Russian screen never shows an English
 * sentence with a generic Russian prefix. The scan reads the source of the core, the main-process and the keychain
 * (the CLI speaks English only): each `new AppFailure(...)` either has `messageRu` in its arguments, passes on an
 * error that already has one, or is one the user never sees as such (INTERNAL: a bug report; CANCELLED: the user's own act).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOTS = ['electron/core', 'electron/main', 'electron/keychain', 'electron/sandbox'].map((r) => join(process.cwd(), r))

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

/** The text of the call's arguments: from `new AppFailure(` to its closing parenthesis. */
export function callsIn(src: string): string[] {
  const out: string[] = []
  let at = src.indexOf('new AppFailure(')
  while (at >= 0) {
    let depth = 0
    let i = at + 'new AppFailure'.length
    for (; i < src.length; i++) {
      const c = src[i]
      if (c === '(') depth++
      else if (c === ')' && --depth === 0) break
    }
    out.push(src.slice(at, i + 1))
    at = src.indexOf('new AppFailure(', i)
  }
  return out
}

const EXEMPT = /^new AppFailure\(\s*'(INTERNAL|CANCELLED)'/
/** Passes on an error that was built (with its Russian text) elsewhere. */
const PASSES_ON = /^new AppFailure\(\s*(\w+\.)+code\s*,\s*(\w+\.)+message\s*,\s*\w+(\.\w+)*\s*\)$/

describe('failures speak Russian too', () => {
  it('finds the calls it checks (the scanner works on a known sample)', () => {
    const sample = "a(); throw new AppFailure('NETWORK', `x ${f(1)}`, { messageRu: 'y' }); new AppFailure('VALIDATION', 'z')"
    expect(callsIn(sample)).toEqual(["new AppFailure('NETWORK', `x ${f(1)}`, { messageRu: 'y' })", "new AppFailure('VALIDATION', 'z')"])
  })

  it('every AppFailure a user can see has messageRu', () => {
    const missing: string[] = []
    let checked = 0
    for (const root of ROOTS) {
      for (const f of files(root)) {
        for (const call of callsIn(readFileSync(f, 'utf8'))) {
          if (EXEMPT.test(call) || PASSES_ON.test(call.replace(/\s+/g, ' '))) continue
          checked++
          if (!call.includes('messageRu')) missing.push(`${relative(process.cwd(), f)}: ${call.slice(0, 120)}`)
        }
      }
    }
    expect(checked).toBeGreaterThan(40)
    expect(missing).toEqual([])
  })
})
