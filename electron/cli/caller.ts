/**
 * Turns the CLI's connection options into a portal client: `--profile NAME` (credentials from the OS keychain,
 * non-secret part from --data) or `--webhook URL` (a one-off webhook, never stored), plus `--ca FILE` for a
 * portal with a private CA such as the sandbox. Shared by `validate` and `sync`.
 */
import { resolve } from 'node:path'
import { BoundedReadError, readBounded } from '../core/bounded-read'
import type { PortalClient } from '../core/portal/client'
import { createPortalClient } from '../core/portal/client'
import { resolveDataDir } from '../core/paths'
import { ProfileStore } from '../core/profiles/profile-store'
import type { SecretStore } from '../core/profiles/secret-store'
import { registerSecret } from '../core/redact'
import type { Logger } from '../core/redact'
import { KeytarSecretStore } from '../keychain/keytar-store'
import type { Plan, Profile } from '../shared/profile'
import { parseWebhookUrl } from '../shared/profile'
import { INPUT_LIMITS } from '../shared/limits'
import { AppFailure } from '../shared/result'

export interface CallerOptions {
  profile?: string
  webhook?: string
  ca?: string
  data?: string
  plan?: Plan
  env?: NodeJS.ProcessEnv
  logger?: Logger
  secrets?: SecretStore
}

export interface ResolvedCaller {
  client: PortalClient
  /** The stored profile, or a transient description of the --webhook connection. */
  profile: Pick<Profile, 'name' | 'portal' | 'plan' | 'dedupeTagging' | 'authKind'> & { userId: number | null }
  ca?: string
}

export async function readCa(path: string | undefined): Promise<string | undefined> {
  if (!path) return undefined
  let bytes: Uint8Array
  try {
    // Bounded like every file named on the command line: --ca /dev/zero is refused, not read forever.
    bytes = await readBounded(resolve(path), { maxBytes: INPUT_LIMITS.smallFileBytes, timeoutMs: INPUT_LIMITS.avatarReadMs })
  } catch (e) {
    const f = e instanceof BoundedReadError ? e.failure : null
    const why = !f ? 'error' : f.reason === 'not-file' ? `it is not a regular file: ${f.kind}` : f.reason === 'too-large' ? 'it is larger than 1 MB' : f.reason === 'io' ? f.code : f.reason
    throw new AppFailure('VALIDATION', `--ca ${path} cannot be read (${why}).`)
  }
  const pem = Buffer.from(bytes).toString('utf8')
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new AppFailure('VALIDATION', `--ca ${path} is not a PEM certificate file.`)
  return pem
}

export async function resolveCaller(opts: CallerOptions): Promise<ResolvedCaller> {
  if (opts.profile && opts.webhook) throw new AppFailure('VALIDATION', 'Give either --profile or --webhook, not both.')
  const ca = await readCa(opts.ca)
  if (opts.webhook) {
    const hook = parseWebhookUrl(opts.webhook)
    if (!hook.ok) throw new AppFailure('VALIDATION', `--webhook: ${hook.message}`)
    registerSecret(hook.secret)
    const plan = opts.plan ?? 'standard'
    const client = createPortalClient({ kind: 'webhook', url: opts.webhook.trim() }, { ca, plan, logger: opts.logger })
    return { client, ca, profile: { name: `webhook ${hook.portal}`, portal: hook.portal, plan, dedupeTagging: true, authKind: 'webhook', userId: hook.userId } }
  }
  if (opts.profile) {
    const dataDir = resolve(opts.data ?? resolveDataDir(opts.env))
    const store = new ProfileStore(dataDir, opts.secrets ?? new KeytarSecretStore())
    const profile = await store.get(opts.profile)
    const creds = await store.credentials(opts.profile)
    const plan = opts.plan ?? profile.plan
    const client = createPortalClient(creds, { ca, plan, logger: opts.logger })
    return { client, ca, profile: { ...profile, plan } }
  }
  throw new AppFailure('VALIDATION', 'Say which portal: --profile NAME (see `b24chat profile list`) or --webhook URL.')
}
