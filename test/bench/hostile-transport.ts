/**
 * Child process of `test/bench/hostile.ts`: one request through the real transport with its default bounds and the
 * client's default first-byte timeout (75 s), to a hostile portal. Prints { kind, message, seconds }.
 *   node --import tsx test/bench/hostile-transport.ts URL CA_FILE
 */
import { readFileSync } from 'node:fs'
import { createHttpsTransport, TransportError } from '../../electron/core/portal/transport'

async function main(): Promise<void> {
  const [url, caFile] = process.argv.slice(2) as [string, string]
  const transport = createHttpsTransport({ ca: readFileSync(caFile, 'utf8') })
  const t0 = performance.now()
  let out: Record<string, unknown>
  try {
    const res = await transport({ method: 'POST', url: `${url}profile`, headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: 75_000 })
    out = { status: res.status, bytes: res.body.length }
  } catch (e) {
    out = e instanceof TransportError ? { kind: e.kind, message: e.message } : { error: String(e) }
  }
  transport.close()
  process.stdout.write(`${JSON.stringify({ ...out, seconds: Math.round((performance.now() - t0) / 100) / 10 })}\n`)
  process.exit(0)
}

void main()
