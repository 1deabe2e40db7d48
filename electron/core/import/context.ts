/** What an imported sheet needs to re-validate a row later: kept beside the sheet, never serialised. */
import type { AvatarResult } from './avatar'

export interface ImportContext {
  readFile?: (path: string) => Promise<Uint8Array>
  maxEdge: number
  colorsEnabled: boolean
  /** Cell value (or resolved path) → prepared avatar, shared by rows that use the same image. */
  avatars: Map<string, Promise<AvatarResult>>
  /** Folder relative avatar paths resolve against (the picked avatar folder, else the sheet's folder). */
  avatarBase?: string
  /** Folders avatar files may come from: the sheet's folder, the picked avatar folder, the folders allowed. */
  avatarRoots: string[]
  /** Row index → the folder outside `avatarRoots` its avatar points to (what the app asks the user to allow). */
  outside: Map<number, string>
  /** Rows whose relative avatar path had no folder to resolve against. */
  noFolder: Set<number>
}
