/**
 * `npm run smoke:electron` / `npm run smoke:web`: the smoke journey (test/smoke/journey.ts) in one shell, outside
 * `npm test`. Build first (`npm run build`). Exits 0 when the journey passed.
 */
import { runSmokeJourney } from '../test/smoke/journey'
import type { OpenShell } from '../test/smoke/shells'
import { openElectron, openWeb } from '../test/smoke/shells'

async function main(): Promise<number> {
  const which = process.argv[2]
  if (which !== 'electron' && which !== 'web') {
    process.stderr.write('Usage: node --import tsx scripts/smoke.ts electron|web\n')
    return 2
  }
  const shell: OpenShell = which === 'electron' ? await openElectron() : await openWeb()
  try {
    const report = await runSmokeJourney(shell)
    process.stdout.write(`smoke: ${JSON.stringify(report)}\n`)
    return 0
  } finally {
    await shell.close()
  }
}

void main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    process.exit(1)
  },
)
