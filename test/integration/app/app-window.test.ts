import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { osProcessProbe } from '../../../electron/core/sync/lock'
import { launchPage, openAppWindow, pickBrowser } from '../../../electron/web/app-window'
import type { AppWindow } from '../../../electron/web/app-window'
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

/** Opens a window that is closed when the test ends, also when an expectation fails first (no stray browser). */
async function open(...args: Parameters<typeof openAppWindow>): Promise<AppWindow> {
  const w = await openAppWindow(...args)
  onTestFinished(() => w.close())
  return w
}

async function started(profile: string): Promise<{ main: number; helper: number }> {
  await vi.waitFor(() => expect(existsSync(join(profile, 'main.pid')) && existsSync(join(profile, 'helper.pid'))).toBe(true), { timeout: 5000, interval: 25 })
  return { main: Number(readFileSync(join(profile, 'main.pid'), 'utf8')), helper: Number(readFileSync(join(profile, 'helper.pid'), 'utf8')) }
}

describe('browser mode: the app window', () => {
  it('opens the URL as an app window on a profile of its own; close() ends the browser and its helpers and removes the profile', async () => {
    const w = await open(fakeBrowser(), 'http://127.0.0.1:1/#token=SECRET-TOKEN')
    const pids = await started(w.profile)
    const launch = join(w.profile, 'open.html')
    // The command line (readable by every user of the machine) names the launch page, never the token.
    const argv = readFileSync(join(w.profile, 'args'), 'utf8')
    expect(argv.split('\n')).toEqual([`--app=file://${launch}`, `--user-data-dir=${w.profile}`, '--no-first-run', ''])
    expect(argv).not.toContain('SECRET-TOKEN')
    expect(readFileSync(`/proc/${pids.main}/cmdline`, 'utf8')).not.toContain('SECRET-TOKEN')
    // The launch page holds the address, readable by this user only.
    expect(readFileSync(launch, 'utf8')).toContain('location.replace("http://127.0.0.1:1/#token=SECRET-TOKEN")')
    expect(statSync(launch).mode & 0o777).toBe(0o600)
    expect(statSync(w.profile).mode & 0o777).toBe(0o700)
    expect(w.profile).toMatch(/b24chat-browser-/)
    await w.close()
    await vi.waitFor(() => expect(!osProcessProbe.alive(pids.main) && !osProcessProbe.alive(pids.helper)).toBe(true), { timeout: 5000, interval: 25 })
    expect(existsSync(w.profile)).toBe(false)
    await w.close() // twice is harmless
  })

  it('a browser that ignores SIGTERM is killed after the grace time', async () => {
    const w = await open(fakeBrowser({ ignoreTerm: true }), 'http://127.0.0.1:1/', { graceMs: 200 })
    const pids = await started(w.profile)
    await w.close()
    await vi.waitFor(() => expect(!osProcessProbe.alive(pids.main) && !osProcessProbe.alive(pids.helper)).toBe(true), { timeout: 5000, interval: 25 })
    expect(existsSync(w.profile)).toBe(false)
  })

  it('a browser that cannot start leaves nothing behind', async () => {
    const w = await open(join(tempDir('no-browser-'), 'missing'), 'http://127.0.0.1:1/')
    await w.close()
    expect(existsSync(w.profile)).toBe(false)
  })

  it('the launch page goes to the address and nowhere else, whatever the address holds', () => {
    expect(launchPage('http://127.0.0.1:9/#token=a-b_c')).toContain('<script>location.replace("http://127.0.0.1:9/#token=a-b_c")</script>')
    const hostile = launchPage('http://127.0.0.1:9/#</script><script>alert(1)</script>"')
    expect(hostile.match(/<\/script>/g)).toHaveLength(1)
    expect(hostile).toContain('location.replace("http://127.0.0.1:9/#\\u003c/script>\\u003cscript>alert(1)\\u003c/script>\\"")')
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
