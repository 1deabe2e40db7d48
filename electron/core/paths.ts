import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'

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

/** The file in the default data folder that points the app and the CLI at another data folder (Settings). */
export const LOCATION_FILE = 'location.json'

/**
 * Where the app and the CLI keep their data: B24CHAT_DATA_DIR when set, else the folder chosen in Settings
 * (recorded in <default>/location.json), else the default per-user folder.
 */
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.B24CHAT_DATA_DIR) return env.B24CHAT_DATA_DIR
  const base = defaultDataDir(env, platform)
  try {
    const chosen = (JSON.parse(readFileSync(join(base, LOCATION_FILE), 'utf8')) as { dataDir?: unknown }).dataDir
    if (typeof chosen === 'string' && isAbsolute(chosen)) return chosen
  } catch {
    // no pointer (or an unreadable one): the default folder
  }
  return base
}
