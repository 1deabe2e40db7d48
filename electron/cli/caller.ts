/**
 * Turns the CLI's connection options into a portal client: `--profile NAME` (credentials from the OS keychain,
 * non-secret part from --data), `--webhook-stdin` (a one-off webhook read from standard input, never stored and
 * never in the process list) or `--webhook URL` (the same, but visible to other users in the process list: it
 * warns), plus `--ca FILE` for a portal with a private CA such as the sandbox. Shared by `validate` and `sync`.
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
import { readStdin } from './args'
import type { Plan, Profile } from '../shared/profile'
import { parseWebhookUrl } from '../shared/profile'
import { INPUT_LIMITS } from '../shared/limits'
import { AppFailure } from '../shared/result'

export interface CallerOptions {
  profile?: string
  webhook?: string
  /** Read the one-off webhook URL from this stream (--webhook-stdin): it never shows in the process list. */
  webhookStdin?: NodeJS.ReadableStream & { isTTY?: boolean }
  /** Where warnings go (stderr). */
  warn?: (line: string) => void
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

/** The connection options every command that talks to a portal accepts (node:util parseArgs format). */
export const CONNECTION_OPTIONS = {
  profile: { type: 'string' },
  webhook: { type: 'string' },
  'webhook-stdin': { type: 'boolean' },
  ca: { type: 'string' },
} as const

export const WEBHOOK_ARG_WARNING =
  'Warning: --webhook URL shows the webhook secret in the process list (ps) and your shell history, where other users of this machine may see it. Pipe it in with --webhook-stdin instead, or store it once with `b24chat profile add NAME --webhook-stdin`.'

/** Reads the one-off webhook URL from standard input (--webhook-stdin). */
async function webhookFromStdin(stdin: NonNullable<CallerOptions['webhookStdin']>, warn?: (line: string) => void): Promise<string> {
  if (stdin.isTTY) warn?.('Paste the webhook URL and press Ctrl+D:')
  const url = (await readStdin(stdin)).trim()
  if (!url) throw new AppFailure('VALIDATION', '--webhook-stdin: standard input was empty. Pipe the webhook URL in, e.g. printf \'%s\' "$WEBHOOK_URL" | b24chat …')
  return url
}

export async function resolveCaller(opts: CallerOptions): Promise<ResolvedCaller> {
  if ([opts.profile, opts.webhook, opts.webhookStdin].filter(Boolean).length > 1) throw new AppFailure('VALIDATION', 'Give one of --profile, --webhook-stdin or --webhook, not several.')
  const ca = await readCa(opts.ca)
  if (opts.webhook) opts.warn?.(WEBHOOK_ARG_WARNING)
  const webhook = opts.webhookStdin ? await webhookFromStdin(opts.webhookStdin, opts.warn) : opts.webhook
  if (webhook) {
    const flag = opts.webhookStdin ? '--webhook-stdin' : '--webhook'
    const hook = parseWebhookUrl(webhook)
    if (!hook.ok) throw new AppFailure('VALIDATION', `${flag}: ${hook.message}`)
    registerSecret(hook.secret)
    const plan = opts.plan ?? 'standard'
    const client = createPortalClient({ kind: 'webhook', url: webhook.trim() }, { ca, plan, concurrency: opts.concurrency, logger: opts.logger })
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
  throw new AppFailure('VALIDATION', 'Say which portal: --profile NAME (see `b24chat profile list`) or --webhook-stdin.')
}
