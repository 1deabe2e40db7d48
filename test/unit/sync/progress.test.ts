import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../electron/core/clock'
import { EventHub } from '../../../electron/core/sync/progress'
import type { JobEvent } from '../../../electron/shared/jobs'
import { emptyCounts } from '../../../electron/shared/jobs'

const progress = () => ({ counts: emptyCounts(), total: 1, chatsPerSec: 0, etaSec: null, pacing: { kind: 'idle' as const } })

describe('job events', () => {
  it('coalesces progress to one per interval, keeps every row line, and never drops the terminal event', async () => {
    const clock = new ManualClock(0)
    const hub = new EventHub('j1', clock, progress, 100)
    const events: JobEvent[] = []
    hub.on((e) => events.push(e))
    for (let i = 0; i < 50; i++) hub.row({ rowKey: `k${i}`, line: i, state: 'created', at: 0 })
    expect(events.filter((e) => e.type === 'progress')).toHaveLength(1)
    await clock.advance(100)
    expect(events.filter((e) => e.type === 'progress')).toHaveLength(2)
    hub.row({ rowKey: 'last', line: 99, state: 'created', at: 100 })
    hub.terminal({ type: 'finished', jobId: 'j1', at: 100, progress: progress() })
    hub.tick()
    hub.row({ rowKey: 'late', line: 100, state: 'created', at: 100 })
    await clock.advance(1000)
    expect(events.flatMap((e) => (e.type === 'rows' ? e.rows : [])).map((r) => r.rowKey)).toContain('last')
    expect(events.at(-1)?.type).toBe('finished')
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
  })
})
