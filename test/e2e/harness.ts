/// <reference lib="dom" />
/**
 * E2E harness: serves the built renderer on 127.0.0.1, drives Debian Chromium with playwright-core, and installs a
 * `window.api` bridge in the page that forwards every call through the REAL gate (core/app/gate.ts: size caps, payload schemas) to the
 * REAL backend (core, sandbox, OS keychain) running in this test process. Only Electron's IPC transport is
 * substituted.
 */
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, normalize, resolve } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { chromium } from 'playwright-core'
import { Backend } from '../../electron/core/app/backend'
import type { BackendDeps, BackendHost } from '../../electron/core/app/backend'
import { KeytarSecretStore } from '../../electron/keychain/keytar-store'
import { createBackendGate, valueReader } from '../../electron/core/app/gate'
import { startSandbox } from '../../electron/sandbox'
import { decodeWire as decode } from '../../electron/web/wire'
import { CHANNEL_NAMES, JOB_EVENT_CHANNEL } from '../../electron/shared/ipc'
import type { JobEvent } from '../../electron/shared/jobs'

const ROOT = resolve(import.meta.dirname, '../..')
const RENDERER = join(ROOT, 'out', 'renderer')
export const SCREENS = join(ROOT, 'test-results', 'screens')

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
]

const MIME: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.woff2': 'font/woff2' }

/** Serves out/renderer on 127.0.0.1 (a static file server; no directory listing, no path escapes). */
async function serveRenderer(): Promise<{ url: string; close: () => Promise<void> }> {
  if (!existsSync(join(RENDERER, 'index.html'))) throw new Error('The renderer is not built: run `npm run build` first.')
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    const file = normalize(join(RENDERER, path === '/' ? 'index.html' : path))
    if (!file.startsWith(RENDERER)) return void res.writeHead(403).end()
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    )
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(() => r())) }
}

/** Runs in the page before any app script: defines window.api exactly like the preload does. */
function bridgeScript({ channels, eventChannel }: { channels: Record<string, string>; eventChannel: string }): void {
  const enc = (v: unknown): unknown => {
    if (v instanceof Uint8Array) {
      let s = ''
      for (let i = 0; i < v.length; i += 0x8000) s += String.fromCharCode(...v.subarray(i, i + 0x8000))
      return { __u8: btoa(s) }
    }
    if (Array.isArray(v)) return v.map(enc)
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, enc(x)]))
    return v
  }
  const w = window as unknown as Record<string, unknown> & { __b24invoke: (c: string, p: string) => Promise<string> }
  const api: Record<string, Record<string, unknown>> = {}
  for (const [path, channel] of Object.entries(channels)) {
    const [ns, fn] = path.split('.') as [string, string]
    api[ns] ??= {}
    api[ns][fn] = async (payload?: unknown) => JSON.parse(await w.__b24invoke(channel, JSON.stringify(payload === undefined ? null : enc(payload))))
  }
  const listeners = new Set<(e: unknown) => void>()
  w.__b24emit = (channel: string, event: unknown) => {
    if (channel === eventChannel) listeners.forEach((l) => l(event))
  }
  api.events = { onJobEvent: (l: (e: unknown) => void) => (listeners.add(l), () => listeners.delete(l)) }
  api.files = { pathForFile: (f: File & { __path?: string }) => f.__path ?? '' }
  Object.defineProperty(window, 'api', { value: Object.freeze(api), writable: false, configurable: false })
}

export interface AppSession {
  page: Page
  backend: Backend
  dataDir: string
  /** The file the next "Open file" dialog returns. */
  nextPick: { path: string | null }
  /** Reloads the page (a fresh renderer on the same backend). */
  reload(): Promise<void>
  screenshot(name: string): Promise<string>
  close(): Promise<void>
}

export interface HarnessOptions {
  dataDir?: string
  /** Keychain service name (unique per test run so real keychain entries never collide). */
  keychainService?: string
  colorScheme?: 'light' | 'dark'
  locale?: string
  viewport?: { width: number; height: number }
  /** im.chat.add median simulated server time of the in-process sandbox (default 20 ms). */
  sandboxLatencyMs?: number
  /** Shorter waits for journeys that lose the portal (backoff, the settle time of a lost answer, batch size). */
  tuning?: BackendDeps['tuning']
}

let browser: Browser | null = null
async function getBrowser(): Promise<Browser> {
  browser ??= await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true })
  return browser
}
export async function closeBrowser(): Promise<void> {
  await browser?.close()
  browser = null
}

/** Starts a backend on a data folder and opens the app in a fresh Chromium page bridged to it. */
export async function openApp(opts: HarnessOptions = {}): Promise<AppSession> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'b24-e2e-')))
  await mkdir(dataDir, { recursive: true })
  await mkdir(SCREENS, { recursive: true })
  const nextPick = { path: null as string | null }
  const host: BackendHost = {
    version: '0.1.0-e2e',
    platform: process.platform,
    locale: opts.locale ?? 'en-US',
    pickSheetFile: async () => {
      const p = nextPick.path
      nextPick.path = null
      return p
    },
    openExternal: async () => {},
  }
  const backend = new Backend({
    dataDir,
    secrets: new KeytarSecretStore(opts.keychainService ?? `b24-chat-admin-e2e-${process.pid}`),
    host,
    // The real sandbox portal, with its simulated server time shortened so journeys stay quick.
    startSandbox: ({ stateFile }) => startSandbox({ port: 0, stateFile, latencyMs: opts.sandboxLatencyMs ?? 20 }),
    ...(opts.tuning ? { tuning: opts.tuning } : {}),
  })
  // The page is ours (the test opened it): trusted, like the app window; every call still passes the real gate.
  const gate = createBackendGate(backend)

  const server = await serveRenderer()
  const context: BrowserContext = await (await getBrowser()).newContext({
    colorScheme: opts.colorScheme ?? 'light',
    locale: opts.locale ?? 'en-US',
    viewport: opts.viewport ?? { width: 1366, height: 860 },
  })
  await context.exposeBinding('__b24invoke', async (_src, channel: string, payload: string) => {
    const { result } = await gate.call({ trusted: true }, channel, valueReader(decode(JSON.parse(payload) ?? undefined)))
    return JSON.stringify(result)
  })
  await context.addInitScript(bridgeScript, { channels: CHANNEL_NAMES as unknown as Record<string, string>, eventChannel: JOB_EVENT_CHANNEL })
  const page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(String(e)))
  const off = backend.onJobEvent((event: JobEvent) => {
    void page.evaluate(([c, e]) => (window as unknown as { __b24emit?: (c: string, e: unknown) => void }).__b24emit?.(c, e), [JOB_EVENT_CHANNEL, event] as const).catch(() => {})
  })
  await page.goto(server.url)

  return {
    page,
    backend,
    dataDir,
    nextPick,
    reload: async () => {
      await page.reload()
    },
    screenshot: async (name: string) => {
      const file = join(SCREENS, `${name}.png`)
      await page.screenshot({ path: file, fullPage: false })
      return file
    },
    close: async () => {
      off()
      await context.close()
      await server.close()
      await backend.shutdown()
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true })
      if (pageErrors.length) throw new Error(`The page reported errors:\n${pageErrors.join('\n')}`)
    },
  }
}
