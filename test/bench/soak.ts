/**
 * `npm run soak` (outside CI): the long fault campaign — 10,000 rows, every fault kind, OAuth tokens expiring
 * mid-run, the sync process SIGKILLed at 20 random moments and resumed. Prints the outcome; exit 0 only when
 * there are exactly 10,000 chats, no duplicates and every row is created. SOAK_ROWS, SOAK_KILLS, SOAK_SEED and
 * SOAK_CONCURRENCY (the requests in flight the synced client allows; default the setting's default) change it.
 */
import { CONCURRENCY } from '../../electron/shared/settings'
import { runCampaign } from '../integration/sync/campaign-lib'

/** A whole number from the environment, or `fallback` when unset; anything else stops the soak with a message. */
function envInt(name: string, fallback: number, min: number, max: number): number
function envInt(name: string, fallback: undefined, min: number, max: number): number | undefined
function envInt(name: string, fallback: number | undefined, min: number, max: number): number | undefined {
  const raw = process.env[name]
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`${name} must be a whole number from ${min} to ${max}.\n`)
    process.exit(2)
  }
  return n
}

const rows = envInt('SOAK_ROWS', 10_000, 1, 1_000_000)
const kills = envInt('SOAK_KILLS', 20, 0, 1_000)
const seed = envInt('SOAK_SEED', 99, 0, 2 ** 31 - 1)
const concurrency = envInt('SOAK_CONCURRENCY', undefined, CONCURRENCY.min, CONCURRENCY.max)
const r = await runCampaign({ rows, kills, concurrency, seed, killWindowMs: [1500, 9000], log: (l) => process.stdout.write(`${l}\n`) })
process.stdout.write(`soak: rows=${rows} concurrency=${concurrency ?? 'default'} chats=${r.chats} duplicates=${r.duplicates.length} kills=${r.kills} runs=${r.runs} token_rotations=${r.rotations} faults=${JSON.stringify(r.stats.faults)} counts=${JSON.stringify(r.counts)} seconds=${r.seconds}\n`)
const ok = r.chats === rows && r.duplicates.length === 0 && r.counts.created === rows && r.finalExit === 0
process.stdout.write(ok ? 'soak: OK\n' : 'soak: FAILED\n')
process.exit(ok ? 0 : 1)
