import { describe, expect, it } from 'vitest'
import { cancelPendingTimers, pendingTimerCount } from './helpers/timers'

describe('timers left behind by a renderer test file', () => {
  it('are tracked until they fire or are cleared', async () => {
    const before = pendingTimerCount()
    const a = setTimeout(() => {}, 60_000)
    const b = window.setInterval(() => {}, 60_000)
    expect(pendingTimerCount()).toBe(before + 2)
    clearTimeout(a)
    window.clearInterval(b)
    expect(pendingTimerCount()).toBe(before)
    await new Promise<void>((r) => setTimeout(r, 1))
    expect(pendingTimerCount()).toBe(before)
  })

  it('are cancelled at the end, so a late callback never runs into a torn-down window', async () => {
    let fired = 0
    setTimeout(() => fired++, 20)
    setInterval(() => fired++, 20)
    cancelPendingTimers()
    expect(pendingTimerCount()).toBe(0)
    await new Promise<void>((r) => setTimeout(r, 80))
    expect(fired).toBe(0)
  })
})
