import type { Session, WebContents } from 'electron'
import { describe, expect, it } from 'vitest'
import { denyAllPermissions, hardenWebContents, isAllowedExternal, isAppUrl, isTrustedSender, windowOptions } from '../../../electron/main/window'

describe('hardened window', () => {
  it('sets the hardened web preferences in one place', () => {
    const o = windowOptions('/app/out/preload/index.cjs')
    expect(o.webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    })
  })

  it('opens external links only for https URLs of a configured portal', () => {
    const portals = ['https://acme.bitrix24.com/', 'https://127.0.0.1:8443/']
    expect(isAllowedExternal('https://acme.bitrix24.com/online/?IM_DIALOG=chat12', portals)).toBe(true)
    expect(isAllowedExternal('https://127.0.0.1:8443/online/?IM_DIALOG=chat1', portals)).toBe(true)
    expect(isAllowedExternal('http://acme.bitrix24.com/online/', portals)).toBe(false)
    expect(isAllowedExternal('https://evil.example/online/', portals)).toBe(false)
    expect(isAllowedExternal('https://acme.bitrix24.com.evil.example/', portals)).toBe(false)
    expect(isAllowedExternal('https://user:pw@acme.bitrix24.com/', portals)).toBe(false)
    expect(isAllowedExternal('file:///etc/passwd', portals)).toBe(false)
    expect(isAllowedExternal('javascript:alert(1)', portals)).toBe(false)
  })

  it('recognises only its own page as navigable', () => {
    const appUrl = 'file:///opt/app/out/renderer/index.html'
    expect(isAppUrl('file:///opt/app/out/renderer/index.html#/import', appUrl)).toBe(true)
    expect(isAppUrl('file:///etc/passwd', appUrl)).toBe(false)
    expect(isAppUrl('https://evil.example/', appUrl)).toBe(false)
    expect(isAppUrl('http://localhost:5173/x', 'http://localhost:5173')).toBe(true)
    expect(isAppUrl('http://localhost:51730/', 'http://localhost:5173')).toBe(false)
  })

  it('trusts an IPC sender only when it is the main window showing our own page', () => {
    const appUrl = 'file:///opt/app/out/renderer/index.html'
    const main = { id: 'main' }
    const other = { id: 'other' }
    expect(isTrustedSender({ window: main, frameUrl: `${appUrl}#/import` }, main, appUrl)).toBe(true)
    // Another window of ours (or a popup), even showing our page: refused.
    expect(isTrustedSender({ window: other, frameUrl: appUrl }, main, appUrl)).toBe(false)
    // Our window, but the frame shows something else (an iframe, a page navigated away): refused.
    expect(isTrustedSender({ window: main, frameUrl: 'https://evil.example/' }, main, appUrl)).toBe(false)
    expect(isTrustedSender({ window: main, frameUrl: 'file:///etc/passwd' }, main, appUrl)).toBe(false)
    // No window (web contents without one), no frame (destroyed), or no main window yet: refused.
    expect(isTrustedSender({ window: null, frameUrl: appUrl }, main, appUrl)).toBe(false)
    expect(isTrustedSender({ window: null, frameUrl: appUrl }, null, appUrl)).toBe(false)
    expect(isTrustedSender({ window: main, frameUrl: null }, main, appUrl)).toBe(false)
    expect(isTrustedSender({ window: main, frameUrl: undefined }, main, appUrl)).toBe(false)
    // The dev server: same origin and path prefix only.
    expect(isTrustedSender({ window: main, frameUrl: 'http://localhost:5173/#/x' }, main, 'http://localhost:5173')).toBe(true)
    expect(isTrustedSender({ window: main, frameUrl: 'http://localhost:51730/' }, main, 'http://localhost:5173')).toBe(false)
  })

  it('denies window.open, navigation away, webviews and every permission request', () => {
    const handlers: Record<string, (...a: unknown[]) => void> = {}
    let openHandler: ((d: { url: string }) => { action: string }) | undefined
    const opened: string[] = []
    const wc = {
      setWindowOpenHandler: (h: typeof openHandler) => (openHandler = h),
      on: (name: string, h: (...a: unknown[]) => void) => (handlers[name] = h),
    } as unknown as WebContents
    hardenWebContents(wc, { appUrl: 'file:///app/index.html', allowedPortals: () => ['https://acme.bitrix24.com/'], openExternal: async (u) => void opened.push(u) })
    expect(openHandler!({ url: 'https://acme.bitrix24.com/online/?IM_DIALOG=chat5' })).toEqual({ action: 'deny' })
    expect(openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' })
    expect(opened).toEqual(['https://acme.bitrix24.com/online/?IM_DIALOG=chat5'])
    for (const ev of ['will-navigate', 'will-redirect']) {
      let prevented = false
      handlers[ev]!({ preventDefault: () => (prevented = true) }, 'https://evil.example/')
      expect(prevented).toBe(true)
      prevented = false
      handlers[ev]!({ preventDefault: () => (prevented = true) }, 'file:///app/index.html#/x')
      expect(prevented).toBe(false)
    }
    let webviewPrevented = false
    handlers['will-attach-webview']!({ preventDefault: () => (webviewPrevented = true) })
    expect(webviewPrevented).toBe(true)

    let requestHandler: ((wc: unknown, p: string, cb: (granted: boolean) => void) => void) | undefined
    let checkHandler: (() => boolean) | undefined
    denyAllPermissions({ setPermissionRequestHandler: (h: typeof requestHandler) => (requestHandler = h), setPermissionCheckHandler: (h: typeof checkHandler) => (checkHandler = h) } as unknown as Session)
    const answers: boolean[] = []
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read']) requestHandler!(null, p, (g) => answers.push(g))
    expect(answers).toEqual([false, false, false, false])
    expect(checkHandler!()).toBe(false)
  })
})
