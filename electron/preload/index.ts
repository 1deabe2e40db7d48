import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { buildAppApi } from './api'

contextBridge.exposeInMainWorld(
  'api',
  buildAppApi({
    invoke: (channel, payload) => ipcRenderer.invoke(channel, payload),
    on: (channel, listener) => ipcRenderer.on(channel, listener),
    removeListener: (channel, listener) => ipcRenderer.removeListener(channel, listener),
    pathForFile: (file) => webUtils.getPathForFile(file),
  }),
)
