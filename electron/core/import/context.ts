/** What an imported sheet needs to re-validate an edited row later: kept beside the sheet, never serialised. */
import type { ImportedSheet } from '../../shared/sheet'
import type { AvatarResult } from './avatar'
import { DEFAULT_AVATAR_EDGE } from './avatar'

export interface ImportContext {
  readFile?: (path: string) => Promise<Uint8Array>
  maxEdge: number
  colorsEnabled: boolean
  /** Cell value (or resolved path) → prepared avatar, shared by rows that use the same image. */
  avatars: Map<string, Promise<AvatarResult>>
}

const contexts = new WeakMap<ImportedSheet, ImportContext>()

/** The context of a sheet imported in this process, or defaults for one that came from elsewhere. */
export function contextOf(sheet: ImportedSheet): ImportContext {
  let ctx = contexts.get(sheet)
  if (!ctx) {
    ctx = { maxEdge: DEFAULT_AVATAR_EDGE, colorsEnabled: true, avatars: new Map() }
    contexts.set(sheet, ctx)
  }
  return ctx
}

export function setContext(sheet: ImportedSheet, ctx: ImportContext): void {
  contexts.set(sheet, ctx)
}
