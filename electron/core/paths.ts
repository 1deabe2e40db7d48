import { homedir } from 'node:os'
import { join } from 'node:path'

/** The app's folder name under the per-user config folder (the same one Electron's userData uses). */
export const APP_DIR_NAME = 'b24-chat-admin'

/**
 * The per-user data folder shared by the desktop app and the CLI:
 * Windows %APPDATA%\b24-chat-admin, macOS ~/Library/Application Support/b24-chat-admin,
 * Linux $XDG_CONFIG_HOME/b24-chat-admin (default ~/.config/b24-chat-admin).
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_DIR_NAME)
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_DIR_NAME)
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), APP_DIR_NAME)
}
