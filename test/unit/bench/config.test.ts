/** The bench's one time scale reaches the client too (test/bench/config.ts). */
import { describe, expect, it } from 'vitest'
import { BillingModel } from '../../../electron/core/portal/pacer/billing'
import { RESERVE_ALLOWANCE } from '../../../electron/core/portal/pacer'
import { REAL_CLIENT, SCALE, benchClientOptions, benchSandbox } from '../../bench/config'
import type { ContenderConfig } from '../../bench/config'

const sb = benchSandbox({ scale: SCALE, workers: 16, billing: 'docs' })
const cfg: ContenderConfig = {
  kind: 'engine',
  webhookUrl: 'https://127.0.0.1:1/rest/1/x/',
  rows: 1000,
  entityType: 'B24CHATADMIN',
  ca: '/dev/null',
  data: '/tmp/x',
  margin: 0.9,
  concurrency: 16,
  scale: SCALE,
  timeoutMs: REAL_CLIENT.timeoutMs * SCALE,
  settleMs: REAL_CLIENT.settleMs * SCALE,
  priorServerSec: REAL_CLIENT.priorServerSec * SCALE,
  banMode: true,
  limits: { burst: sb.burst as number, rps: sb.rps as number, operatingLimitSec: sb.operatingLimitSec as number, operatingWindowSec: sb.operatingWindowSec as number, banSec: sb.banSec as number },
}

describe('the bench client', () => {
  it('scales the prior server time of every method, lookups included, by the one factor', () => {
    const prior = new BillingModel(benchClientOptions(cfg, 'PEM').priorServerSec)
    for (const m of ['im.chat.add', 'im.chat.get', 'user.get', 'server.time']) expect(prior.serverSecPerCall(m)).toBeCloseTo(REAL_CLIENT.priorServerSec * SCALE, 9)
    // the real proportion: a lookup of 50 reserves 50 × 0.5 × 1.2 = 30 s of a real 480 s budget (6 %), so 24 s here
    expect((50 * prior.serverSecPerCall('im.chat.get') * RESERVE_ALLOWANCE) / (sb.operatingLimitSec as number)).toBeCloseTo(30 / 480, 9)
  })

  it('hands the client its case: limits, ban mode, margin, concurrency and the scaled timeout', () => {
    const o = benchClientOptions(cfg, 'PEM')
    expect(o).toMatchObject({ ca: 'PEM', margin: 0.9, concurrency: 16, timeoutMs: 3750, limits: { ...cfg.limits, banMode: 'ban' } })
  })
})
