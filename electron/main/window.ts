import { join } from 'node:path'
import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron'

/** The web preferences every window gets (house-style habit 5). Exported so a test can assert them. */
export function hardenedWebPreferences(preloadPath: string): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    preload: preloadPath,
    sandbox: true,
    contextIsolation: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
  }
}

export function windowOptions(preloadPath: string, iconPath?: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'B24 Chat Admin',
    backgroundColor: '#f5f7fa',
    ...(iconPath ? { icon: iconPath } : {}),
    webPreferences: hardenedWebPreferences(preloadPath),
  }
}

/** Only https links to a configured portal may leave the app, and only to the OS browser. */
export function isAllowedExternal(url: string, portals: readonly string[]): boolean {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return false
  }
  if (u.protocol !== 'https:' || u.username || u.password) return false
  return portals.some((p) => {
    try {
      const pu = new URL(p)
      return pu.protocol === 'https:' && pu.origin === u.origin
    } catch {
      return false
    }
  })
}

/** Is this URL our own renderer page (ignoring the #fragment)? `appUrl` is the file URL or the dev server origin. */
export function isAppUrl(url: string, appUrl: string): boolean {
  const strip = (u: string): string => u.split('#')[0] ?? u
  if (/^https?:/.test(appUrl)) return url === appUrl || url.startsWith(appUrl.endsWith('/') ? appUrl : `${appUrl}/`)
  return strip(url) === strip(appUrl)
}

/** What the main process knows about an IPC sender: the window its web contents belong to and its frame's URL. */
export interface SenderInfo {
  window: unknown
  frameUrl: string | null | undefined
}

/**
 * The Electron trust predicate: a call is trusted only when it comes from our main window (not another window,
 * not a destroyed one) and from a frame showing our own renderer page (not an iframe or a page navigated away).
 */
export function isTrustedSender(sender: SenderInfo, mainWindow: unknown, appUrl: string): boolean {
  if (sender.window == null || mainWindow == null || sender.window !== mainWindow) return false
  return typeof sender.frameUrl === 'string' && isAppUrl(sender.frameUrl, appUrl)
}

export interface HardenDeps {
  openExternal: (url: string) => Promise<void>
  allowedPortals: () => readonly string[]
  appUrl: string
}

/** Window-level guards: no new windows, no navigation away, no permissions, external links only to portals. */
export function hardenWebContents(wc: WebContents, deps: HardenDeps): void {
  wc.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternal(url, deps.allowedPortals())) void deps.openExternal(url)
    return { action: 'deny' }
  })
  wc.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, deps.appUrl)) event.preventDefault()
  })
  wc.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, deps.appUrl)) event.preventDefault()
  })
  wc.on('will-attach-webview', (event) => event.preventDefault())
}

export function denyAllPermissions(session: Session): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
}

export const preloadPath = (mainDir: string): string => join(mainDir, '..', 'preload', 'index.cjs')
export const rendererFile = (mainDir: string): string => join(mainDir, '..', 'renderer', 'index.html')
