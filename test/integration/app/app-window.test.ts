import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openAppWindow, pickBrowser } from '../../../electron/web/app-window'
import { tempDir } from '../../helpers/temp'

/** A stand-in for Chromium: records its arguments and pids in its profile, starts a helper process and waits. */
function fakeBrowser(opts: { ignoreTerm?: boolean } = {}): string {
  const file = join(tempDir('fake-browser-'), 'browser')
  writeFileSync(
    file,
    `#!/bin/sh
${opts.ignoreTerm ? "trap '' TERM" : ''}
for a in "$@"; do case "$a" in --user-data-dir=*) d="\${a#--user-data-dir=}";; esac; done
printf '%s\\n' "$@" > "$d/args"
sleep 300 &
echo $! > "$d/helper.pid"
echo $$ > "$d/main.pid"
while :; do sleep 1; done
`,
  )
  chmodSync(file, 0o755)
  return file
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function until(what: () => boolean, label: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (what()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`timed out waiting for ${label}`)
}

async function started(profile: string): Promise<{ main: number; helper: number }> {
  await until(() => existsSync(join(profile, 'main.pid')) && existsSync(join(profile, 'helper.pid')), 'the browser to start')
  return { main: Number(readFileSync(join(profile, 'main.pid'), 'utf8')), helper: Number(readFileSync(join(profile, 'helper.pid'), 'utf8')) }
}

describe('browser mode: the app window', () => {
  it('opens the URL as an app window on a profile of its own; close() ends the browser and its helpers and removes the profile', async () => {
    const w = await openAppWindow(fakeBrowser(), 'http://127.0.0.1:1/#token=x')
    const pids = await started(w.profile)
    expect(readFileSync(join(w.profile, 'args'), 'utf8').split('\n')).toEqual(['--app=http://127.0.0.1:1/#token=x', `--user-data-dir=${w.profile}`, '--no-first-run', ''])
    expect(w.profile).toMatch(/b24chat-browser-/)
    await w.close()
    await until(() => !alive(pids.main) && !alive(pids.helper), 'the browser and its helper to end')
    expect(existsSync(w.profile)).toBe(false)
    await w.close() // twice is harmless
  })

  it('a browser that ignores SIGTERM is killed after the grace time', async () => {
    const w = await openAppWindow(fakeBrowser({ ignoreTerm: true }), 'http://127.0.0.1:1/', { graceMs: 200 })
    const pids = await started(w.profile)
    await w.close()
    await until(() => !alive(pids.main) && !alive(pids.helper), 'the browser and its helper to be killed')
    expect(existsSync(w.profile)).toBe(false)
  })

  it('a browser that cannot start leaves nothing behind', async () => {
    const w = await openAppWindow(join(tempDir('no-browser-'), 'missing'), 'http://127.0.0.1:1/')
    await w.close()
    expect(existsSync(w.profile)).toBe(false)
  })

  it('opens a browser only where there is a display and one is installed, and not with B24CHAT_NO_BROWSER', () => {
    const dir = tempDir('browsers-')
    const installed = join(dir, 'chromium')
    writeFileSync(installed, '')
    const candidates = [join(dir, 'missing'), installed]
    expect(pickBrowser({ DISPLAY: ':0' }, candidates)).toBe(installed)
    expect(pickBrowser({ WAYLAND_DISPLAY: 'wayland-0' }, candidates)).toBe(installed)
    expect(pickBrowser({}, candidates)).toBeNull()
    expect(pickBrowser({ DISPLAY: ':0', B24CHAT_NO_BROWSER: '1' }, candidates)).toBeNull()
    expect(pickBrowser({ DISPLAY: ':0' }, [join(dir, 'missing')])).toBeNull()
  })
})
