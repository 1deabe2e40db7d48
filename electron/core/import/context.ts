/** What an imported sheet needs to re-validate a row later: kept beside the sheet, never serialised. */
import type { AvatarResult } from './avatar'

export interface ImportContext {
  readFile?: (path: string) => Promise<Uint8Array>
  maxEdge: number
  colorsEnabled: boolean
  /** Cell value (or resolved path) → prepared avatar, shared by rows that use the same image. */
  avatars: Map<string, Promise<AvatarResult>>
}
