/**
 * Child process of the fault campaign: `b24chat sync` (runSync) over OAuth against a sandbox started by the
 * parent. The "keychain" is a JSON file the parent gave: the rotated refresh token is saved there (atomically)
 * before it is used, exactly as the app's onRotate does with the OS keychain.
 */
import { readFile } from 'node:fs/promises'
import { createPortalClient } from '../../../electron/core/portal/client'
import { writeFileAtomic } from '../../../electron/core/fsutil'
import { runSync } from '../../../electron/cli/commands/sync'
import { processIO } from '../../../electron/cli/main'

interface Cfg {
  file: string
  data: string
  tokens: string
  portal: string
  ca: string
  limits: { burst: number; rps: number }
  concurrency?: number
}

const cfg = JSON.parse(process.env.CAMPAIGN ?? '{}') as Cfg
const ca = await readFile(cfg.ca, 'utf8')
const creds = JSON.parse(await readFile(cfg.tokens, 'utf8')) as { tokenUrl: string; clientId: string; clientSecret: string; accessToken: string; refreshToken: string }
const code = await runSync([cfg.file, '--data', cfg.data], processIO(), {
  lineEverySec: 1,
  clientFactory: async () => ({
    profileName: 'campaign',
    dedupeTagging: true,
    client: createPortalClient(
      {
        kind: 'oauth',
        portal: cfg.portal,
        tokenUrl: creds.tokenUrl,
        clientId: creds.clientId,
        clientSecret: creds.clientSecret,
        refreshToken: creds.refreshToken,
        accessToken: creds.accessToken,
        onRotate: async (t) => {
          await writeFileAtomic(cfg.tokens, JSON.stringify({ ...creds, accessToken: t.accessToken, refreshToken: t.refreshToken }))
          process.stdout.write('token rotated\n')
        },
      },
      { ca, timeoutMs: 1_500, limits: cfg.limits, concurrency: cfg.concurrency },
    ),
  }),
  engine: { settleMs: 400, sizing: { maxBatch: 20 } },
})
process.exit(code)
