import { describe, expect, it } from 'vitest'
import { PhpArray, encodeJson, parseQuery, phpBool, phpValues, rawurlencode, urldecode } from '../../../electron/sandbox/php'

describe('PHP parse_str', () => {
  it('decodes + as a space and %XX as UTF-8 bytes', () => {
    expect(urldecode('a+b%20c')).toBe('a b c')
    expect(urldecode('%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82')).toBe('Привет')
    expect(urldecode('100%')).toBe('100%')
    expect(urldecode('%zz')).toBe('%zz')
  })

  it('turns + in base64 into spaces unless it is sent as %2B', () => {
    expect(parseQuery('AVATAR=ab+c/d==').AVATAR).toBe('ab c/d==')
    expect(parseQuery(`AVATAR=${rawurlencode('ab+c/d==')}`).AVATAR).toBe('ab+c/d==')
  })

  it('builds nested arrays from brackets and appends on []', () => {
    const p = parseQuery('USERS[]=1&USERS[]=2&FILTER[EMAIL]=a%40b.c&FILTER[ACTIVE]=Y&a[b][c][]=x&a[b][c][]=y')
    expect(p).toEqual({ USERS: { 0: '1', 1: '2' }, FILTER: { EMAIL: 'a@b.c', ACTIVE: 'Y' }, a: { b: { c: { 0: 'x', 1: 'y' } } } })
  })

  it('continues [] after the largest integer key', () => {
    expect(parseQuery('a[5]=x&a[]=y&a[k]=z&a[]=w')).toEqual({ a: { 5: 'x', 6: 'y', k: 'z', 7: 'w' } })
  })

  it('replaces dots and spaces in the base name, keeps the last duplicate, ignores empty names', () => {
    expect(parseQuery('a.b=1&c d=2&x=1&x=2&=5&[y]=3')).toEqual({ a_b: '1', c_d: '2', x: '2' })
  })

  it('treats an unmatched first [ as _ and ignores text after a malformed index', () => {
    expect(parseQuery('a[b=1')).toEqual({ a_b: '1' })
    expect(parseQuery('a[b]c=1')).toEqual({ a: { b: '1' } })
  })

  it('overwrites a scalar with an array and vice versa', () => {
    expect(parseQuery('a=1&a[]=2')).toEqual({ a: { 0: '2' } })
    expect(parseQuery('a[]=2&a=1')).toEqual({ a: '1' })
  })

  it('reads flags and PHP arrays the way Bitrix does', () => {
    expect([phpBool('Y'), phpBool('true'), phpBool(1), phpBool('N'), phpBool('0'), phpBool(undefined)]).toEqual([true, true, true, false, false, false])
    expect(phpValues({ 0: 'a', 1: 'b' })).toEqual(['a', 'b'])
    expect(phpValues('x')).toBeNull()
  })
})

describe('json_encode list/object rule', () => {
  it('encodes an empty array as [] and 0..n-1 keys as a list', () => {
    const empty = new PhpArray()
    const list = new PhpArray()
    list.set('0', 'a')
    list.set('1', 'b')
    expect(encodeJson({ e: empty, l: list })).toBe('{"e":[],"l":["a","b"]}')
  })

  it('encodes gaps and string keys as an object in insertion order', () => {
    const gap = new PhpArray()
    gap.set('0', 1)
    gap.set('2', 3)
    const named = new PhpArray()
    named.set('z', 1)
    named.set('0', 2)
    expect(encodeJson(gap)).toBe('{"0":1,"2":3}')
    expect(encodeJson(named)).toBe('{"z":1,"0":2}')
  })

  it('matches JSON.stringify for ordinary values', () => {
    const v = { a: [1, 'x', null, { b: true }], c: 'ü"\\' }
    expect(encodeJson(v)).toBe(JSON.stringify(v))
  })
})
