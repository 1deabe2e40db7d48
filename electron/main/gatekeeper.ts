import type { IpcMainInvokeEvent } from 'electron'
import type { Gate } from '../core/app/gate'
import { valueReader } from '../core/app/gate'
import type { Result } from '../shared/result'

export interface IpcGateDeps {
  /** Registers an invoke handler (ipcMain.handle in the app; a fake in tests). */
  register(channel: string, handler: (event: IpcMainInvokeEvent, payload: unknown) => Promise<Result<unknown>>): void
  /** Is this sender our window showing our renderer? (window.ts#isTrustedSender) */
  isTrustedSender(event: IpcMainInvokeEvent): boolean
}

/**
 * The Electron side of the gate (core/app/gate.ts): one ipcMain handler per gated channel. It only turns the
 * sender into `{ trusted }` and hands the IPC payload over as a measured value; the gate does the rest and
 * answers with a Result, so nothing is ever thrown across IPC.
 */
export function exposeGate(gate: Gate, deps: IpcGateDeps): void {
  for (const channel of gate.channels()) {
    deps.register(channel, async (event, payload) => {
      let trusted: boolean
      try {
        trusted = deps.isTrustedSender(event)
      } catch {
        trusted = false
      }
      return (await gate.call({ trusted }, channel, valueReader(payload))).result
    })
  }
}
