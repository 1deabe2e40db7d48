import { describe, expect, it } from 'vitest'
import { addMembersEdits, avatarFolderEdits, emptyHistory, findReplaceEdits, pushBatch, redoStep, setValueEdits, undoStep } from '../../renderer/src/bulk'
import { membersOf } from '../../renderer/src/members'

const rows = [
  { key: 'r1', cells: { Title: 'Sales North', Users: '1, 2', Colour: 'RED', Avatar: 'avatars/a.png' } },
  { key: 'r2', cells: { Title: 'sales south', Users: '', Colour: 'Fuchsia', Avatar: '/abs/b.png' } },
  { key: 'r3', cells: { Title: 'Support', Users: '3; a@b.ru', Colour: '', Avatar: '' } },
]

describe('bulk fixes as edit lists', () => {
  it('set a value: only the rows where it changes', () => {
    expect(setValueEdits(rows, 'Colour', 'RED')).toEqual([
      { rowKey: 'r2', column: 'Colour', value: 'RED' },
      { rowKey: 'r3', column: 'Colour', value: 'RED' },
    ])
  })
  it('add members: appended once, whatever the separators', () => {
    expect(addMembersEdits(rows, 'Users', '2 A@b.ru, 9')).toEqual([
      { rowKey: 'r1', column: 'Users', value: '1, 2, A@b.ru, 9' },
      { rowKey: 'r2', column: 'Users', value: '2, A@b.ru, 9' },
      { rowKey: 'r3', column: 'Users', value: '3; a@b.ru, 2, 9' },
    ])
    expect(addMembersEdits(rows, 'Users', ' , ')).toEqual([])
  })
  it('avatar folder: relative paths only', () => {
    expect(avatarFolderEdits(rows, 'Avatar', '/home/me/pics/')).toEqual([{ rowKey: 'r1', column: 'Avatar', value: '/home/me/pics/avatars/a.png' }])
    expect(avatarFolderEdits(rows, 'Avatar', 'C:\\pics')).toEqual([{ rowKey: 'r1', column: 'Avatar', value: 'C:\\pics\\avatars/a.png' }])
  })
  it('find and replace: case, whole cell, chosen columns', () => {
    expect(findReplaceEdits(rows, ['Title', 'Users', 'Colour', 'Avatar'], { find: 'sales', replace: 'Продажи', columns: [], matchCase: false, wholeCell: false })).toEqual([
      { rowKey: 'r1', column: 'Title', value: 'Продажи North' },
      { rowKey: 'r2', column: 'Title', value: 'Продажи south' },
    ])
    expect(findReplaceEdits(rows, ['Title'], { find: 'sales', replace: 'X', columns: ['Title'], matchCase: true, wholeCell: false })).toEqual([{ rowKey: 'r2', column: 'Title', value: 'X south' }])
    expect(findReplaceEdits(rows, ['Colour'], { find: 'Fuchsia', replace: 'PINK', columns: ['Colour'], matchCase: true, wholeCell: true })).toEqual([{ rowKey: 'r2', column: 'Colour', value: 'PINK' }])
    expect(findReplaceEdits(rows, ['Title'], { find: 'a.b', replace: '', columns: [], matchCase: false, wholeCell: false })).toEqual([])
  })
  it('undo and redo replay batches in order; a new batch clears redo', () => {
    let h = pushBatch(emptyHistory(), { edits: [{ rowKey: 'r1', column: 'C', before: 'a', after: 'b' }, { rowKey: 'r1', column: 'C', before: 'b', after: 'c' }] })
    const u = undoStep(h)!
    expect(u.edits).toEqual([{ rowKey: 'r1', column: 'C', value: 'b' }, { rowKey: 'r1', column: 'C', value: 'a' }])
    h = u.next
    expect(undoStep(h)).toBeNull()
    const r = redoStep(h)!
    expect(r.edits.at(-1)).toEqual({ rowKey: 'r1', column: 'C', value: 'c' })
    h = pushBatch(u.next, { edits: [] })
    expect(redoStep(h)).toBeNull()
  })
})

describe('members shown once each', () => {
  it('after a portal check, a resolved e-mail is listed once, with its name', () => {
    const row = { params: { USERS: [4, 7, 9] }, emails: ['olga@x.ru', 'nobody@x.ru'], live: { resolved: { 'olga@x.ru': 7, 'nobody@x.ru': null }, names: { 4: 'Anna', 7: 'Olga' }, addedUsers: [7] } }
    expect(membersOf(row)).toEqual([
      { kind: 'id', id: 4, name: 'Anna' },
      { kind: 'id', id: 9 },
      { kind: 'email', email: 'olga@x.ru', state: 'resolved', id: 7, name: 'Olga' },
      { kind: 'email', email: 'nobody@x.ru', state: 'unknown' },
    ])
  })
  it('before it, e-mails are pending (to be resolved), never dropped', () => {
    expect(membersOf({ params: { USERS: [1] }, emails: ['a@b.ru'] })).toEqual([{ kind: 'id', id: 1 }, { kind: 'email', email: 'a@b.ru', state: 'pending' }])
  })
})
