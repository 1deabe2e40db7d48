/** Stand-in for the `electron` module in unit and renderer tests (aliased in vitest.config.ts). */
export const app = { getPath: () => '/tmp', getVersion: () => '0.0.0-test', isPackaged: false, getLocale: () => 'en-US' }
export const ipcMain = { handle: () => undefined }
export const ipcRenderer = { invoke: async () => undefined, on: () => undefined, removeListener: () => undefined }
export const contextBridge = { exposeInMainWorld: () => undefined }
export const webUtils = { getPathForFile: () => '' }
export const shell = { openExternal: async () => undefined }
export class BrowserWindow {
  static fromWebContents(): null {
    return null
  }
}
export default { app, ipcMain, ipcRenderer, contextBridge, webUtils, shell, BrowserWindow }
