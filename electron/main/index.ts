/**
 * Electron main process: lifecycle, the hardened window, IPC over the backend. Thin by design: everything
 * with logic lives in core/ (and runs under plain Node in tests); this file only wires Electron to it.
 */
import { app, BrowserWindow, dialog, ipcMain, session, shell } from 'electron'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Backend } from '../core/app/backend'
import { defaultDataDir, resolveDataDir } from '../core/paths'
import { createLogger } from '../core/redact'
import { KeytarSecretStore } from '../keychain/keytar-store'
import { startSandbox } from '../sandbox'
import { JOB_EVENT_CHANNEL } from '../shared/ipc'
import { createBackendGate } from '../core/app/gate'
import { exposeGate } from './gatekeeper'
import { denyAllPermissions, hardenWebContents, isAllowedExternal, isTrustedSender, preloadPath, rendererFile, windowOptions } from './window'

const mainDir = dirname(fileURLToPath(import.meta.url))
const log = createLogger('main')
const dataDir = resolveDataDir()
app.setPath('userData', dataDir)

const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined
const appUrl = devServerUrl ?? pathToFileURL(rendererFile(mainDir)).href

let mainWindow: BrowserWindow | null = null
let backend: Backend | null = null

async function allowedPortals(): Promise<string[]> {
  const list = await backend?.profiles.list()
  return list?.ok ? list.value.map((p) => p.portal).filter(Boolean) : []
}
let portalCache: string[] = []

function createWindow(): BrowserWindow {
  const icon = join(app.getAppPath(), 'resources', 'icon.png')
  const win = new BrowserWindow(windowOptions(preloadPath(mainDir), icon))
  hardenWebContents(win.webContents, {
    appUrl,
    allowedPortals: () => portalCache,
    openExternal: (url) => shell.openExternal(url),
  })
  win.once('ready-to-show', () => win.show())
  win.on('close', (event) => {
    const running = backend?.runningJobCount() ?? 0
    if (running === 0) return
    const choice = dialog.showMessageBoxSync(win, {
      type: 'question',
      buttons: ['Pause the job and quit', 'Keep the window open'],
      defaultId: 1,
      cancelId: 1,
      title: 'A sync job is running',
      message: 'A sync job is still sending chats.',
      detail: 'Quitting pauses it safely: every chat already created is recorded, and the job continues exactly where it stopped when you sync it again.',
    })
    if (choice === 1) {
      event.preventDefault()
      return
    }
    void backend?.pauseAll()
  })
  if (devServerUrl) void win.loadURL(devServerUrl)
  else void win.loadFile(rendererFile(mainDir))
  return win
}

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return
    if (mainWindow.isMinimized()) mainWindow.restore()
    mainWindow.focus()
  })

  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault())
  })

  void app.whenReady().then(async () => {
    denyAllPermissions(session.defaultSession)
    backend = new Backend({
      dataDir,
      secrets: new KeytarSecretStore(),
      logger: log,
      startSandbox: ({ stateFile }) => startSandbox({ port: 0, stateFile }),
      host: {
        version: app.getVersion(),
        platform: process.platform,
        locale: app.getLocale(),
        pickSheetFile: async () => {
          const r = await dialog.showOpenDialog({
            title: 'Open a sheet',
            properties: ['openFile'],
            filters: [{ name: 'Sheets (CSV, TSV, TXT, XLSX, XLS, ODS)', extensions: ['csv', 'tsv', 'txt', 'xlsx', 'xlsm', 'xls', 'ods'] }, { name: 'All files', extensions: ['*'] }],
          })
          return r.canceled ? null : (r.filePaths[0] ?? null)
        },
        defaultDataDir: defaultDataDir(),
        pickFolder: async () => {
          const r = await dialog.showOpenDialog({ title: 'Choose the data folder', properties: ['openDirectory', 'createDirectory'] })
          return r.canceled ? null : (r.filePaths[0] ?? null)
        },
        openExternal: async (url) => {
          portalCache = await allowedPortals()
          if (!isAllowedExternal(url, portalCache)) throw new Error('Only https links to a configured portal can be opened.')
          await shell.openExternal(url)
        },
      },
    })
    portalCache = await allowedPortals()

    exposeGate(createBackendGate(backend, { log: (line) => log.warn(line) }), {
      register: (channel, handler) => ipcMain.handle(channel, handler),
      isTrustedSender: (event) => isTrustedSender({ window: BrowserWindow.fromWebContents(event.sender), frameUrl: event.senderFrame?.url }, mainWindow, appUrl),
    })
    backend.onJobEvent((event) => {
      if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(JOB_EVENT_CHANNEL, event)
    })

    mainWindow = createWindow()
    mainWindow.on('closed', () => {
      mainWindow = null
    })
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow()
    })
  })

  app.on('window-all-closed', () => {
    void backend?.shutdown().finally(() => {
      if (process.platform !== 'darwin') app.quit()
    })
  })
}
