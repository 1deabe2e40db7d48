/**
 * A page that closes cancels its timers; a happy-dom test file does not. naive-ui's message starts a hide timer
 * (4–8 s in this app) that its unmount never clears. When it fires after vitest has torn the file's window down,
 * it throws "window is not defined" into whatever runs next, and the run fails with an unhandled error.
 * This setup file (vitest `setupFiles`, renderer project) tracks the timers a test file starts and cancels the
 * ones still pending when the file ends, as closing the page would.
 */
import { afterAll } from 'vitest'

type Handle = ReturnType<typeof setTimeout>
const pending = new Set<Handle>()
const real = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout, setInterval: globalThis.setInterval, clearInterval: globalThis.clearInterval }

function tracked<F extends (...a: never[]) => unknown>(fn: F, wrapper: F): F {
  // Keep util.promisify(setTimeout) and friends working.
  for (const key of Reflect.ownKeys(fn)) {
    if (!(key in wrapper)) Reflect.defineProperty(wrapper, key, Reflect.getOwnPropertyDescriptor(fn, key)!)
  }
  return wrapper
}

globalThis.setTimeout = tracked(real.setTimeout, ((cb: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const handle: Handle = real.setTimeout((...a: unknown[]) => {
    pending.delete(handle)
    cb(...a)
  }, ms, ...args)
  pending.add(handle)
  return handle
}) as typeof setTimeout)
globalThis.setInterval = tracked(real.setInterval, ((cb: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const handle = real.setInterval(cb, ms, ...args)
  pending.add(handle as unknown as Handle)
  return handle
}) as typeof setInterval)
globalThis.clearTimeout = ((h?: Handle | string | number) => {
  pending.delete(h as Handle)
  real.clearTimeout(h)
}) as typeof clearTimeout
globalThis.clearInterval = ((h?: Handle | string | number) => {
  pending.delete(h as Handle)
  real.clearInterval(h)
}) as typeof clearInterval

/** How many timers started since this file loaded are still due to fire. */
export const pendingTimerCount = (): number => pending.size

/** Cancels every pending timer (what closing the page does). */
export function cancelPendingTimers(): void {
  for (const h of pending) {
    real.clearTimeout(h)
    real.clearInterval(h)
  }
  pending.clear()
}

afterAll(cancelPendingTimers)
