/** The format hint shown under the entity fields of the Compose screen (presentation only; the backend validates). */
import { LIMITS } from '../../electron/shared/chat'

export interface EntityHint {
  key: string
  params?: Record<string, unknown>
  level: 'info' | 'warning'
  /** A sample entity id for the id input's placeholder. */
  sample?: string
}

export function entityHint(entityType: string): EntityHint {
  const type = entityType.trim().toUpperCase()
  if (!type) return { key: 'compose.hint.none', level: 'info' }
  if (type === 'CRM') return { key: 'compose.hint.crm', params: { example: 'DEAL|1663' }, level: 'info', sample: 'DEAL|1663' }
  if (type.startsWith('DYNAMIC')) return { key: 'compose.hint.dynamic', params: { example: 'DYNAMIC_<type>|<id>, e.g. DYNAMIC_128|42' }, level: 'info', sample: 'DYNAMIC_128|42' }
  if (type === 'TASKS' || type === 'TASK') return { key: 'compose.hint.tasks', params: { example: '1663' }, level: 'info', sample: '1663' }
  if (type === 'SONET_GROUP') return { key: 'compose.hint.sonet', level: 'warning' }
  return { key: 'compose.hint.custom', params: { max: LIMITS.ENTITY_ID }, level: 'info' }
}

/** Quick picks offered next to the entity type input. */
export const ENTITY_TYPE_PICKS = ['CRM', 'TASKS', 'DYNAMIC_128'] as const
