/**
 * `npm run soak` (outside CI): the long fault campaign — 10,000 rows, every fault kind, OAuth tokens expiring
 * mid-run, the sync process SIGKILLed at 20 random moments and resumed. Prints the outcome; exit 0 only when
 * there are exactly 10,000 chats, no duplicates and every row is created.
 */
import { runCampaign } from '../integration/sync/campaign-lib'

const rows = Number(process.env.SOAK_ROWS ?? 10_000)
const kills = Number(process.env.SOAK_KILLS ?? 20)
const r = await runCampaign({ rows, kills, seed: Number(process.env.SOAK_SEED ?? 99), killWindowMs: [1500, 9000], log: (l) => process.stdout.write(`${l}\n`) })
process.stdout.write(`soak: rows=${rows} chats=${r.chats} duplicates=${r.duplicates.length} kills=${r.kills} runs=${r.runs} token_rotations=${r.rotations} faults=${JSON.stringify(r.stats.faults)} counts=${JSON.stringify(r.counts)} seconds=${r.seconds}\n`)
const ok = r.chats === rows && r.duplicates.length === 0 && r.counts.created === rows && r.finalExit === 0
process.stdout.write(ok ? 'soak: OK\n' : 'soak: FAILED\n')
process.exit(ok ? 0 : 1)
