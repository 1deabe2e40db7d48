/**
 * The app backend's avatars (issue 13, "Seen" 1 and 8; issue 12, the avatar folder): the same checks as the CLI
 * (regular files only, a size cap counted as bytes arrive, a deadline), files outside the sheet's folder only
 * once the user allowed their folder for this sheet (this session), and a folder picked for relative paths —
 * remembered per sheet, and usable in browser mode as a typed path. Unrelated calls keep answering throughout.
 */
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pngjs from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Backend } from '../../../electron/core/app/backend'
import type { BackendHost } from '../../../electron/core/app/backend'
import type { Result } from '../../../electron/shared/result'
import type { SheetRow } from '../../../electron/shared/sheet'
import { NoSecrets } from '../../helpers/no-secrets'

const { PNG } = pngjs

function png(w: number, h: number): Buffer {
  const img = new PNG({ width: w, height: h })
  img.data.fill(200)
  return PNG.sync.write(img)
}

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  return r.value
}

function error<T>(r: Result<T>): { code: string; message: string } {
  if (r.ok) throw new Error('expected an error')
  return r.error
}

let root: string
let sheets: string
let elsewhere: string
let data: string
const host = (over: Partial<BackendHost> = {}): BackendHost => ({ version: 't', platform: 'linux', locale: 'en', pickSheetFile: async () => null, openExternal: async () => {}, ...over })
const backends: Backend[] = []
const newBackend = (over: Partial<BackendHost> = {}): Backend => {
  const b = new Backend({ dataDir: data, secrets: new NoSecrets(), host: host(over) })
  backends.push(b)
  return b
}

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'b24-avatars-')))
  sheets = join(root, 'sheets')
  elsewhere = join(root, 'elsewhere')
  data = join(root, 'data')
  await mkdir(join(sheets, 'pics'), { recursive: true })
  await mkdir(elsewhere)
  await writeFile(join(sheets, 'pics', 'in.png'), png(8, 8))
  await writeFile(join(elsewhere, 'out.png'), png(9, 9))
  await symlink(join(elsewhere, 'out.png'), join(sheets, 'pics', 'link.png'))
  execFileSync('mkfifo', [join(sheets, 'pics', 'pipe.png')])
})

afterAll(async () => {
  for (const b of backends) await b.shutdown()
  await rm(root, { recursive: true, force: true })
})

const rowsOf = async (b: Backend, sheetId: string): Promise<SheetRow[]> => value(await b.sheets.rows({ sheetId, offset: 0, limit: 100 })).rows
const avatarCodes = (rows: SheetRow[]): (string | undefined)[] => rows.map((r) => r.problems.find((p) => p.field === 'AVATAR')?.code ?? (r.avatar ? `ok ${r.avatar.width}` : undefined))

const sheetText = (): string => [
  'TITLE,USERS,AVATAR',
  'Inside,1,pics/in.png',
  'Up and out,1,../elsewhere/out.png',
  `Absolute,1,${join(root, 'elsewhere', 'out.png')}`,
  'Link out,1,pics/link.png',
  'A folder,1,pics',
  'A FIFO,1,pics/pipe.png',
  'A device,1,/dev/zero',
  'Missing,1,pics/none.png',
].join('\n')

/** `path` null: an upload without a path (browser mode). */
async function importSample(b: Backend, text = sheetText(), path: string | null = join(sheets, 'chats.csv')): Promise<string> {
  if (path) await writeFile(path, text)
  return value(await b.sheets.import({ name: 'chats.csv', bytes: new TextEncoder().encode(text), ...(path ? { path } : {}) })).sheetId
}

describe('avatars outside the sheet’s folder need consent', () => {
  it('refuses ../, absolute paths and symlinks out, saying where avatars may come from; folders, FIFOs and devices get their own message', async () => {
    const b = newBackend()
    const id = await importSample(b)
    const rows = await rowsOf(b, id)
    expect(avatarCodes(rows)).toEqual(['ok 8', 'AVATAR_OUTSIDE', 'AVATAR_OUTSIDE', 'AVATAR_OUTSIDE', 'AVATAR_NOT_A_FILE', 'AVATAR_NOT_A_FILE', 'AVATAR_OUTSIDE', 'AVATAR_NOT_FOUND'])
    const outside = rows[1]!.problems[0]!
    expect(outside.message).toBe(`../elsewhere/out.png is in ${elsewhere}, outside the folders avatars may come from (${sheets}). Allow that folder when the app asks (Import → Avatar folders), or pass --avatars-from to b24chat.`)
    expect(outside.messageRu).toContain('аватары можно брать только из')
    expect(rows[4]!.problems[0]!.message).toBe('pics is a folder, not an image file.')
    expect(rows[5]!.problems[0]!.message).toBe('pics/pipe.png is a named pipe (FIFO), not an image file.')
    const f = value(await b.sheets.avatarFolders({ sheetId: id }))
    expect(f).toEqual({ sheetFolder: sheets, picked: null, allowed: [sheets], outside: [{ folder: elsewhere, rows: 3 }, { folder: '/dev', rows: 1 }], unresolved: 0, canPick: false })
    // Nothing outside is touched before consent, not even to see whether it exists.
    const probe = await importSample(b, `TITLE,USERS,AVATAR\nX,1,${join(root, 'no-such-dir', 'x.png')}\n`, join(sheets, 'probe.csv'))
    expect(avatarCodes(await rowsOf(b, probe))).toEqual(['AVATAR_OUTSIDE'])
  })

  it('allows only folders the sheet asked for; once allowed (this session), their images are read, and a device is a device', async () => {
    const b = newBackend()
    const id = await importSample(b)
    expect(error(await b.sheets.allowAvatarFolders({ sheetId: id, folders: ['/etc'] }))).toMatchObject({ code: 'VALIDATION', message: 'This sheet does not ask for the folder /etc.' })
    value(await b.sheets.allowAvatarFolders({ sheetId: id, folders: [elsewhere, '/dev'] }))
    expect(avatarCodes(await rowsOf(b, id))).toEqual(['ok 8', 'ok 9', 'ok 9', 'ok 9', 'AVATAR_NOT_A_FILE', 'AVATAR_NOT_A_FILE', 'AVATAR_NOT_A_FILE', 'AVATAR_NOT_FOUND'])
    expect((await rowsOf(b, id))[6]!.problems[0]!.message).toBe('/dev/zero is a device, not an image file.')
    expect(value(await b.sheets.avatarFolders({ sheetId: id })).outside).toEqual([])
    // The same sheet opened again in this session keeps the consent; a new session asks again.
    expect(avatarCodes(await rowsOf(b, await importSample(b)))[1]).toBe('ok 9')
    const next = newBackend()
    expect(avatarCodes(await rowsOf(next, await importSample(next)))[1]).toBe('AVATAR_OUTSIDE')
  })

  it('an AVATAR of /dev/zero and five FIFOs: each a quick per-row error, and unrelated calls keep answering', async () => {
    const b = newBackend()
    const dir = join(root, 'fifos')
    await mkdir(dir)
    const lines = ['TITLE,USERS,AVATAR', 'Zero,1,/dev/zero']
    for (let i = 0; i < 5; i++) {
      execFileSync('mkfifo', [join(dir, `p${i}.png`)])
      lines.push(`Pipe ${i},1,p${i}.png`)
    }
    const text = lines.join('\n')
    const id = await importSample(b, text, join(dir, 'fifos.csv'))
    value(await b.sheets.allowAvatarFolders({ sheetId: id, folders: ['/dev'] }))
    const imports = Promise.all([1, 2, 3, 4, 5].map(() => importSample(b, text, join(dir, 'fifos.csv'))))
    // While five imports read the same hostile files, the backend answers everything else.
    for (const call of [b.app.info(), b.jobs.list(), b.profiles.list(), b.settings.get()]) expect((await call).ok).toBe(true)
    for (const sheetId of await imports) expect(avatarCodes(await rowsOf(b, sheetId))).toEqual(Array(6).fill('AVATAR_NOT_A_FILE'))
  })
})

describe('the avatar folder picked for a sheet', () => {
  const RELATIVE = 'TITLE,USERS,AVATAR\nA,1,in.png\nB,1,in.png\nC,1,\n'

  it('browser mode (an upload has no folder): relative paths need a folder; a typed full path is checked, used and remembered', async () => {
    const b = newBackend()
    const id = await importSample(b, RELATIVE, null)
    expect(avatarCodes(await rowsOf(b, id))).toEqual(['AVATAR_NO_FOLDER', 'AVATAR_NO_FOLDER', undefined])
    expect(value(await b.sheets.avatarFolders({ sheetId: id }))).toMatchObject({ sheetFolder: null, picked: null, allowed: [], unresolved: 2, canPick: false })
    expect(error(await b.sheets.setAvatarFolder({ sheetId: id }))).toMatchObject({ code: 'NOT_FOUND', message: "There is no folder dialog here: type the folder's full path instead." })
    expect(error(await b.sheets.setAvatarFolder({ sheetId: id, folder: 'pics' }))).toMatchObject({ code: 'VALIDATION', message: expect.stringContaining("Give the folder's full path") })
    expect(error(await b.sheets.setAvatarFolder({ sheetId: id, folder: join(root, 'nope') }))).toMatchObject({ code: 'VALIDATION', message: `${join(root, 'nope')} is not a folder on this computer.` })
    value(await b.sheets.setAvatarFolder({ sheetId: id, folder: ` ${join(sheets, 'pics')} ` }))
    expect(avatarCodes(await rowsOf(b, id))).toEqual(['ok 8', 'ok 8', undefined])
    expect(value(await b.sheets.avatarFolders({ sheetId: id }))).toMatchObject({ picked: join(sheets, 'pics'), allowed: [join(sheets, 'pics')], unresolved: 0 })
    // The next upload of the same sheet, even after a restart, uses it.
    const later = newBackend()
    expect(avatarCodes(await rowsOf(later, await importSample(later, RELATIVE, null)))).toEqual(['ok 8', 'ok 8', undefined])
    // '' forgets it.
    value(await later.sheets.setAvatarFolder({ sheetId: await importSample(later, RELATIVE, null), folder: '' }))
    expect(avatarCodes(await rowsOf(later, await importSample(later, RELATIVE, null)))[0]).toBe('AVATAR_NO_FOLDER')
  })

  it('desktop: the host’s folder dialog picks it (cancel changes nothing); the sheet’s folder stays allowed too', async () => {
    let answer: string | null = null
    const b = newBackend({ pickFolder: async () => answer })
    const text = 'TITLE,USERS,AVATAR\nA,1,out.png\nB,1,pics/in.png\n'
    const id = await importSample(b, text, join(sheets, 'elsewhere-avatars.csv'))
    expect(avatarCodes(await rowsOf(b, id))).toEqual(['AVATAR_NOT_FOUND', 'ok 8'])
    expect(value(await b.sheets.avatarFolders({ sheetId: id })).canPick).toBe(true)
    expect(value(await b.sheets.setAvatarFolder({ sheetId: id }))).toBeNull()
    answer = elsewhere
    value(await b.sheets.setAvatarFolder({ sheetId: id }))
    // Relative paths now resolve against the picked folder; "pics/in.png" is not there.
    expect(avatarCodes(await rowsOf(b, id))).toEqual(['ok 9', 'AVATAR_NOT_FOUND'])
    expect(value(await b.sheets.avatarFolders({ sheetId: id }))).toMatchObject({ sheetFolder: sheets, picked: elsewhere, allowed: [sheets, elsewhere] })
  })
})

describe('the sheet itself', () => {
  it('the open dialog reads through the same bounds: a device or a FIFO is refused with its own message', async () => {
    let path: string | null = '/dev/zero'
    const b = newBackend({ pickSheetFile: async () => path })
    expect(error(await b.sheets.openDialog())).toMatchObject({ code: 'VALIDATION', message: 'zero: This is a device, not a file. Open a sheet saved as a file (.csv).' })
    path = join(sheets, 'pics', 'pipe.png')
    expect(error(await b.sheets.openDialog()).message).toContain('a named pipe (FIFO), not a file')
    path = join(sheets, 'chats.csv')
    expect(value(await b.sheets.openDialog())?.summary.rows).toBe(8)
  })
})
