import { resolve } from 'node:path'
import { resolveDataDir } from '../../core/paths'
import { ProfileStore } from '../../core/profiles/profile-store'
import type { SecretStore } from '../../core/profiles/secret-store'
import { KeytarSecretStore } from '../../keychain/keytar-store'
import { PLANS } from '../../shared/profile'
import type { Plan } from '../../shared/profile'
import { AppFailure } from '../../shared/result'
import { parseCommandArgs, readStdin } from '../args'
import type { CliCommand, CliIO } from '../types'
import { EXIT } from '../types'

const USAGE = `Usage:
  b24chat profile add NAME --webhook-stdin [--plan standard|enterprise] [--no-tagging] [--data DIR]
      Reads the inbound webhook URL (https://PORTAL/rest/USER_ID/SECRET/) from standard input, so it never
      lands in your shell history:  printf '%s' "$URL" | b24chat profile add "Main portal" --webhook-stdin
  b24chat profile list [--data DIR] [--json]
  b24chat profile remove NAME [--data DIR]

The webhook secret is stored only in the OS keychain; the data folder keeps the portal, user and plan.`

/** Built per call so tests can inject a secret store. */
export function makeProfileCommand(secretStore: () => SecretStore = () => new KeytarSecretStore()): CliCommand {
  return {
    name: 'profile',
    summary: 'Add, list or remove portal profiles',
    usage: USAGE,
    async run(argv: string[], io: CliIO): Promise<number> {
      const parsed = parseCommandArgs(argv, {
        'webhook-stdin': { type: 'boolean' },
        plan: { type: 'string' },
        data: { type: 'string' },
        json: { type: 'boolean' },
        'no-tagging': { type: 'boolean' },
      }, USAGE, io)
      if ('exit' in parsed) return parsed.exit
      const { values, positionals } = parsed
      const [sub, name, ...extra] = positionals
      const dataDir = resolve(typeof values.data === 'string' ? values.data : resolveDataDir(io.env))
      const store = new ProfileStore(dataDir, secretStore())
      const failWith = (e: unknown): number => {
        const msg = e instanceof AppFailure ? e.appError.message : e instanceof Error ? e.message : String(e)
        io.stderr.write(`Error: ${msg}\n`)
        return e instanceof AppFailure && e.appError.code === 'VALIDATION' ? EXIT.USAGE : EXIT.FAILURE
      }
      if (extra.length) {
        io.stderr.write(`Unexpected argument "${extra[0]}". Quote a profile name that has spaces.\n\n${USAGE}\n`)
        return EXIT.USAGE
      }
      try {
        switch (sub) {
          case 'add': {
            if (!name) throw new AppFailure('VALIDATION', 'Give the profile a name: b24chat profile add NAME --webhook-stdin')
            if (!values['webhook-stdin']) throw new AppFailure('VALIDATION', 'Pass --webhook-stdin and pipe the webhook URL in (it is never accepted as an argument, to keep it out of shell history).')
            const plan = (values.plan ?? 'standard') as string
            if (!(PLANS as readonly string[]).includes(plan)) throw new AppFailure('VALIDATION', `--plan must be standard or enterprise, not "${plan}".`)
            if (io.stdin.isTTY) io.stderr.write('Paste the webhook URL and press Ctrl+D:\n')
            const url = (await readStdin(io.stdin)).trim()
            const view = await store.add({ kind: 'webhook', name, webhookUrl: url, plan: plan as Plan, dedupeTagging: !values['no-tagging'] })
            io.stdout.write(`Added profile "${view.name}": ${view.portal} as user ${view.userId}, plan ${view.plan}. The secret is in the ${store.secrets.label}.\n`)
            return EXIT.OK
          }
          case 'list': {
            const views = await store.views()
            if (values.json) {
              io.stdout.write(`${JSON.stringify(views, null, 2)}\n`)
              return EXIT.OK
            }
            if (!views.length) {
              io.stdout.write(`No profiles in ${dataDir}. Add one with: b24chat profile add NAME --webhook-stdin\n`)
              return EXIT.OK
            }
            for (const v of views) {
              const key = v.keychainError ? `keychain: ${v.keychainError}` : v.hasSecret ? 'secret in keychain' : 'secret MISSING from keychain'
              io.stdout.write(`${v.name}\t${v.portal}\t${v.authKind}\tuser ${v.userId ?? '?'}\t${v.plan}\t${key}\n`)
            }
            return EXIT.OK
          }
          case 'remove': {
            if (!name) throw new AppFailure('VALIDATION', 'Which profile? b24chat profile remove NAME')
            await store.remove(name)
            io.stdout.write(`Removed profile "${name}" and its keychain entry.\n`)
            return EXIT.OK
          }
          default:
            io.stderr.write(`${sub ? `Unknown subcommand "${sub}".` : 'Missing subcommand.'}\n\n${USAGE}\n`)
            return EXIT.USAGE
        }
      } catch (e) {
        return failWith(e)
      }
    },
  }
}

export const profileCommand = makeProfileCommand()
