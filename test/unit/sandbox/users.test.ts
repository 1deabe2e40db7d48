import { describe, expect, it } from 'vitest'
import { makeDirectory, queryUsers } from '../../../electron/sandbox/users'

const dir = makeDirectory(200)

describe('directory', () => {
  it('has user<n>@sandbox.test, dismisses multiples of 50 and mixes Latin and Cyrillic names', () => {
    expect(dir.size).toBe(200)
    expect(dir.get(7)?.email).toBe('user7@sandbox.test')
    expect([50, 100, 150, 200].every((id) => dir.get(id)?.active === false)).toBe(true)
    expect([...dir.values()].filter((u) => !u.active)).toHaveLength(4)
    expect(dir.get(1)?.admin).toBe(true)
    const names = [...dir.values()].map((u) => u.name)
    expect(names.some((n) => /[А-Яа-я]/.test(n))).toBe(true)
    expect(names.some((n) => /^[A-Za-z]+$/.test(n))).toBe(true)
  })
})

describe('user.get filter and paging', () => {
  it('finds by e-mail (case-insensitive) and excludes dismissed users with ACTIVE', () => {
    expect(queryUsers(dir, { FILTER: { EMAIL: 'USER7@sandbox.test' } }, 'full').result.map((u) => u.ID)).toEqual(['7'])
    expect(queryUsers(dir, { FILTER: { EMAIL: 'user50@sandbox.test', ACTIVE: true } }, 'full').result).toEqual([])
    expect(queryUsers(dir, { EMAIL: 'user50@sandbox.test' }, 'full').result.map((u) => u.ACTIVE)).toEqual([false])
  })

  it('supports @ (IN), !, >=, % operators', () => {
    const ids = (p: Record<string, unknown>): unknown[] => queryUsers(dir, p, 'full').result.map((u) => u.ID)
    expect(ids({ FILTER: { '@EMAIL': ['user3@sandbox.test', 'user4@sandbox.test', 'nobody@x'] } })).toEqual(['3', '4'])
    expect(ids({ FILTER: { '>=ID': 198 } })).toEqual(['198', '199', '200'])
    expect(ids({ FILTER: { '>=ID': 198, '!ID': 199 } })).toEqual(['198', '200'])
    expect(ids({ FILTER: { '%EMAIL': 'user19' } })).toEqual(['19', ...Array.from({ length: 10 }, (_, i) => String(190 + i))])
  })

  it('pages by 50 with total and next; start=-1 drops the count', () => {
    const p1 = queryUsers(dir, {}, 'full')
    expect(p1.result).toHaveLength(50)
    expect(p1.total).toBe(200)
    expect(p1.next).toBe(50)
    const last = queryUsers(dir, { start: 150 }, 'full')
    expect(last.result[0]?.ID).toBe('151')
    expect(last.next).toBeUndefined()
    const fast = queryUsers(dir, { start: -1 }, 'full')
    expect(fast.total).toBeUndefined()
    expect(fast.next).toBeUndefined()
    expect(fast.result).toHaveLength(50)
  })

  it('hides EMAIL from user_brief callers and cannot be filtered on it', () => {
    const r = queryUsers(dir, { ID: 7 }, 'brief')
    expect(r.result[0]?.EMAIL).toBeUndefined()
    expect(queryUsers(dir, { EMAIL: 'user7@sandbox.test' }, 'brief').result).toEqual([])
  })
})
