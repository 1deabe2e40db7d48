import { describe, expect, it } from 'vitest'
import { copyIdentity, differingFields, entityIdFor, fieldHashes, normaliseTitle, rowIdentities } from '../../../electron/core/sync/identity'
import { entityKeyFor, TOOL_ENTITY_TYPE } from '../../../electron/core/sync/keys'
import { row } from './rows'

describe('row identity', () => {
  it('is the normalised title and its occurrence among same-titled rows, whatever the job, order of others or file', () => {
    expect(normaliseTitle('  Sales\u00a0—  North-West ')).toBe('sales — north-west')
    expect(normaliseTitle('ＳＡＬＥＳ')).toBe('sales')
    const a = rowIdentities([row(0, { TITLE: 'Support' }), row(1, { TITLE: 'Sales' }), row(2, { TITLE: ' support ' })])
    expect(a).toEqual(['title:support#0', 'title:sales#0', 'title:support#1'])
    // another file: rows moved, one added above — the same chats keep their identities
    const b = rowIdentities([row(9, { TITLE: 'New' }), row(8, { TITLE: 'Sales' }), row(7, { TITLE: 'SUPPORT' }), row(6, { TITLE: 'Support' })])
    expect(b.slice(1)).toEqual(['title:sales#0', 'title:support#0', 'title:support#1'])
  })

  it('rows with their own entity pair are named by the pair; rows without a title by what defines them', () => {
    const ids = rowIdentities([
      row(0, { TITLE: 'Deal', ENTITY_TYPE: 'CRM', ENTITY_ID: 'DEAL|1' }),
      { params: { USERS: [3, 2], TYPE: 'OPEN' }, emails: ['B@x.io'] },
      { params: { USERS: [2, 3], TYPE: 'OPEN' }, emails: ['b@x.io'] },
      { params: { USERS: [2, 3], TYPE: 'CHAT' }, emails: ['b@x.io'] },
    ])
    expect(ids[0]).toBe('pair:CRM\u0000DEAL|1')
    expect(ids[1]).toMatch(/^content:[0-9a-f]{24}#0$/)
    expect(ids[2]).toBe(ids[1]!.replace(/#0$/, '#1')) // the same members in another order: the same content
    expect(ids[3]!.split('#')[0]).not.toBe(ids[1]!.split('#')[0])
  })

  it('is tagged as B24CHATADMIN + a short id of the identity (fits 255 whatever the title); a copy has its own', () => {
    const long = `title:${'x'.repeat(5000)}#0`
    expect(entityIdFor(long)).toMatch(/^c1-[0-9a-f]{40}$/)
    expect(entityIdFor(copyIdentity(long, 'j1'))).not.toBe(entityIdFor(long))
    expect(entityKeyFor({ identity: 'title:a#0' }, {}, true)).toEqual({ entityType: TOOL_ENTITY_TYPE, entityId: entityIdFor('title:a#0'), own: false })
    expect(entityKeyFor({ identity: 'title:a#0' }, {}, false)).toBeNull()
    expect(entityKeyFor({ identity: 'x' }, { ENTITY_TYPE: 'CRM' }, true)).toBeNull() // half a pair is kept as it is, untagged
    expect(entityKeyFor({ jobId: 'j1', rowKey: 'r1' }, {}, true)).toEqual({ entityType: TOOL_ENTITY_TYPE, entityId: 'j1:r1', own: false })
  })

  it('field hashes say which values differ from what was sent (members by the sheet’s own ids and e-mails)', () => {
    const sent = fieldHashes({ params: { TITLE: 'Team', USERS: [2, 7], DESCRIPTION: 'x' }, emails: ['ann@x.io'], live: { addedUsers: [7] } })
    expect(differingFields(sent, fieldHashes({ params: { TITLE: ' team ', USERS: [2], DESCRIPTION: 'x' }, emails: ['ANN@x.io'] }))).toEqual([])
    expect(differingFields(sent, fieldHashes({ params: { TITLE: 'Team', USERS: [2], DESCRIPTION: 'y', COLOR: 'RED' }, emails: ['ann@x.io'] }))).toEqual(['DESCRIPTION', 'COLOR'])
    expect(differingFields(undefined, sent)).toEqual([])
  })
})
