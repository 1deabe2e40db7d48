import type { BackendApi } from '../shared/ipc'
import { API_PATHS, CHANNEL_NAMES, PAYLOAD_SCHEMAS, splitPath } from '../shared/ipc'
import type { Result } from '../shared/result'
import type { createGate } from './gatekeeper'

/** Registers one gatekept handler per AppApi path, each calling the backend method of the same name. */
export function registerBackend(handle: ReturnType<typeof createGate>, backend: BackendApi): void {
  for (const path of API_PATHS) {
    const [ns, fn] = splitPath(path)
    const target = (backend as unknown as Record<string, Record<string, (p: unknown) => Promise<Result<unknown>>>>)[ns]?.[fn]
    if (typeof target !== 'function') throw new Error(`The backend has no ${path}`)
    handle(CHANNEL_NAMES[path], PAYLOAD_SCHEMAS[path], (payload) => target(payload))
  }
}
