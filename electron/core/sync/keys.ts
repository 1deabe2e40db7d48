/**
 * Idempotency keys (notes §8). im.chat.add has no uniqueness check, so every row that can be looked up carries an
 * entity pair: the row's own ENTITY_TYPE/ENTITY_ID when it has both, otherwise — when the profile's
 * `dedupeTagging` is on — the tool's pair: ENTITY_TYPE `B24CHATADMIN` and an ENTITY_ID derived from the row's
 * identity (identity.ts), the same in every job, data folder and computer. Jobs written before identities
 * (job.json version 1) keep their `jobId:rowKey` ids, so their rows in flight still resolve.
 */
import { createHash } from 'node:crypto'
import { LIMITS } from '../../shared/chat'
import type { ChatParams } from '../../shared/chat'
import { entityIdFor } from './identity'

/** The tool's own ENTITY_TYPE: not one of Bitrix's (VIDEOCONF, CRM, SONET_GROUP, TASKS …). */
export const TOOL_ENTITY_TYPE = 'B24CHATADMIN'

export interface EntityKey {
  entityType: string
  entityId: string
  /** True when the pair came from the row itself (the sheet's own ENTITY_TYPE/ENTITY_ID). */
  own: boolean
}

/** The version-1 tag (`jobId:rowKey`), read for rows of jobs created before identities. */
export function toolEntityId(jobId: string, rowKey: string): string {
  const id = `${jobId}:${rowKey}`
  if (id.length <= LIMITS.ENTITY_ID) return id
  return `${jobId.slice(0, 100)}:${createHash('sha256').update(rowKey).digest('hex')}`
}

/** Where the tool's own tag comes from: a row identity, or (version-1 jobs) the job id and row key. */
export type TagSource = { identity: string } | { jobId: string; rowKey: string }

/** The pair that identifies this row's chat on the portal, or null when the outcome cannot be resolved. */
export function entityKeyFor(tag: TagSource, params: ChatParams, dedupeTagging: boolean): EntityKey | null {
  const t = params.ENTITY_TYPE?.trim()
  const i = params.ENTITY_ID?.trim()
  if (t && i) return { entityType: t, entityId: i, own: true }
  // A row with only half a pair keeps it as it is: the tool does not overwrite the sheet's own data.
  if (t || i) return null
  if (!dedupeTagging) return null
  const entityId = 'identity' in tag ? entityIdFor(tag.identity) : toolEntityId(tag.jobId, tag.rowKey)
  return { entityType: TOOL_ENTITY_TYPE, entityId, own: false }
}
