/**
 * The import's fast paths against the straightforward code they replace: same values, same shapes. Each
 * "reference" below is the slow path as it was written before the fast path existed.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { emailOfUncached, parseUserToken, parseUsers } from '../../../electron/core/import/fields'
import type { UserRef } from '../../../electron/core/import/fields'
import type { Problem } from '../../../electron/shared/sheet'
import { NO_PROBLEMS, buildRow, checkRecord, compilePlan, dupHashOf, pairHashOf, sameHash, validateRecord, withProblem } from '../../../electron/core/import/rows'
import { makeProblem } from '../../../electron/shared/problems'
import { importText } from './helpers'

const EMAIL_RE = /^[^\s@<>(),;:"[\]]+@[^\s@<>(),;:"[\]]+\.[^\s@<>(),;:"[\]]+$/

function referenceToken(token: string): UserRef {
  if (/^\d{1,10}$/.test(token)) {
    const id = Number(token)
    return id > 0 && id <= 2_147_483_647 ? { id } : { invalid: token }
  }
  const t = token.startsWith('mailto:') ? token.slice(7) : token
  return EMAIL_RE.test(t) ? { email: t.toLowerCase() } : { invalid: token }
}

/** The regex/split version of parseUsers (ids and e-mails in first-seen order, duplicates dropped). */
function referenceUsers(raw: string): { ids: number[]; emails: string[]; invalid: string[] } {
  const ids: number[] = []
  const emails: string[] = []
  const invalid: string[] = []
  for (const token of raw.split(/[,;\s\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+/)) {
    if (!token) continue
    const ref = referenceToken(token)
    if ('id' in ref) {
      if (!ids.includes(ref.id)) ids.push(ref.id)
    } else if ('email' in ref) {
      if (!emails.includes(ref.email)) emails.push(ref.email)
    } else invalid.push(token)
  }
  return { ids, emails, invalid }
}

const SAMPLE_TOKENS = [
  '1', '42', '0', '007', '2147483647', '2147483648', '9999999999', '12345678901', '١٢', '１２', '-5', '+5', '1.5', '1e3',
  'ivan@example.com', 'Ivan@Example.COM', 'mailto:A@B.ru', 'MAILTO:a@b.ru', 'a@b', 'a@@b.c', 'a b@c.d', 'user@домен.рф', 'x"y@z.w',
  'Иван', '', '@', 'a@b.c.', 'mailto:', 'ÄÖ@Ü.de', 'a@b.', 'a@.b', 'a@.b.c', '@b.c', 'a.b@c', 'a@b@c.d', 'a@B.c',
]

describe('import fast paths', () => {
  it('a user token reads the same as with the regexes, also when the e-mail cache answers', () => {
    for (let round = 0; round < 2; round++) for (const t of SAMPLE_TOKENS) expect(parseUserToken(t)).toEqual(referenceToken(t))
    for (const t of SAMPLE_TOKENS) {
      if (/^\d/.test(t)) continue
      const ref = referenceToken(t)
      expect(emailOfUncached(t)).toBe('email' in ref ? ref.email : null)
    }
  })

  it('USERS lists: exact-size lists, same ids, e-mails and named bad tokens as the reference', () => {
    // E-mail-shaped tokens too: where '@' and '.' stand, upper case and characters an e-mail may not hold.
    const part = fc.array(fc.constantFrom('a', 'z', '1', '.', '_', 'Z', '<', ':', '\u0001', '-'), { maxLength: 4 }).map((cs) => cs.join(''))
    const emailish = fc.tuple(part, fc.constantFrom('@', '@', '', '@@'), part, fc.constantFrom('.', '', '..'), part).map((xs) => xs.join(''))
    const token = fc.oneof(fc.constantFrom(...SAMPLE_TOKENS), fc.integer({ min: 0, max: 60 }).map(String), fc.string({ maxLength: 6 }), emailish)
    const sep = fc.constantFrom(',', ', ', ';', ' ', '\n', '\r\n', '\u00a0', '\t', ',,', '\v', '\f', '\u2003', '\u200b', '\u3000', '\ufeff', '\u2028')
    fc.assert(
      fc.property(fc.array(fc.tuple(token, sep), { maxLength: 45 }), (parts) => {
        const raw = parts.map(([t, s]) => t + s).join('')
        const problems: Problem[] = []
        const got = parseUsers(raw, problems)
        const ids = got.ids.slice()
        const emails = got.emails.slice()
        const ref = referenceUsers(raw)
        expect(ids).toEqual(ref.ids)
        expect(emails).toEqual(ref.emails)
        if (ref.invalid.length) {
          expect(problems).toHaveLength(1)
          for (const bad of ref.invalid.slice(0, 5)) if (bad.length <= 60) expect(problems[0]!.message).toContain(`"${bad}"`)
        } else expect(problems).toEqual([])
      }),
      { numRuns: 400, seed: 42 },
    )
    // More than 32 ids switches to a Set for the duplicate check.
    const many = Array.from({ length: 80 }, (_, i) => String((i % 50) + 1)).join(',')
    expect(parseUsers(many, []).ids).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
  })

  it('rows, params and cells are plain objects with their keys in the documented order', async () => {
    const sheet = await importText('TITLE,USERS,COLOR,OWNER,ENTITY_TYPE,ENTITY_ID,Note\nHello,"1, 2",RED,3,T,1,n\n,a@b.ru,,,,,\n')
    const [a, b] = sheet.allRows()
    for (const o of [a!, a!.params, a!.cells, b!, b!.params, b!.cells]) expect(Object.getPrototypeOf(o)).toBe(Object.prototype)
    expect(Object.keys(a!)).toEqual(['key', 'line', 'cells', 'status', 'params', 'emails', 'titlePreview', 'titleGenerated', 'titleKind', 'colorAuto', 'problems', 'owner', 'color', 'fileLine'])
    expect(Object.keys(b!)).toEqual(['key', 'line', 'cells', 'status', 'params', 'emails', 'titlePreview', 'titleGenerated', 'titleKind', 'colorAuto', 'problems', 'fileLine'])
    expect(a!.params).toStrictEqual({ USERS: [1, 2, 3], TYPE: 'CHAT', TITLE: 'Hello', COLOR: 'RED', ENTITY_TYPE: 'T', ENTITY_ID: '1' })
    expect(Object.keys(a!.params)).toEqual(['USERS', 'TYPE', 'TITLE', 'COLOR', 'ENTITY_TYPE', 'ENTITY_ID'])
    expect(b!.params).toStrictEqual({ TYPE: 'CHAT' })
    expect(a!.cells).toStrictEqual({ TITLE: 'Hello', USERS: '1, 2', COLOR: 'RED', OWNER: '3', ENTITY_TYPE: 'T', ENTITY_ID: '1', Note: 'n' })
    expect(Object.keys(a!.cells)).toEqual(['TITLE', 'USERS', 'COLOR', 'OWNER', 'ENTITY_TYPE', 'ENTITY_ID', 'Note'])
    expect(a!.key).toBe('r1')
    expect(b!.key).toBe('r2')
    // A row object takes new keys like any object (the avatar and the live dry run add theirs).
    Object.assign(a!, { avatar: undefined })
    expect(Object.keys(a!)).toContain('avatar')
  })

  it('rows without problems share one frozen empty list; adding a problem gives the row its own list', async () => {
    const sheet = await importText('TITLE,USERS,ENTITY_TYPE,ENTITY_ID\nA,1,T,1\nB,2,,\nC,3,T,1\n')
    const [a, b, c] = sheet.allRows()
    expect(b!.problems).toBe(NO_PROBLEMS)
    expect(Object.isFrozen(b!.problems)).toBe(true)
    expect(a!.problems.map((p) => p.code)).toEqual(['ENTITY_PAIR_DUPLICATE'])
    expect(c!.problems).not.toBe(a!.problems)
    withProblem(b!, makeProblem('ROW', 'ROW_DUPLICATE', { other: '9' }))
    expect(b!.problems.map((p) => p.code)).toEqual(['ROW_DUPLICATE'])
    expect(b!.status).toBe('warning')
    expect(NO_PROBLEMS).toHaveLength(0)
  })

  it('sameHash groups exactly the rows whose hashes are equal (open addressing against a Map)', () => {
    const reference = (hashes: number[]): number[][] => {
      const m = new Map<number, number[]>()
      hashes.forEach((h, i) => h >= 0 && m.set(h, [...(m.get(h) ?? []), i]))
      return [...m.values()].filter((g) => g.length > 1)
    }
    const norm = (groups: number[][]): string[] => groups.map((g) => g.slice().sort((a, b) => a - b).join(',')).sort()
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 0x7fffffff })), { maxLength: 300 }), (hashes) => {
        expect(norm(sameHash(Int32Array.from(hashes)))).toEqual(norm(reference(hashes)))
      }),
      { numRuns: 300, seed: 7 },
    )
    // Multiples of 16 all start at slot 0 of the 16-slot table: equal ones are grouped, the others probe on.
    expect(sameHash(Int32Array.from([0, 16, 32, 0, 48, 16]))).toEqual([[0, 3], [1, 5]])
  })

  it('the verdict of a record (status, problems, hashes) is what its built row says; the import\'s check says the same', () => {
    const plan = compilePlan({ TITLE: 0, USERS: 1, OWNER: 2, ENTITY_TYPE: 3, ENTITY_ID: 4, COLOR: 5 })
    const cell = fc.oneof(fc.constant(''), fc.constant(' '), fc.constantFrom('7', '12, 7', 'a@b.ru', 'A@B.ru, 3', 'x', 'CRM', 'DEAL|5', 'RED', 'Заголовок', '  t  '), fc.string({ maxLength: 12 }))
    // A record with many members checked before each one: the scratch lists then hold stale entries past the counts.
    const stale = ['t', `${Array.from({ length: 40 }, (_, i) => i + 1).join(',')}, a@b.ru, q@q.ru`, '12', '', '', '']
    const same = (fields: string[]): void => {
      const v = validateRecord(fields, plan, null)
      const verdict = { status: v.status, problems: v.problems, dup: v.dup, pair: v.pair }
      const row = buildRow('r1', 2, {}, fields, plan, null, {})
      expect(verdict).toEqual({ status: row.status, problems: row.problems, dup: dupHashOf(row), pair: pairHashOf(row) })
      checkRecord(stale, plan, null)
      const c = checkRecord(fields, plan, null)
      expect({ status: c.status, problems: c.problems, dup: c.dup, pair: c.pair }, fields.join('|')).toEqual(verdict)
    }
    // The owner among the members or not, by id and by e-mail (any case).
    // The same e-mail written plain and in other forms (upper case, mailto:) counts once.
    for (const [users, owner] of [['7, 12', '7'], ['7', '12'], ['a@b.ru', 'A@B.ru'], ['a@b.ru, 3', 'c@d.ru'], ['', 'a@b.ru'], ['', '7'], ['u1@x.ru, U1@x.ru, mailto:u1@x.ru, u2@x.ru', 'U2@X.RU']]) same(['t', users!, owner!, '', '', ''])
    fc.assert(
      fc.property(fc.array(cell, { minLength: 6, maxLength: 6 }), same),
      { numRuns: 500, seed: 3 },
    )
  })

  it('tiny parse chunks (cells cut from slices of the text) give exactly the rows of one big chunk', async () => {
    const text = 'TITLE,USERS,DESCRIPTION\n' + Array.from({ length: 40 }, (_, i) => `T${i},"${i + 1}, x${i}@y.ru","multi\nline ""${i}"""\n`).join('') + 'last,"5'
    const big = await importText(text)
    for (const chunkChars of [1, 7, 64]) expect((await importText(text, { chunkChars })).allRows()).toStrictEqual(big.allRows())
  })
})
