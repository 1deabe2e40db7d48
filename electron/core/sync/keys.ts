/**
 * Idempotency keys (notes §8, issue item 5). im.chat.add has no uniqueness check, so every row that can be
 * resolved carries an entity pair: the row's own ENTITY_TYPE/ENTITY_ID when it has both, otherwise — when the
 * profile's `dedupeTagging` is on — a tool-specific pair whose type is not Bitrix-owned.
 */
import { createHash } from 'node:crypto'
import { LIMITS } from '../../shared/chat'
import type { ChatParams } from '../../shared/chat'

/** The tool's own ENTITY_TYPE: not one of Bitrix's (VIDEOCONF, CRM, SONET_GROUP, TASKS …). */
export const TOOL_ENTITY_TYPE = 'B24CHATADMIN'

export interface EntityKey {
  entityType: string
  entityId: string
  /** True when the pair came from the row itself (the sheet's own ENTITY_TYPE/ENTITY_ID). */
  own: boolean
}

export function toolEntityId(jobId: string, rowKey: string): string {
  const id = `${jobId}:${rowKey}`
  if (id.length <= LIMITS.ENTITY_ID) return id
  return `${jobId.slice(0, 100)}:${createHash('sha256').update(rowKey).digest('hex')}`
}

/** The pair that identifies this row's chat on the portal, or null when the outcome cannot be resolved. */
export function entityKeyFor(jobId: string, rowKey: string, params: ChatParams, dedupeTagging: boolean): EntityKey | null {
  const t = params.ENTITY_TYPE?.trim()
  const i = params.ENTITY_ID?.trim()
  if (t && i) return { entityType: t, entityId: i, own: true }
  // A row with only half a pair keeps it as it is: the tool does not overwrite the sheet's own data.
  if (t || i) return null
  if (!dedupeTagging) return null
  return { entityType: TOOL_ENTITY_TYPE, entityId: toolEntityId(jobId, rowKey), own: false }
}
