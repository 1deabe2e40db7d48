import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseFaults, startSandbox } from '../../sandbox/index'
import type { SandboxOptions } from '../../sandbox/index'
import { parseCommandArgs } from '../args'
import type { CliCommand, CliIO } from '../types'
import { EXIT } from '../types'

const USAGE = `Usage:
  b24chat sandbox [--port N] [--plan standard|enterprise] [--burst N] [--rps N]
                  [--operating-limit SEC] [--operating-window SEC] [--ban-mode] [--batch-billing docs|batch-half]
                  [--latency-ms N] [--token-ttl SEC] [--users N] [--seed N] [--workers N] [--queue N]
                  [--faults http500=P,html=P,reset-after-commit=P,timeout=P,qle=P]
                  [--state FILE] [--ca-file FILE] [--http]

Runs the local Bitrix24-compatible sandbox portal on https://127.0.0.1:PORT (0 = any free port) until
Ctrl+C / SIGTERM. Prints the webhook URL, the CA file to trust (NODE_EXTRA_CA_CERTS=…; a temporary file removed
when the sandbox stops, unless --ca-file FILE names where to keep it), the X-Sandbox-Admin token for /_sandbox/ and
the OAuth app, one per line. --state keeps chats and credentials across restarts.
--workers N: requests the portal runs at once (default 8; 0 = unlimited); more wait in a queue of --queue N
(default 8 × workers) and a full queue answers 503 with an HTML page. See electron/sandbox/README.md.`

function num(name: string, v: unknown, opts: { int?: boolean; min?: number } = {}): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || n < (opts.min ?? 0)) {
    throw new RangeError(`--${name} must be a ${opts.int ? 'whole ' : ''}number${opts.min !== undefined && opts.min > 0 ? ` ≥ ${opts.min}` : ' ≥ 0'}`)
  }
  return n
}

export const sandboxCommand: CliCommand = {
  name: 'sandbox',
  summary: 'Run the local Bitrix24-compatible sandbox portal (HTTPS on 127.0.0.1)',
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const parsed = parseCommandArgs(argv, {
      port: { type: 'string' },
      plan: { type: 'string' },
      burst: { type: 'string' },
      rps: { type: 'string' },
      'operating-limit': { type: 'string' },
      'operating-window': { type: 'string' },
      'ban-mode': { type: 'boolean' },
      'batch-billing': { type: 'string' },
      'latency-ms': { type: 'string' },
      'token-ttl': { type: 'string' },
      users: { type: 'string' },
      workers: { type: 'string' },
      queue: { type: 'string' },
      faults: { type: 'string' },
      seed: { type: 'string' },
      state: { type: 'string' },
      'ca-file': { type: 'string' },
      http: { type: 'boolean' },
    }, USAGE, io)
    if ('exit' in parsed) return parsed.exit
    const { values: v, positionals } = parsed
    let opts: SandboxOptions
    try {
      if (positionals.length) throw new RangeError(`unexpected argument "${positionals[0]}"`)
      const plan = v.plan
      if (plan !== undefined && plan !== 'standard' && plan !== 'enterprise') throw new RangeError('--plan must be standard or enterprise')
      const billing = v['batch-billing']
      if (billing !== undefined && billing !== 'docs' && billing !== 'batch-half') throw new RangeError('--batch-billing must be docs or batch-half')
      const port = num('port', v.port, { int: true })
      if (port !== undefined && port > 65535) throw new RangeError('--port must be 0..65535')
      opts = {
        port: port ?? 0,
        plan: plan as SandboxOptions['plan'],
        burst: num('burst', v.burst, { min: 1 }),
        rps: num('rps', v.rps, { min: 0.001 }),
        operatingLimitSec: num('operating-limit', v['operating-limit'], { min: 0.001 }),
        operatingWindowSec: num('operating-window', v['operating-window'], { min: 1 }),
        banMode: v['ban-mode'] === true,
        batchBilling: billing as SandboxOptions['batchBilling'],
        latencyMs: num('latency-ms', v['latency-ms']),
        tokenTtlSec: num('token-ttl', v['token-ttl'], { min: 1 }),
        users: num('users', v.users, { int: true, min: 1 }),
        workers: num('workers', v.workers, { int: true }),
        queueLimit: num('queue', v.queue, { int: true }),
        seed: num('seed', v.seed, { int: true }),
        faults: typeof v.faults === 'string' ? parseFaults(v.faults) : undefined,
        stateFile: typeof v.state === 'string' ? resolve(v.state) : undefined,
        http: v.http === true,
      }
    } catch (e) {
      io.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`)
      return EXIT.USAGE
    }
    let sandbox
    try {
      sandbox = await startSandbox(opts)
    } catch (e) {
      io.stderr.write(`Could not start the sandbox: ${(e as Error).message}\n`)
      return EXIT.FAILURE
    }
    // Without --ca-file the CA goes to a folder of its own, removed when the sandbox stops: nothing is left in the
    // temp folder run after run. --ca-file FILE is the user's file and stays (a sandbox with --state keeps its CA).
    let caTempDir: string | undefined
    try {
      let caFile: string
      if (typeof v['ca-file'] === 'string') caFile = resolve(v['ca-file'])
      else {
        caTempDir = mkdtempSync(join(tmpdir(), 'b24chat-sandbox-'))
        caFile = join(caTempDir, 'sandbox-ca.pem')
      }
      writeFileSync(caFile, sandbox.caPem)
      const o = sandbox.oauth
      const lines = [
        `webhook: ${sandbox.webhookUrl}`,
        `ca: ${caFile}`,
        `admin: ${sandbox.adminToken}`,
        `oauth-token-url: ${o.tokenUrl}`,
        `oauth-client-id: ${o.clientId}`,
        `oauth-client-secret: ${o.clientSecret}`,
        `oauth-access-token: ${o.accessToken}`,
        `oauth-refresh-token: ${o.refreshToken}`,
      ]
      if (sandbox.httpOrigin) lines.push(`http: ${sandbox.httpOrigin}`)
      io.stdout.write(lines.join('\n') + '\n')
      await io.interrupted
      return EXIT.OK
    } catch (e) {
      io.stderr.write(`Sandbox failed: ${(e as Error).message}\n`)
      return EXIT.FAILURE
    } finally {
      await sandbox.close()
      if (caTempDir) rmSync(caTempDir, { recursive: true, force: true })
    }
  },
}
