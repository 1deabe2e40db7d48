/**
 * The single seam over `window.api` (house-style habit 2). Every backend call resolves to a Result; this module
 * unwraps it: the value on success, a thrown `UiError` (carrying the AppError, safe to show) on failure. A call
 * that rejects (the bridge itself broke) becomes a UiError with code INTERNAL, so views only ever catch UiError.
 * Nothing else in the renderer touches `window.api`.
 */
import type { AppApi, BackendApi } from '../../electron/shared/ipc'
import type { AppError, ErrorCode, Result } from '../../electron/shared/result'
import type { JobEvent } from '../../electron/shared/jobs'

export class UiError extends Error {
  readonly appError: AppError
  constructor(appError: AppError) {
    super(appError.message)
    this.name = 'UiError'
    this.appError = appError
  }
  get code(): ErrorCode {
    return this.appError.code
  }
}

/** Turns anything thrown into an AppError that is safe to show (no stack, no raw object dumps). */
export function toAppError(err: unknown): AppError {
  if (err instanceof UiError) return err.appError
  return {
    code: 'INTERNAL',
    message: 'The app could not reach its background service. Restart the app; if it keeps happening, report it.',
    messageRu: 'Приложение не смогло связаться со своей фоновой службой. Перезапустите приложение; если это повторяется, сообщите об ошибке.',
  }
}

type Unwrapped<T> = T extends (...args: infer A) => Promise<Result<infer R>> ? (...args: A) => Promise<R> : never
export type UiApi = { [NS in keyof BackendApi]: { [F in keyof BackendApi[NS]]: Unwrapped<BackendApi[NS][F]> } } & {
  events: AppApi['events']
  files: AppApi['files']
}

let override: AppApi | null = null

/** Tests install a fake AppApi here; the app uses `window.api`. */
export function setApiForTests(fake: AppApi | null): void {
  override = fake
}

function raw(): AppApi {
  const found = override ?? (typeof window !== 'undefined' ? window.api : undefined)
  if (!found) throw new UiError(toAppError(null))
  return found
}

async function call<R>(ns: string, fn: string, arg: unknown): Promise<R> {
  let res: Result<R>
  try {
    const target = (raw() as unknown as Record<string, Record<string, (a?: unknown) => Promise<Result<R>>>>)[ns]
    const f = target?.[fn]
    if (typeof f !== 'function') throw new Error(`${ns}.${fn} missing`)
    res = arg === undefined ? await f.call(target) : await f.call(target, arg)
  } catch (err) {
    throw new UiError(toAppError(err))
  }
  if (!res || typeof res !== 'object' || !('ok' in res)) throw new UiError(toAppError(null))
  if (res.ok) return res.value
  throw new UiError(res.error)
}

/** `fns` must list every function of the namespace (the Record type makes the compiler check it). */
const ns = <K extends keyof BackendApi>(name: K, fns: Record<keyof BackendApi[K], true>): UiApi[K] =>
  Object.fromEntries(Object.keys(fns).map((fn) => [fn, (arg?: unknown) => call(name, fn, arg)])) as unknown as UiApi[K]

export const api: UiApi = {
  app: ns('app', { info: true, chooseDataDir: true }),
  settings: ns('settings', { get: true, set: true }),
  profiles: ns('profiles', { list: true, add: true, update: true, remove: true, test: true, searchUsers: true }),
  sandbox: ns('sandbox', { status: true, start: true, stop: true, chats: true }),
  sheets: ns('sheets', {
    import: true, openDialog: true, reimport: true, rows: true, editCell: true, liveCheck: true, template: true, close: true,
    avatarFolders: true, allowAvatarFolders: true, setAvatarFolder: true, editCells: true, openSample: true, sendPlan: true,
  }),
  compose: ns('compose', { validate: true, create: true, prepareAvatar: true }),
  jobs: ns('jobs', { list: true, createFromSheet: true, addCompose: true, start: true, pause: true, resume: true, cancel: true, retryFailed: true, sendUnsent: true, remove: true, snapshot: true, exportResults: true }),
  shell: ns('shell', { openChat: true }),
  events: {
    onJobEvent(listener: (event: JobEvent) => void): () => void {
      try {
        return raw().events.onJobEvent(listener)
      } catch {
        return () => undefined
      }
    },
  },
  files: {
    pathForFile(file: File): string {
      try {
        return raw().files.pathForFile(file)
      } catch {
        return ''
      }
    },
  },
}
