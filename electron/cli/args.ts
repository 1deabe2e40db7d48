import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { ParseArgsConfig } from 'node:util'
import type { CliIO } from './types'
import { EXIT } from './types'

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * parseArgs with the CLI's conventions: unknown options and missing values become a clear message and
 * exit code 2 (returned as `{ exit }`), --help prints the usage.
 */
export function parseCommandArgs<O extends Options>(
  argv: string[],
  options: O,
  usage: string,
  io: CliIO,
): { values: Record<string, string | boolean | string[] | boolean[] | undefined>; positionals: string[] } | { exit: number } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } } as Options, allowPositionals: true, strict: true })
    if ((values as Record<string, unknown>).help) {
      io.stdout.write(`${usage}\n`)
      return { exit: EXIT.OK }
    }
    return { values: values as Record<string, string | boolean | string[] | boolean[] | undefined>, positionals }
  } catch (e) {
    io.stderr.write(`${(e as Error).message}\n\n${usage}\n`)
    return { exit: EXIT.USAGE }
  }
}

/** Reads all of stdin as text (for secrets passed by pipe, so they never land in shell history). */
export async function readStdin(stdin: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

/** The `--avatars-from DIR` option (repeatable) of the commands that read a sheet's avatars. */
export const AVATARS_FROM_OPTION = { 'avatars-from': { type: 'string', multiple: true } } as const

/**
 * The folders given with --avatars-from, as full paths: avatar files outside the sheet's folder are read only from
 * these (issue 13). A value that is not a folder is a usage error, returned as its message.
 */
export async function avatarFoldersFrom(values: Record<string, unknown>): Promise<{ folders: string[] } | { error: string }> {
  const folders: string[] = []
  for (const dir of (values['avatars-from'] as string[] | undefined) ?? []) {
    const full = resolve(dir)
    const isDir = await stat(full).then((st) => st.isDirectory(), () => false)
    if (!isDir) return { error: `--avatars-from ${dir}: not a folder.` }
    folders.push(full)
  }
  return { folders }
}
