/**
 * `npm run bench` (not a test): 1,000 rows created on a scaled-down sandbox by
 *   (a) this engine, (b) @bitrix24/b24jssdk one by one, (c) b24jssdk batch-by-chunk, (d) newman with a
 *   --delay-request that stays under the rate limit,
 * each in its own process, one after the other on a reset sandbox. Per contender: wall time, T_min (config.ts),
 * T_min / wall, 503 and 429 counts, chats created, duplicates. Ends with
 *   bench: engine_ratio=<T_min/wall> limit_hits=<503+429 of the engine> speedup_vs_best_peer=<best peer wall / engine wall>
 * Options: --rows N, --only engine,sdk-single,… , --margin M (engine pacing margin, default 0.9).
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startSandbox } from '../../electron/sandbox'
import type { Sandbox } from '../../electron/sandbox'
import { TOOL_ENTITY_TYPE } from '../../electron/core/sync/keys'
import { BENCH_ROWS, BENCH_SANDBOX, benchParams, tMin } from './config'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '../..')
type Kind = 'engine' | 'sdk-single' | 'sdk-batch' | 'newman'
const LABEL: Record<Kind, string> = { engine: 'b24chat engine', 'sdk-single': 'b24jssdk one by one', 'sdk-batch': 'b24jssdk batch-by-chunk', newman: 'newman --delay-request' }

interface Row {
  kind: Kind
  wall: number
  status503: number
  status429: number
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

async function runOne(kind: Kind, sb: Sandbox, dir: string, rows: number, margin: number): Promise<Row> {
  sb.reset()
  const entityType = kind === 'engine' ? TOOL_ENTITY_TYPE : `BENCH_${kind.toUpperCase().replace(/-/g, '_')}`
  const ca = join(dir, 'ca.pem')
  const t0 = performance.now()
  let note = ''
  /** The contender's own run time, from its first request to its last answer (no process start-up). */
  let ownWall: number | null = null
  const limitMs = 600_000
  if (kind === 'newman') {
    const data = join(dir, 'newman.csv')
    await writeFile(data, `ID,TITLE\n${Array.from({ length: rows }, (_, i) => `${i},Bench chat ${i}`).join('\n')}\n`)
    const body = JSON.stringify({ ...benchParams(0, entityType), TITLE: '{{TITLE}}', ENTITY_ID: '{{ID}}' })
    const collection = {
      info: { name: 'bench', schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json' },
      item: [{ name: 'im.chat.add', request: { method: 'POST', header: [{ key: 'Content-Type', value: 'application/json' }], body: { mode: 'raw', raw: body }, url: `${sb.webhookUrl}im.chat.add` } }],
    }
    const file = join(dir, 'collection.json')
    await writeFile(file, JSON.stringify(collection))
    const delay = Math.ceil(1000 / BENCH_SANDBOX.rps)
    note = `--delay-request ${delay}`
    const r = await child(process.execPath, [join(ROOT, 'node_modules/newman/bin/newman.js'), 'run', file, '-d', data, '--delay-request', String(delay), '--ssl-extra-ca-certs', ca, '-r', 'json', '--reporter-json-export', join(dir, 'newman-report.json'), '--timeout-request', '60000'], {}, limitMs)
    if (r.code !== 0) note += ` (exit ${r.code})`
    try {
      const rep = JSON.parse(await readFile(join(dir, 'newman-report.json'), 'utf8')) as { run?: { timings?: { started?: number; completed?: number } } }
      const tm = rep.run?.timings
      if (tm?.started && tm.completed) ownWall = (tm.completed - tm.started) / 1000
    } catch {
      // no report: the parent's wall time stands
    }
  } else {
    const cfg = { kind, webhookUrl: sb.webhookUrl, rows, entityType, ca, data: join(dir, `data-${kind}`), margin, limits: { burst: BENCH_SANDBOX.burst, rps: BENCH_SANDBOX.rps, operatingLimitSec: BENCH_SANDBOX.operatingLimitSec, operatingWindowSec: BENCH_SANDBOX.operatingWindowSec, banSec: BENCH_SANDBOX.banSec } }
    const r = await child(process.execPath, ['--import', 'tsx', join(ROOT, 'test/bench/contender.ts')], { BENCH_CONTENDER: JSON.stringify(cfg), NODE_EXTRA_CA_CERTS: ca }, limitMs)
    const line = r.out.split('\n').reverse().find((l) => l.startsWith('{'))
    if (r.code !== 0 || !line) note = `exit ${r.code}: ${r.out.slice(-300).replace(/\s+/g, ' ')}`
    else {
      const j = JSON.parse(line) as { errors?: number; status?: string; wallSec?: number }
      if (typeof j.wallSec === 'number') ownWall = j.wallSec
      if (j.errors) note = `${j.errors} errors`
      if (j.status && j.status !== 'finished') note = j.status
    }
  }
  const wall = ownWall ?? (performance.now() - t0) / 1000
  const st = sb.stats()
  const seen = new Map<string, number>()
  for (const c of sb.chats()) if (c.entityType === entityType) seen.set(String(c.entityId), (seen.get(String(c.entityId)) ?? 0) + 1)
  if (kind === 'engine') note = note || `${st.totalRequests} requests`
  const duplicates = [...seen.values()].reduce((a, n) => a + (n - 1), 0)
  return { kind, wall, status503: st.status503, status429: st.status429, chats: sb.chats().length, duplicates, note }
}

export async function runBench(argv: string[] = process.argv.slice(2), print: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { rows: { type: 'string' }, only: { type: 'string' }, margin: { type: 'string' } }, strict: true })
  const rows = Number(values.rows ?? BENCH_ROWS)
  const margin = Number(values.margin ?? 0.9)
  const kinds = (values.only ? values.only.split(',') : ['engine', 'sdk-single', 'sdk-batch', 'newman']) as Kind[]
  const dir = await mkdtemp(join(tmpdir(), 'b24-bench-'))
  const sb = await startSandbox(BENCH_SANDBOX)
  await writeFile(join(dir, 'ca.pem'), sb.caPem)
  const t = tMin(rows)
  print(`Sandbox: im.chat.add median ${BENCH_SANDBOX.latencyMs} ms, bucket ${BENCH_SANDBOX.burst}/${BENCH_SANDBOX.rps} per s, operating ${BENCH_SANDBOX.operatingLimitSec} s per ${BENCH_SANDBOX.operatingWindowSec} s (batch billed ×0.5, ban ${BENCH_SANDBOX.banSec} s). ${rows} rows.`)
  print(`T_min = ${t.tMin.toFixed(1)} s (batched ${t.batched.toFixed(1)} s, one by one ${t.single.toFixed(1)} s; serial server time ${t.serverSec.toFixed(1)} s). Engine margin ${margin}.`)
  const results: Row[] = []
  try {
    for (const k of kinds) {
      print(`… ${LABEL[k]}`)
      results.push(await runOne(k, sb, dir, rows, margin))
    }
  } finally {
    await sb.close()
    await rm(dir, { recursive: true, force: true })
  }
  const head = ['contender', 'wall s', 'T_min s', 'T_min/wall', '503', '429', 'chats', 'dupes', 'note']
  const table = results.map((r) => [LABEL[r.kind], r.wall.toFixed(1), t.tMin.toFixed(1), (t.tMin / r.wall).toFixed(2), String(r.status503), String(r.status429), String(r.chats), String(r.duplicates), r.note])
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)))
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
  print('')
  print(fmt(head))
  print(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
  for (const row of table) print(fmt(row))
  // The import figure comes from a process of its own, like each contender: the sandbox and the contenders' runs
  // leave heap and handles in this one that have nothing to do with reading a sheet.
  const importBench = join(ROOT, 'test/bench/import.ts')
  if (existsSync(importBench)) {
    const r = await child(process.execPath, ['--import', 'tsx', importBench], {}, 300_000)
    print('')
    print(r.code === 0 ? r.out.trim() : `import bench failed (exit ${r.code}): ${r.out.trim().slice(-500)}`)
  }
  const engine = results.find((r) => r.kind === 'engine')
  const peers = results.filter((r) => r.kind !== 'engine' && r.chats === rows)
  const best = peers.length ? Math.min(...peers.map((r) => r.wall)) : NaN
  print('')
  if (engine) print(`bench: engine_ratio=${(t.tMin / engine.wall).toFixed(3)} limit_hits=${engine.status503 + engine.status429} speedup_vs_best_peer=${(best / engine.wall).toFixed(3)}`)
  return engine && engine.chats === rows && engine.status503 + engine.status429 === 0 ? 0 : 1
}

if (process.argv[1] && /test[\\/]bench[\\/]run\.ts$/.test(process.argv[1])) {
  void runBench().then((code) => process.exit(code))
}
