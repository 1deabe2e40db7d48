/**
 * A page that closes cancels its timers; a happy-dom test file does not. naive-ui's message starts a hide timer
 * (4–8 s in this app) that its unmount never clears. When it fires after vitest has torn the file's window down,
 * it throws "window is not defined" into whatever runs next, and the run fails with an unhandled error.
 * This setup file (vitest `setupFiles`, renderer project) tracks the timers a test file starts and cancels the
 * ones still pending when the file ends, as closing the page would.
 */
import { afterAll } from 'vitest'

type Handle = ReturnType<typeof setTimeout>
type Callback = (...args: unknown[]) => void
const pending = new Set<Handle>()
const real = { setTimeout, clearTimeout, setInterval, clearInterval }

globalThis.setTimeout = ((cb: Callback, ms?: number, ...args: unknown[]) => {
  const handle: Handle = real.setTimeout((...a: unknown[]) => {
    pending.delete(handle)
    cb(...a)
  }, ms, ...args)
  pending.add(handle)
  return handle
}) as typeof setTimeout
globalThis.setInterval = ((cb: Callback, ms?: number, ...args: unknown[]) => {
  const handle: Handle = real.setInterval(cb, ms, ...args)
  pending.add(handle)
  return handle
}) as typeof setInterval
globalThis.clearTimeout = ((handle?: Handle) => {
  if (handle !== undefined) pending.delete(handle)
  real.clearTimeout(handle)
}) as typeof clearTimeout
globalThis.clearInterval = ((handle?: Handle) => {
  if (handle !== undefined) pending.delete(handle)
  real.clearInterval(handle)
}) as typeof clearInterval

/** How many timers started since this file loaded are still due to fire. */
export const pendingTimerCount = (): number => pending.size

/** Cancels every pending timer (what closing the page does). */
export function cancelPendingTimers(): void {
  for (const handle of pending) {
    real.clearTimeout(handle)
    real.clearInterval(handle)
  }
  pending.clear()
}

afterAll(cancelPendingTimers)
