/**
 * Turns the CLI's connection options into a portal client: `--profile NAME` (credentials from the OS keychain,
 * non-secret part from --data) or `--webhook URL` (a one-off webhook, never stored), plus `--ca FILE` for a
 * portal with a private CA such as the sandbox. Shared by `validate` and `sync`.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
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
import { AppFailure } from '../shared/result'

export interface CallerOptions {
  profile?: string
  webhook?: string
  ca?: string
  data?: string
  plan?: Plan
  /** The most requests in flight (--concurrency). */
  concurrency?: number
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
  try {
    const pem = await readFile(resolve(path), 'utf8')
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new AppFailure('VALIDATION', `--ca ${path} is not a PEM certificate file.`)
    return pem
  } catch (e) {
    if (e instanceof AppFailure) throw e
    throw new AppFailure('VALIDATION', `--ca ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}).`)
  }
}

export async function resolveCaller(opts: CallerOptions): Promise<ResolvedCaller> {
  if (opts.profile && opts.webhook) throw new AppFailure('VALIDATION', 'Give either --profile or --webhook, not both.')
  const ca = await readCa(opts.ca)
  if (opts.webhook) {
    const hook = parseWebhookUrl(opts.webhook)
    if (!hook.ok) throw new AppFailure('VALIDATION', `--webhook: ${hook.message}`)
    registerSecret(hook.secret)
    const plan = opts.plan ?? 'standard'
    const client = createPortalClient({ kind: 'webhook', url: opts.webhook.trim() }, { ca, plan, concurrency: opts.concurrency, logger: opts.logger })
    return { client, ca, profile: { name: `webhook ${hook.portal}`, portal: hook.portal, plan, dedupeTagging: true, authKind: 'webhook', userId: hook.userId } }
  }
  if (opts.profile) {
    const dataDir = resolve(opts.data ?? resolveDataDir(opts.env))
    const store = new ProfileStore(dataDir, opts.secrets ?? new KeytarSecretStore())
    const profile = await store.get(opts.profile)
    const creds = await store.credentials(opts.profile)
    const plan = opts.plan ?? profile.plan
    const client = createPortalClient(creds, { ca, plan, concurrency: opts.concurrency, logger: opts.logger })
    return { client, ca, profile: { ...profile, plan } }
  }
  throw new AppFailure('VALIDATION', 'Say which portal: --profile NAME (see `b24chat profile list`) or --webhook URL.')
}
