/** The manual clock of the simulation tests: work runs at the time it became runnable, never later. */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../electron/core/clock'

describe('ManualClock', () => {
  it('runs what is runnable now before it moves time on, even with no sleeper due', async () => {
    const clock = new ManualClock(0)
    const seen: number[] = []
    // A chain of a few awaits, as a request takes between its admission and the transport.
    const chain = (async () => {
      for (let i = 0; i < 5; i++) await Promise.resolve()
      seen.push(clock.now())
    })()
    await clock.advance(1000)
    await clock.advance(1000)
    await chain
    expect(seen).toEqual([0])
    expect(clock.now()).toBe(2000)
  })

  it('wakes sleepers in order at their own times, and what they start runs at that time', async () => {
    const clock = new ManualClock(0)
    const seen: [string, number][] = []
    const after = (ms: number, name: string) =>
      clock.sleep(ms).then(async () => {
        seen.push([name, clock.now()])
        await Promise.resolve()
        seen.push([`${name}+`, clock.now()])
      })
    const all = Promise.all([after(700, 'b'), after(300, 'a'), after(1500, 'c')])
    await clock.advance(1000)
    expect(seen).toEqual([['a', 300], ['a+', 300], ['b', 700], ['b+', 700]])
    await clock.advance(1000)
    await all
    expect(seen.slice(4)).toEqual([['c', 1500], ['c+', 1500]])
  })
})
