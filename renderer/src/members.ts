/**
 * A row's members as the UI lists them (pure): each member once — the sheet's ids (with names after a portal
 * check) and its e-mails (pending until the check; then the user found, or not found). Ids that the check added
 * for resolved e-mails are not listed a second time.
 */
import type { SheetRow } from '../../electron/shared/sheet'

export type Member =
  | { kind: 'id'; id: number; name?: string }
  | { kind: 'email'; email: string; state: 'pending' }
  | { kind: 'email'; email: string; state: 'resolved'; id: number; name?: string }
  | { kind: 'email'; email: string; state: 'unknown' }

export function membersOf(row: Pick<SheetRow, 'params' | 'emails' | 'live'>): Member[] {
  const live = row.live
  const added = new Set(live?.addedUsers ?? [])
  const out: Member[] = []
  for (const id of row.params.USERS ?? []) {
    if (added.has(id)) continue
    const name = live?.names[id]
    out.push(name ? { kind: 'id', id, name } : { kind: 'id', id })
  }
  const ids = new Set(out.map((m) => (m.kind === 'id' ? m.id : -1)))
  for (const email of row.emails) {
    if (!live || !(email in live.resolved)) {
      out.push({ kind: 'email', email, state: 'pending' })
      continue
    }
    const id = live.resolved[email]
    if (id == null) out.push({ kind: 'email', email, state: 'unknown' })
    else if (!ids.has(id)) {
      ids.add(id)
      const name = live.names[id]
      out.push(name ? { kind: 'email', email, state: 'resolved', id, name } : { kind: 'email', email, state: 'resolved', id })
    }
  }
  return out
}
