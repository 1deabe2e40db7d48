/**
 * The fault campaign (issue item 12), shared by the CI test and `npm run soak`: N rows synced over OAuth to a
 * sandbox that injects every fault kind and whose access tokens expire mid-run, by a child process that is
 * SIGKILLed at K random moments and started again each time. Afterwards: exactly N chats, no duplicate entity
 * pair, every row final.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { seededRng } from '../../../electron/core/clock'
import { startSandbox } from '../../../electron/sandbox'
import type { SandboxStats } from '../../../electron/sandbox'
import { JobStore } from '../../../electron/core/sync/store'
import type { StateCounts } from '../../../electron/shared/jobs'

export interface CampaignOptions {
  rows: number
  kills: number
  seed?: number
  /** Kill between min and max ms after the child starts (node + tsx start-up takes ~1 s). */
  killWindowMs?: [number, number]
  tokenTtlSec?: number
  /** Requests in flight the child's client allows (the setting; default CONCURRENCY.default). */
  concurrency?: number
  log?: (line: string) => void
}

export interface CampaignResult {
  chats: number
  duplicates: string[]
  counts: StateCounts
  kills: number
  runs: number
  finalExit: number | null
  rotations: number
  stats: SandboxStats
  seconds: number
}

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '../../..')
const RUNNER = resolve(HERE, 'campaign-runner.ts')

function run(env: Record<string, string>, killAfterMs: number | null, log: (l: string) => void): Promise<{ code: number | null; killed: boolean; out: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ['--import', 'tsx', RUNNER], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    let killed = false
    const timer = killAfterMs === null ? null : setTimeout(() => {
      killed = child.kill('SIGKILL')
    }, killAfterMs)
    // Bound every run: a stuck child fails the campaign instead of hanging it.
    const guard = setTimeout(() => child.kill('SIGKILL'), 240_000)
    child.on('exit', (code) => {
      if (timer) clearTimeout(timer)
      clearTimeout(guard)
      log(`run ${killed ? `killed after ${killAfterMs} ms` : `exited ${code}`}; ${out.split('\n').filter(Boolean).slice(-1)[0] ?? ''}`)
      resolveRun({ code, killed, out })
    })
  })
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const t0 = Date.now()
  const log = o.log ?? (() => {})
  const rng = seededRng(o.seed ?? 2024)
  const dir = await mkdtemp(join(tmpdir(), 'b24-campaign-'))
  const sb = await startSandbox({
    latencyMs: 2,
    seed: o.seed ?? 2024,
    burst: 200,
    rps: 40,
    tokenTtlSec: o.tokenTtlSec ?? 4,
    faults: { http500: 0.03, html: 0.03, 'reset-after-commit': 0.03, timeout: 0.03, qle: 0.03 },
  })
  try {
    const file = join(dir, 'chats.csv')
    const lines = ['TITLE,USERS,COLOR']
    for (let i = 0; i < o.rows; i++) lines.push(`Campaign chat ${i},"2, 3",${['RED', 'GREEN', 'PINK'][i % 3]}`)
    await writeFile(file, `${lines.join('\n')}\n`)
    const ca = join(dir, 'ca.pem')
    await writeFile(ca, sb.caPem)
    const tokens = join(dir, 'tokens.json')
    const app = sb.addOAuthApp({ userId: 1, scopes: ['im', 'user'] })
    await writeFile(tokens, JSON.stringify(app), { mode: 0o600 })
    const env = { CAMPAIGN: JSON.stringify({ file, data: join(dir, 'data'), tokens, portal: `${sb.origin}/`, ca, limits: { burst: 200, rps: 40 }, concurrency: o.concurrency }) }
    const [lo, hi] = o.killWindowMs ?? [1200, 4000]
    let kills = 0
    let runs = 0
    let rotations = 0
    for (let k = 0; k < o.kills; k++) {
      const r = await run(env, Math.round(lo + rng() * (hi - lo)), log)
      runs++
      if (r.killed) kills++
      rotations += (r.out.match(/token rotated/g) ?? []).length
    }
    let finalExit: number | null = null
    for (let i = 0; i < 3 && finalExit !== 0; i++) {
      const r = await run(env, null, log)
      runs++
      rotations += (r.out.match(/token rotated/g) ?? []).length
      finalExit = r.code
      if (r.code !== 0) log(r.out.slice(-2000))
    }
    const store = new JobStore(join(dir, 'data'))
    const [summary] = await store.list()
    await store.closeAll()
    const seen = new Map<string, number>()
    for (const c of sb.chats()) {
      const k = `${c.entityType}|${c.entityId}`
      seen.set(k, (seen.get(k) ?? 0) + 1)
    }
    return {
      chats: sb.chats().length,
      duplicates: [...seen].filter(([, n]) => n > 1).map(([k]) => k),
      counts: summary?.progress.counts ?? ({} as StateCounts),
      kills,
      runs,
      finalExit,
      rotations,
      stats: sb.stats(),
      seconds: Math.round((Date.now() - t0) / 1000),
    }
  } finally {
    await sb.close()
    await rm(dir, { recursive: true, force: true })
  }
}
