/**
 * Hostile inputs and hostile portals (issue 13, "Seen" 1 and 7): each scenario runs the real command in its own
 * process under a watchdog and reports its peak RSS, its wall time and how it ended. Not a test: figures only.
 *   node --import tsx test/bench/hostile.ts [--only name,name] [--limit-sec 60] [--rss-cap-mb 3000]
 * A scenario still running at --limit-sec, or above --rss-cap-mb, is killed (SIGKILL) and reported as such.
 * Scenarios that accept a signal are also timed from SIGTERM to exit ("stop" column; ≤ 2 s is the target).
 */
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { createServer as createTcpServer } from 'node:net'
import type { Server as TcpServer, Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:https'
import type { Server as HttpsServer } from 'node:https'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { sandboxCertificate } from '../../electron/sandbox/tls'
import { sparseFile } from '../helpers/files'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const CLI = ['--import', 'tsx', join(ROOT, 'electron/cli/main.ts')]

interface Outcome {
  name: string
  peakMb: number
  seconds: number
  end: string
  stopSec?: number
  note: string
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : 0
  } catch {
    return 0
  }
}

/**
 * Runs `node args…` (or `bash -c` when `shell`), sampling RSS every 50 ms; SIGKILL at the limits. With `termAfterSec`,
 * sends SIGTERM then and reports how long the process took to exit.
 */
function measure(name: string, args: string[], o: { limitSec: number; capMb: number; termAfterSec?: number; shell?: string; env?: Record<string, string> }): Promise<Outcome> {
  return new Promise((done) => {
    const p = o.shell
      ? spawn('bash', ['-c', o.shell], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env } })
      : spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env } })
    let out = ''
    let err = ''
    p.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)))
    p.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)))
    const t0 = performance.now()
    let peak = 0
    let killed = ''
    let termAt = 0
    const pids = (): number[] => {
      if (!o.shell) return [p.pid!]
      try {
        return [p.pid!, ...execFileSync('pgrep', ['-P', String(p.pid)]).toString().trim().split('\n').filter(Boolean).map(Number)]
      } catch {
        return [p.pid!]
      }
    }
    const tick = setInterval(() => {
      const kb = pids().reduce((s, id) => s + rssKb(id), 0)
      peak = Math.max(peak, kb)
      const sec = (performance.now() - t0) / 1000
      if (kb / 1024 > o.capMb) {
        killed = `killed at ${o.capMb} MB RSS`
        p.kill('SIGKILL')
      } else if (sec > o.limitSec) {
        killed = `killed after ${o.limitSec} s`
        p.kill('SIGKILL')
      } else if (o.termAfterSec !== undefined && !termAt && sec >= o.termAfterSec) {
        termAt = performance.now()
        p.kill('SIGTERM')
      }
    }, 50)
    p.on('exit', (code, signal) => {
      clearInterval(tick)
      const seconds = (performance.now() - t0) / 1000
      const firstLine = (s: string): string => s.split('\n').map((l) => l.trim()).filter(Boolean).slice(-1)[0] ?? ''
      done({
        name,
        peakMb: Math.round(peak / 1024),
        seconds: Math.round(seconds * 10) / 10,
        end: killed || (signal ? `signal ${signal}` : `exit ${code}`),
        ...(termAt ? { stopSec: killed ? Infinity : Math.round((performance.now() - termAt) / 100) / 10 } : {}),
        note: (firstLine(err) || firstLine(out)).slice(0, 140),
      })
    })
  })
}

/** Hostile portals on 127.0.0.1, trusted through the sandbox's own CA. */
async function hostilePortals(): Promise<{ ca: string; urls: Record<string, string>; close: () => Promise<void> }> {
  const tls = await sandboxCertificate()
  const sockets = new Set<Socket>()
  const servers: (TcpServer | HttpsServer)[] = []
  const track = (s: TcpServer | HttpsServer): void => {
    s.on('connection', (c: Socket) => {
      sockets.add(c)
      c.on('close', () => sockets.delete(c))
      c.on('error', () => {})
    })
    servers.push(s)
  }
  const listen = (s: TcpServer | HttpsServer): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as { port: number }).port)))
  const timers = new Set<NodeJS.Timeout>()
  // 1. An endless 200 body.
  const endless = createTlsServer({ key: tls.key, cert: tls.cert }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    const pump = (): void => {
      while (res.write(chunk)) { /* until the socket pushes back */ }
    }
    res.on('drain', pump)
    res.on('error', () => {})
    pump()
  })
  // 2. Accepts TCP, never starts TLS.
  const noTls = createTcpServer(() => {})
  // 3. TLS done, the request read, never an answer.
  const silent = createTlsServer({ key: tls.key, cert: tls.cert }, () => {})
  // 4. Headers at once, then one byte per second, forever.
  const trickle = createTlsServer({ key: tls.key, cert: tls.cert }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{')
    const t = setInterval(() => res.write(' '), 1000)
    timers.add(t)
    res.on('close', () => {
      clearInterval(t)
      timers.delete(t)
    })
  })
  const urls: Record<string, string> = {}
  for (const [k, s] of [['endless', endless], ['no-tls', noTls], ['silent', silent], ['trickle', trickle]] as const) {
    track(s)
    urls[k] = `https://127.0.0.1:${await listen(s)}/rest/1/hostilesecret0123/`
  }
  return {
    ca: tls.cert,
    urls,
    close: async () => {
      for (const t of timers) clearInterval(t)
      for (const c of sockets) c.destroy()
      await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r(null)))))
    },
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, 'limit-sec': { type: 'string' }, 'rss-cap-mb': { type: 'string' } } })
  const limitSec = Number(values['limit-sec'] ?? 60)
  const capMb = Number(values['rss-cap-mb'] ?? 3000)
  const only = values.only ? new Set(values.only.split(',')) : null
  const dir = await mkdtemp(join(tmpdir(), 'b24-hostile-'))
  const data = join(dir, 'data')
  const o = { limitSec, capMb }

  // Hostile files.
  const fifo = join(dir, 'pipe.csv')
  execFileSync('mkfifo', [fifo])
  const sparse = join(dir, 'sparse.csv')
  await sparseFile(sparse)
  const wide = join(dir, 'wide.csv')
  await writeFile(wide, `${Array.from({ length: 200_000 }, (_, i) => `c${i}`).join(',')}\n${Array.from({ length: 200_000 }, () => '1').join(',')}\n`)
  const wideDup = join(dir, 'wide-dup.csv')
  await writeFile(wideDup, `TITLE,${Array.from({ length: 200_000 }, () => 'x').join(',')}\n${Array.from({ length: 200_001 }, () => '1').join(',')}\n`)
  const dupRows = join(dir, 'dup-rows.csv')
  await writeFile(dupRows, `TITLE,USERS\n${'Same,1\n'.repeat(100_000)}`)
  const big = join(dir, 'big.csv')
  await writeFile(big, `TITLE,USERS,COLOR\n${Array.from({ length: 3000 }, (_, i) => `Chat number ${i},${1 + (i % 50)},NOPE`).join('\n')}\n`)
  const sample = join(ROOT, 'resources/sample-chats.csv')
  const portals = await hostilePortals()
  const caFile = join(dir, 'ca.pem')
  await writeFile(caFile, portals.ca)

  const scenarios: [string, () => Promise<Outcome>][] = [
    ['sync-dev-zero', () => measure('sync /dev/zero --sandbox', [...CLI, 'sync', '/dev/zero', '--sandbox', '--data', data], o)],
    ['validate-dev-zero', () => measure('validate /dev/zero', [...CLI, 'validate', '/dev/zero', '--data', data], o)],
    ['sync-fifo', () => measure('sync FIFO --sandbox (SIGTERM at 8 s)', [...CLI, 'sync', fifo, '--sandbox', '--data', data], { ...o, termAfterSec: 8 })],
    ['validate-fifo', () => measure('validate FIFO', [...CLI, 'validate', fifo, '--data', data], o)],
    ['validate-proc', () => measure('validate /proc/self/status', [...CLI, 'validate', '/proc/self/status', '--data', data], o)],
    ['sync-sparse', () => measure('sync sparse 1.9 GB --sandbox', [...CLI, 'sync', sparse, '--sandbox', '--data', data], o)],
    ['validate-sparse', () => measure('validate sparse 1.9 GB', [...CLI, 'validate', sparse, '--data', data], o)],
    ['validate-wide', () => measure('validate 200,000 columns', [...CLI, 'validate', wide, '--data', data], o)],
    ['validate-wide-dup', () => measure('validate 200,000 same-name columns', [...CLI, 'validate', wideDup, '--data', data], o)],
    ['validate-wide-term', () => measure('validate 200,000 columns, SIGTERM at 8 s', [...CLI, 'validate', wideDup, '--data', data], { ...o, termAfterSec: 8 })],
    ['validate-dup-rows', () => measure('validate 100,000 equal rows', [...CLI, 'validate', dupRows, '--data', data], o)],
    ['validate-pipe', async () => {
      const file = join(dir, 'direct.json')
      const out = await open(file, 'w')
      execFileSync(process.execPath, [...CLI, 'validate', big, '--json', '--data', data], { cwd: ROOT, stdio: ['ignore', out.fd, 'ignore'] })
      await out.close()
      const whole = readFileSync(file).length
      const r = await measure('validate --json | (sleep 2; wc -c)', [], { ...o, shell: `node ${CLI.join(' ')} validate '${big}' --json --data '${data}' | (sleep 2; wc -c)` })
      return { ...r, note: `${r.note.trim()} bytes through the pipe of ${whole} to a file` }
    }],
    ['backend-avatar-zero', () => measure('app backend: AVATAR /dev/zero', ['--import', 'tsx', join(ROOT, 'test/bench/hostile-backend.ts'), 'zero'], o)],
    ['backend-avatar-fifo', () => measure('app backend: 5 × AVATAR FIFO', ['--import', 'tsx', join(ROOT, 'test/bench/hostile-backend.ts'), 'fifo'], o)],
  ]
  for (const kind of ['endless', 'no-tls', 'silent', 'trickle'] as const) {
    // One request with the transport's default bounds (first byte 75 s, the client's default): the per-request bound.
    scenarios.push([`transport-${kind}`, () => measure(`one request (transport), portal: ${kind}`, ['--import', 'tsx', join(ROOT, 'test/bench/hostile-transport.ts'), portals.urls[kind]!, caFile], { ...o, limitSec: Math.max(o.limitSec, 150) })])
    scenarios.push([`validate-${kind}`, () => measure(`validate --webhook, portal: ${kind}`, [...CLI, 'validate', sample, '--webhook', portals.urls[kind]!, '--ca', caFile, '--data', data], o)])
    scenarios.push([`validate-${kind}-term`, () => measure(`validate --webhook, portal: ${kind}, SIGTERM at 8 s`, [...CLI, 'validate', sample, '--webhook', portals.urls[kind]!, '--ca', caFile, '--data', data], { ...o, termAfterSec: 8 })])
    scenarios.push([`portal-${kind}`, () => measure(`sync --dry-run, portal: ${kind}`, [...CLI, 'sync', sample, '--webhook', portals.urls[kind]!, '--ca', caFile, '--dry-run', '--data', data], o)])
    scenarios.push([`portal-${kind}-term`, () => measure(`sync --dry-run, portal: ${kind}, SIGTERM at 8 s`, [...CLI, 'sync', sample, '--webhook', portals.urls[kind]!, '--ca', caFile, '--dry-run', '--data', data], { ...o, termAfterSec: 8 })])
  }

  const results: Outcome[] = []
  for (const [key, run] of scenarios) {
    if (only && !only.has(key)) continue
    const r = await run()
    results.push(r)
    process.stdout.write(`${r.name.padEnd(48)} peak ${String(r.peakMb).padStart(6)} MB  ${String(r.seconds).padStart(6)} s  ${r.end}${r.stopSec !== undefined ? `  stop ${r.stopSec} s` : ''}  ${r.note}\n`)
  }
  await portals.close()
  await rm(dir, { recursive: true, force: true })
}

void main()
