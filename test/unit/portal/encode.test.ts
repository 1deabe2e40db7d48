import { describe, expect, it } from 'vitest'
import { batchCommand, phpQuery } from '../../../electron/core/portal/encode'
import { parseQuery } from '../sync/fake-portal'

describe('batch command encoding', () => {
  it('keeps base64 "+" and "/" intact through a PHP parse_str round trip', () => {
    const avatar = 'iVBORw0KGgo+AAAA/NSUhEUg==+'
    const cmd = batchCommand('im.chat.add', { TITLE: 'A & B = C+D', AVATAR: avatar })
    expect(cmd).not.toMatch(/[^%]\+/)
    const parsed = parseQuery(cmd.slice(cmd.indexOf('?') + 1))
    expect(parsed.AVATAR).toBe(avatar)
    expect(parsed.TITLE).toBe('A & B = C+D')
  })

  it('writes arrays and nested filters in PHP bracket syntax', () => {
    const q = phpQuery({ USERS: [3, 5], FILTER: { EMAIL: 'a@b.c', ACTIVE: true } })
    expect(parseQuery(q)).toEqual({ USERS: { 0: '3', 1: '5' }, FILTER: { EMAIL: 'a@b.c', ACTIVE: 'Y' } })
  })

  it("encodes RFC 3986 reserved characters (! ' ( ) *) and Cyrillic", () => {
    const q = phpQuery({ TITLE: "Чат (отдел)! it's *" })
    expect(q).not.toMatch(/[!'()*]/)
    expect(parseQuery(q).TITLE).toBe("Чат (отдел)! it's *")
  })
})
