/**
 * Builds the AppApi object from the channel table. Pure so it can be tested without Electron: `invoke` and
 * `on` are ipcRenderer's, `pathForFile` is webUtils'. Exposes exactly AppApi — never a generic invoke.
 */
import type { AppApi } from '../shared/ipc'
import { API_PATHS, CHANNEL_NAMES, JOB_EVENT_CHANNEL, splitPath } from '../shared/channels'
import type { JobEvent } from '../shared/jobs'

export interface PreloadIpc {
  invoke(channel: string, payload: unknown): Promise<unknown>
  on(channel: string, listener: (event: unknown, payload: unknown) => void): void
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): void
  pathForFile(file: File): string
}

export function buildAppApi(ipc: PreloadIpc): AppApi {
  const api: Record<string, Record<string, unknown>> = {}
  for (const path of API_PATHS) {
    const [ns, fn] = splitPath(path)
    const channel = CHANNEL_NAMES[path]
    api[ns] ??= {}
    // One argument at most; anything else the renderer passes is dropped, never forwarded.
    api[ns][fn] = (payload?: unknown) => ipc.invoke(channel, payload)
  }
  api.events = {
    onJobEvent(listener: (event: JobEvent) => void): () => void {
      const wrapped = (_e: unknown, payload: unknown): void => listener(payload as JobEvent)
      ipc.on(JOB_EVENT_CHANNEL, wrapped)
      return () => ipc.removeListener(JOB_EVENT_CHANNEL, wrapped)
    },
  }
  api.files = {
    pathForFile(file: File): string {
      try {
        return ipc.pathForFile(file)
      } catch {
        return ''
      }
    },
  }
  return Object.freeze(Object.fromEntries(Object.entries(api).map(([k, v]) => [k, Object.freeze(v)]))) as unknown as AppApi
}
