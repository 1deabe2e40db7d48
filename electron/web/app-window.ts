/**
 * The browser window of browser mode: an installed Chromium opened as an app window (`--app=…`) on a profile of its
 * own in the temp folder. The address carries the run's token, and a command line is readable by every user of the
 * machine (`ps`, /proc): so the browser is given a launch page inside its profile (a folder only this user can
 * read), which replaces itself with the address — the token never appears in a process list. `close()` — when
 * browser mode stops — ends that browser and removes its profile, so the window does not outlive the server it talks
 * to and no profile (tens of MB) is left in the temp folder per start.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

export const BROWSERS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']

export interface AppWindow {
  /** The browser's profile folder (removed by close). */
  profile: string
  /** Ends the browser (its whole process group) and removes the profile. Safe to call twice. */
  close(): Promise<void>
}

/** The browser to open, when there is one and a display to open it on (and B24CHAT_NO_BROWSER is not set). */
export function pickBrowser(env: NodeJS.ProcessEnv = process.env, candidates: string[] = BROWSERS): string | null {
  if (env.B24CHAT_NO_BROWSER || !(env.DISPLAY || env.WAYLAND_DISPLAY)) return null
  return candidates.find((p) => existsSync(p)) ?? null
}

function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    return false // the group is gone already
  }
}

/** A page that replaces itself with `url` (no history entry), for a browser told to open a file. */
export function launchPage(url: string): string {
  // JSON.stringify makes the address a JS string; "<" escaped so no "</script>" can end the script early.
  const target = JSON.stringify(url).replace(/</g, '\\u003c')
  return `<!doctype html><meta charset="utf-8"><title>B24 Chat Admin</title><script>location.replace(${target})</script>\n`
}

export async function openAppWindow(browser: string, url: string, opts: { graceMs?: number } = {}): Promise<AppWindow> {
  // mkdtemp makes the folder 0700: only this user can read the launch page and the token in it.
  const profile = await mkdtemp(join(tmpdir(), 'b24chat-browser-'))
  const launch = join(profile, 'open.html')
  await writeFile(launch, launchPage(url), { mode: 0o600 })
  // detached: a process group of its own, so close() reaches every helper process Chromium starts.
  const child = spawn(browser, [`--app=${pathToFileURL(launch).href}`, `--user-data-dir=${profile}`, '--no-first-run'], { stdio: 'ignore', detached: true })
  child.on('error', () => {}) // a browser that cannot start leaves only its profile, which close() removes
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  child.unref()
  let closing: Promise<void> | null = null
  return {
    profile,
    close: () =>
      (closing ??= (async () => {
        if (child.pid !== undefined && signalGroup(child.pid, 'SIGTERM')) {
          const grace = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), opts.graceMs ?? 3000).unref())
          if ((await Promise.race([exited.then(() => 'exited' as const), grace])) === 'late') signalGroup(child.pid, 'SIGKILL')
        }
        // Chromium's helpers may still be writing for a moment after the main process ends: retry the removal. A
        // profile that still cannot go (a browser this process cannot end) stays: stopping must not fail on it.
        await rm(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }).catch(() => {})
      })()),
  }
}
