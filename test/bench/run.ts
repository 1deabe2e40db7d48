/**
 * `npm run bench` (not a test): chats created on a time-scaled sandbox (config.ts: one factor for every time) by
 *   this engine at concurrency 1, the default and the highest setting; the client-level pool (the pacer alone, keeping
 *   inFlightLimit() batches in flight — the engine's contract); fast_bitrix24's strategy (fb24.ts); @bitrix24/b24jssdk
 *   one by one and batch-by-chunk; newman with a --delay-request under the rate limit
 * in the cases of config.ts (1,000 rows at W = 1, 4, 16; the 16-on-16 cell again at the real portal's times; a
 * budget-bound 5,000; a short case on the default real-limit sandbox), under both batch-billing modes. Each contender
 * runs in its own process on a reset sandbox. Per contender:
 * wall time, T_min for its concurrency (tmin.ts), T_min / wall, 503 and 429 counts, 503 HTML from a full queue, the
 * highest operating-budget use seen, the most requests in flight at the server, chats and duplicates. Ends with
 *   bench: engine_ratio=<worst T_min/wall of the engine> limit_hits=<503+429 of the engine> budget_overspend=<the
 *   engine's highest budget use over its limit, s> speedup_vs_best_peer=<worst over cases: best complete peer / engine>
 * Options: --case 1000-w1,5000,… --billing docs,batch-half --only engine,pool,fb24,sdk-single,sdk-batch,newman
 * --concurrency 1,4 (engine and pool settings to run) --rows N (override) --margin M (pacing margin, default 0.9)
 * --scale S (the one time factor of the scaled cases, 0.05 or 1/20 by default; an experiment, not the bench) — args.ts.
 * A full run takes about 31 minutes on the dev machine (2 shared cores; most of it the one-at-a-time runs);
 * `--case 1000-w4` about 6.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startSandbox } from '../../electron/sandbox'
import type { Sandbox } from '../../electron/sandbox'
import { TOOL_ENTITY_TYPE } from '../../electron/core/sync/keys'
import { benchParams, benchSandbox, CASES, meanCallSec, REAL_CLIENT, SCALE } from './config'
import { parseBenchArgs, scaleLabel } from './args'
import type { BenchCase, Billing, ContenderConfig, Entry, Kind } from './config'
import { tMin } from './tmin'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '../..')
const LABEL: Record<Kind, string> = {
  engine: 'b24chat engine',
  pool: 'pacer pool (client harness)',
  fb24: 'fast_bitrix24 strategy',
  'sdk-single': 'b24jssdk one by one',
  'sdk-batch': 'b24jssdk batch-by-chunk',
  newman: 'newman --delay-request',
}
const label = (e: Entry): string => (e.kind === 'engine' || e.kind === 'pool' ? `${LABEL[e.kind]} C=${e.concurrency}` : LABEL[e.kind])
const isPeer = (k: Kind): boolean => k !== 'engine' && k !== 'pool'

export interface Row {
  caseId: string
  billing: Billing
  entry: Entry
  rows: number
  wall: number
  tMin: number
  status503: number
  status429: number
  overload: number
  peakSec: number
  limitSec: number
  mostInFlight: number
  chats: number
  duplicates: number
  note: string
}

function child(cmd: string, args: string[], env: Record<string, string>, limitMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const p = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    p.stdout.on('data', (d: Buffer) => (out += d.toString()))
    p.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const t = setTimeout(() => p.kill('SIGKILL'), limitMs)
    p.on('exit', (code) => {
      clearTimeout(t)
      res({ code, out })
    })
  })
}

async function runNewman(sb: Sandbox, dir: string, rows: number, entityType: string, rps: number, scale: number): Promise<{ wall: number | null; note: string }> {
  const data = join(dir, 'newman.csv')
  await writeFile(data, `ID,TITLE\n${Array.from({ length: rows }, (_, i) => `${i},Bench chat ${i}`).join('\n')}\n`)
  const body = JSON.stringify({ ...benchParams(0, entityType), TITLE: '{{TITLE}}', ENTITY_ID: '{{ID}}' })
  const collection = {
    info: { name: 'bench', schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json' },
    item: [{ name: 'im.chat.add', request: { method: 'POST', header: [{ key: 'Content-Type', value: 'application/json' }], body: { mode: 'raw', raw: body }, url: `${sb.webhookUrl}im.chat.add` } }],
  }
  const file = join(dir, 'collection.json')
  await writeFile(file, JSON.stringify(collection))
  const delay = Math.ceil(1000 / rps)
  let note = `--delay-request ${delay}`
  const report = join(dir, 'newman-report.json')
  const r = await child(process.execPath, [join(ROOT, 'node_modules/newman/bin/newman.js'), 'run', file, '-d', data, '--delay-request', String(delay), '--ssl-extra-ca-certs', join(dir, 'ca.pem'), '-r', 'json', '--reporter-json-export', report, '--timeout-request', String(Math.round(60_000 * scale))], {}, 1_800_000)
  if (r.code !== 0) note += ` (exit ${r.code})`
  try {
    const rep = JSON.parse(await readFile(report, 'utf8')) as { run?: { timings?: { started?: number; completed?: number } } }
    const tm = rep.run?.timings
    if (tm?.started && tm.completed) return { wall: (tm.completed - tm.started) / 1000, note }
  } catch {
    // no report: the parent's wall time stands
  }
  return { wall: null, note }
}

/** Waits (bounded) until the sandbox has finished every request it holds: what a contender left behind counts for it. */
async function drain(sb: Sandbox): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const st = sb.stats()
    if (st.inFlight === 0 && st.capacity.queued === 0) return
    await new Promise((r) => setTimeout(r, 100))
  }
}

export async function runOne(c: BenchCase, billing: Billing, entry: Entry, sb: Sandbox, dir: string, rows: number, margin: number, scale: number): Promise<Row> {
  sb.reset()
  const opts = benchSandbox({ scale, workers: c.workers, billing })
  const entityType = entry.kind === 'engine' ? TOOL_ENTITY_TYPE : `BENCH_${entry.kind.toUpperCase().replace(/-/g, '_')}`
  const t0 = performance.now()
  let note = ''
  /** The contender's own run time (no process start-up; for the engine, `runJob` whole): see contender.ts. */
  let ownWall: number | null = null
  if (entry.kind === 'newman') {
    const r = await runNewman(sb, dir, rows, entityType, opts.rps as number, scale)
    ownWall = r.wall
    note = r.note
  } else {
    const cfg: ContenderConfig = {
      kind: entry.kind,
      webhookUrl: sb.webhookUrl,
      rows,
      entityType,
      ca: join(dir, 'ca.pem'),
      data: join(dir, `data-${entry.kind}-${entry.concurrency}-${c.id}-${billing}`),
      margin,
      concurrency: entry.concurrency,
      scale,
      timeoutMs: REAL_CLIENT.timeoutMs * scale,
      settleMs: REAL_CLIENT.settleMs * scale,
      priorServerSec: REAL_CLIENT.priorServerSec * scale,
      banMode: true,
      limits: { burst: opts.burst as number, rps: opts.rps as number, operatingLimitSec: opts.operatingLimitSec as number, operatingWindowSec: opts.operatingWindowSec as number, banSec: opts.banSec as number },
    }
    const r = await child(process.execPath, ['--import', 'tsx', join(ROOT, 'test/bench/contender.ts')], { BENCH_CONTENDER: JSON.stringify(cfg), NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') }, 1_800_000)
    const line = r.out.split('\n').reverse().find((l) => l.startsWith('{'))
    if (r.code !== 0 || !line) note = `exit ${r.code}: ${r.out.slice(-300).replace(/\s+/g, ' ')}`
    else {
      const j = JSON.parse(line) as { errors?: number; status?: string; wallSec?: number; retried?: number }
      if (typeof j.wallSec === 'number') ownWall = j.wallSec
      if (j.errors) note = `${j.errors} errors`
      if (j.status && j.status !== 'finished') note = j.status
      if (j.retried) note = `${note ? `${note}; ` : ''}${j.retried} retried`
    }
  }
  const wall = ownWall ?? (performance.now() - t0) / 1000
  await drain(sb)
  const st = sb.stats()
  const seen = new Map<string, number>()
  for (const ch of sb.chats()) if (ch.entityType === entityType) seen.set(String(ch.entityId), (seen.get(String(ch.entityId)) ?? 0) + 1)
  if (entry.kind === 'engine' && !note) note = `${st.totalRequests} requests`
  const t = tMin({
    n: rows,
    callSec: meanCallSec(opts.latencyMs as number),
    concurrency: entry.concurrency,
    workers: c.workers,
    burst: opts.burst as number,
    rps: opts.rps as number,
    limitSec: opts.operatingLimitSec as number,
    windowSec: opts.operatingWindowSec as number,
    billing,
    minCountedSec: opts.operatingMinCountedSec as number,
  })
  return {
    caseId: c.id,
    billing,
    entry,
    rows,
    wall,
    tMin: t.tMin,
    status503: st.status503,
    status429: st.status429,
    overload: st.capacity.rejected,
    peakSec: Math.max(0, ...st.operating.map((o) => o.peakSec)),
    limitSec: opts.operatingLimitSec as number,
    mostInFlight: st.maxInFlight,
    chats: [...seen.values()].reduce((a, n) => a + n, 0),
    duplicates: [...seen.values()].reduce((a, n) => a + (n - 1), 0),
    note,
  }
}

/** The final line's figures over every run of `kind` (the engine; the pool for the line before it). */
export function summarize(results: Row[], kind: Kind = 'engine'): { engineRatio: number; limitHits: number; overspend: number; speedup: number } {
  const engine = results.filter((r) => r.entry.kind === kind)
  const engineRatio = engine.length ? Math.min(...engine.map((r) => r.tMin / r.wall)) : Number.NaN
  const limitHits = engine.reduce((a, r) => a + r.status503 + r.status429, 0)
  const overspend = Math.max(0, ...engine.map((r) => r.peakSec - r.limitSec))
  const speedups: number[] = []
  for (const key of new Set(results.map((r) => `${r.caseId}|${r.billing}`))) {
    const group = results.filter((r) => `${r.caseId}|${r.billing}` === key)
    const engines = group.filter((r) => r.entry.kind === kind && r.chats === r.rows)
    const peers = group.filter((r) => isPeer(r.entry.kind) && r.chats === r.rows && r.duplicates === 0)
    if (engines.length && peers.length) speedups.push(Math.min(...peers.map((r) => r.wall)) / Math.min(...engines.map((r) => r.wall)))
  }
  return { engineRatio, limitHits, overspend, speedup: speedups.length ? Math.min(...speedups) : Number.NaN }
}

export function table(rows: Row[]): string[] {
  const head = ['case', 'billing', 'contender', 'wall s', 'T_min s', 'T_min/wall', '503', '429', '503 html', 'budget peak/limit s', 'most in flight', 'chats', 'dupes', 'note']
  const cells = rows.map((r) => [
    r.caseId,
    r.billing,
    label(r.entry),
    r.wall.toFixed(1),
    r.tMin.toFixed(1),
    r.chats === r.rows ? (r.tMin / r.wall).toFixed(2) : '—',
    String(r.status503),
    String(r.status429),
    String(r.overload),
    `${r.peakSec.toFixed(1)}/${r.limitSec}`,
    String(r.mostInFlight),
    String(r.chats),
    String(r.duplicates),
    r.note,
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? '').length)))
  const fmt = (c: string[]): string => `| ${c.map((x, i) => x.padEnd(widths[i] ?? 0)).join(' | ')} |`
  return [fmt(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(fmt)]
}

export async function runBench(argv: string[] = process.argv.slice(2), print: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): Promise<number> {
  const a = parseBenchArgs(argv)
  const { billings, margin } = a
  const cases = CASES.filter((c) => !a.cases || a.cases.includes(c.id))
  const selected = (c: BenchCase): Entry[] => c.entries.filter((e) => (!a.only || a.only.includes(e.kind)) && (!a.levels || !(e.kind === 'engine' || e.kind === 'pool') || a.levels.includes(e.concurrency)))
  if (!cases.some((c) => selected(c).length)) {
    const levels = [...new Set(cases.flatMap((c) => c.entries.filter((e) => e.kind === 'engine' || e.kind === 'pool').map((e) => e.concurrency)))].sort((x, y) => x - y)
    throw new Error(`nothing to run: no contender of ${cases.map((c) => c.id).join(', ')} matches --only and --concurrency (those cases run the engine and the pool at ${levels.join(', ')})`)
  }
  const dir = await mkdtemp(join(tmpdir(), 'b24-bench-'))
  const results: Row[] = []
  const started = performance.now()
  print(`Time scale ${scaleLabel(a.scale)}${a.scale === SCALE ? ' (config.ts)' : ` (--scale; the bench's own is ${scaleLabel(SCALE)}: an experiment, not the bench's figures)`}: every time of the real portal × ${scaleLabel(a.scale)}; the cases marked real use the real limits. Pacing margin ${margin}.`)
  try {
    for (const billing of billings) {
      for (const c of cases) {
        const rows = a.rows ?? c.rows
        const scale = c.scaled ? a.scale : 1
        const entries = selected(c)
        if (!entries.length) continue
        const opts = benchSandbox({ scale, workers: c.workers, billing })
        print(`\n== ${c.id}, ${billing} billing: ${rows} rows, ${c.workers} workers, im.chat.add median ${opts.latencyMs} ms, bucket ${opts.burst}/${opts.rps} per s, budget ${opts.operatingLimitSec} s per ${opts.operatingWindowSec} s${c.note ? ` — ${c.note}` : ''}`)
        const sb = await startSandbox(opts)
        await writeFile(join(dir, 'ca.pem'), sb.caPem)
        try {
          for (const e of entries) {
            const t = performance.now()
            const r = await runOne(c, billing, e, sb, dir, rows, margin, scale)
            results.push(r)
            print(`   ${label(e)}: ${r.wall.toFixed(1)} s (T_min ${r.tMin.toFixed(1)} s), ${r.chats} chats${r.note ? ` — ${r.note}` : ''} [${((performance.now() - t) / 1000).toFixed(0)} s]`)
          }
        } finally {
          await sb.close()
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  print('')
  for (const l of table(results)) print(l)
  // The import figure comes from a process of its own (a full run only).
  const importBench = join(ROOT, 'test/bench/import.ts')
  if (!a.cases && !a.only && existsSync(importBench)) {
    const r = await child(process.execPath, ['--import', 'tsx', importBench], {}, 300_000)
    print('')
    print(r.code === 0 ? r.out.trim() : `import bench failed (exit ${r.code}): ${r.out.trim().slice(-500)}`)
  }
  const s = summarize(results)
  const pool = summarize(results, 'pool')
  print('')
  print(`Ran ${results.length} contenders in ${((performance.now() - started) / 60_000).toFixed(1)} min.`)
  // What the pacer alone achieves with the engine's contract (not the engine): the same figures for the pool.
  if (results.some((r) => r.entry.kind === 'pool')) print(`pool (client harness): ratio=${pool.engineRatio.toFixed(3)} limit_hits=${pool.limitHits} budget_overspend=${pool.overspend.toFixed(3)} speedup_vs_best_peer=${pool.speedup.toFixed(3)}`)
  print(`bench: engine_ratio=${s.engineRatio.toFixed(3)} limit_hits=${s.limitHits} budget_overspend=${s.overspend.toFixed(3)} speedup_vs_best_peer=${s.speedup.toFixed(3)}`)
  const engineComplete = results.filter((r) => r.entry.kind === 'engine').every((r) => r.chats === r.rows && r.duplicates === 0)
  return engineComplete && s.limitHits === 0 && s.overspend === 0 ? 0 : 1
}

if (process.argv[1] && /test[\\/]bench[\\/]run\.ts$/.test(process.argv[1])) {
  void runBench().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).message}\n`)
      process.exit(2)
    },
  )
}
