/**
 * The CLI on hostile input (issue 13, "Seen" 1 and 7): a device, a FIFO, a folder, a sparse 1.9 GB file and
 * 200,000 columns each get a clear refusal; avatars outside the sheet's folder need --avatars-from; piped JSON
 * arrives whole; SIGINT/SIGTERM stop a command (and a second one forces it); stdout is drained before exit.
 */
import { execFileSync, spawn } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:https'
import type { Server } from 'node:https'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import pngjs from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readCa } from '../../../electron/cli/caller'
import { jsonChunks, rowJson } from '../../../electron/cli/commands/validate'
import { exitWhenDrained, processIO, runCli, STOP_GRACE_MS } from '../../../electron/cli/main'
import type { CliIO } from '../../../electron/cli/types'
import { importSheet } from '../../../electron/core/import'
import { AppFailure } from '../../../electron/shared/result'
import { sandboxCertificate } from '../../../electron/sandbox/tls'
import { sparseFile } from '../../helpers/files'

const ROOT = join(__dirname, '../../..')
const CLI = ['--import', 'tsx', join(ROOT, 'electron/cli/main.ts')]
const SAMPLE = join(ROOT, 'resources/sample-chats.csv')

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'b24-cli-bounds-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function memIO(extra: Partial<CliIO> = {}): CliIO & { out: () => string; err: () => string } {
  let out = ''
  let err = ''
  const stdout = new PassThrough()
  stdout.on('data', (d: Buffer) => (out += d.toString()))
  const stderr = new PassThrough()
  stderr.on('data', (d: Buffer) => (err += d.toString()))
  return { stdout, stderr, stdin: new PassThrough(), env: {}, interrupted: new Promise(() => {}), ...extra, out: () => out, err: () => err }
}

const validate = async (...args: string[]) => {
  const io = memIO()
  const code = await runCli(['validate', ...args, '--data', join(dir, 'data')], io)
  return { code, out: io.out(), err: io.err() }
}

describe('validate refuses what is not a sheet file, with a clear message', () => {
  it('/dev/zero, a FIFO, a folder, a missing file', async () => {
    expect(await validate('/dev/zero')).toMatchObject({ code: 1, err: '/dev/zero: This is a device, not a file. Open a sheet saved as a file (.csv).\n' })
    const fifo = join(dir, 'pipe.csv')
    execFileSync('mkfifo', [fifo])
    expect(await validate(fifo)).toMatchObject({ code: 1, err: `${fifo}: This is a named pipe (FIFO), not a file. Open a sheet saved as a file (.csv).\n` })
    expect((await validate(dir)).err).toContain('This is a folder, not a file')
    expect(await validate(join(dir, 'nope.csv'))).toMatchObject({ code: 1, err: `${join(dir, 'nope.csv')}: No such file.\n` })
  })

  it('a sparse 1.9 GB file is refused by its size without being read', async () => {
    const sparse = join(dir, 'sparse.csv')
    await sparseFile(sparse)
    expect(await validate(sparse)).toMatchObject({ code: 1, err: `${sparse}: The file is 1945.6 MB; the limit is 50.0 MB. Split it into smaller sheets.\n` })
  })

  it('200,000 header columns: refused at once, naming the limit', async () => {
    const wide = join(dir, 'wide.csv')
    await writeFile(wide, `${Array.from({ length: 200_000 }, (_, i) => `c${i}`).join(',')}\n${Array.from({ length: 200_000 }, () => '1').join(',')}\n`)
    const r = await validate(wide)
    expect(r.code).toBe(1)
    expect(r.err).toContain('The header row has 200000 columns; the limit is 1000.')
  })

  it('avatars outside the sheet’s folder need --avatars-from; a non-folder there is a usage error', async () => {
    const sheets = join(dir, 'sheets')
    const pics = join(dir, 'pics')
    await mkdir(sheets)
    await mkdir(pics)
    const img = new pngjs.PNG({ width: 4, height: 4 })
    await writeFile(join(pics, 'a.png'), pngjs.PNG.sync.write(img))
    const sheet = join(sheets, 'chats.csv')
    await writeFile(sheet, 'TITLE,USERS,AVATAR\nA,1,../pics/a.png\n')
    const refused = await validate(sheet, '--json')
    expect(JSON.parse(refused.out).rows[0].problems[0]).toMatchObject({ code: 'AVATAR_OUTSIDE', message: expect.stringContaining(`outside the folders avatars may come from (${sheets})`) })
    const allowed = await validate(sheet, '--json', '--avatars-from', pics)
    expect(JSON.parse(allowed.out).rows[0]).toMatchObject({ status: 'ready', params: { AVATAR: expect.stringMatching(/^<base64, \d+ bytes, image\/png 4×4>$/) } })
    expect(await validate(sheet, '--avatars-from', join(dir, 'nope'))).toMatchObject({ code: 2, err: expect.stringContaining('--avatars-from') })
  })
})

describe('--ca FILE', () => {
  it('is read through the same bounds: a device or a huge file is refused, a PEM is read', async () => {
    await expect(readCa('/dev/zero')).rejects.toMatchObject({ appError: { code: 'VALIDATION', message: '--ca /dev/zero cannot be read (it is not a regular file: device).' } })
    const big = join(dir, 'big.pem')
    await writeFile(big, 'x'.repeat(2 * 1024 * 1024))
    await expect(readCa(big)).rejects.toMatchObject({ appError: { message: `--ca ${big} cannot be read (it is larger than 1 MB).` } })
    const pem = join(dir, 'ca.pem')
    await writeFile(pem, (await sandboxCertificate()).cert)
    expect(await readCa(pem)).toContain('-----BEGIN CERTIFICATE-----')
  })
})

describe('validate --json', () => {
  it('is written one row at a time, exactly as JSON.stringify(doc, null, 2) would write it', async () => {
    const bytes = await readFile(SAMPLE)
    const sheet = await importSheet(bytes, { fileName: 'sample-chats.csv', dir: join(ROOT, 'resources') })
    const doc = {
      file: 'x.csv', encoding: sheet.meta.encoding, delimiter: sheet.meta.delimiter, format: sheet.meta.format ?? 'csv', headers: sheet.meta.headers, mapping: sheet.meta.mapping,
      fileProblems: sheet.fileProblems.map((p) => ({ field: p.field, code: p.code, severity: p.severity, message: p.message })),
      rows: sheet.allRows().map((r) => rowJson(r)),
      summary: { ready: sheet.summary.ready, warning: sheet.summary.warning, error: sheet.summary.error },
    }
    expect([...jsonChunks(sheet, 'x.csv')].join('')).toBe(`${JSON.stringify(doc, null, 2)}\n`)
    const empty = await importSheet(new TextEncoder().encode('TITLE,USERS\n'), { fileName: 'e.csv' })
    expect(JSON.parse([...jsonChunks(empty, 'e.csv')].join(''))).toMatchObject({ rows: [], summary: { ready: 0 } })
  })

  it('piped into a slow reader, arrives whole (> 64 KiB): stdout is drained before exit', async () => {
    const big = join(dir, 'big.csv')
    await writeFile(big, `TITLE,USERS,COLOR\n${Array.from({ length: 1500 }, (_, i) => `Chat number ${i},${1 + (i % 50)},NOPE`).join('\n')}\n`)
    const child = spawn(process.execPath, [...CLI, 'validate', big, '--json', '--data', join(dir, 'data')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    // Nobody reads for a second: the pipe fills at 64 KiB and the CLI must wait for it instead of exiting.
    await new Promise((r) => setTimeout(r, 1000))
    const chunks: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => chunks.push(d))
    const code = await new Promise<number | null>((r) => child.on('exit', r))
    await new Promise((r) => setImmediate(r))
    const text = Buffer.concat(chunks).toString('utf8')
    expect(code).toBe(0)
    expect(text.length).toBeGreaterThan(200 * 1024)
    expect(JSON.parse(text).rows).toHaveLength(1500)
  }, 60_000)
})

describe('signals', () => {
  it('processIO: the first SIGTERM aborts the signal and resolves `interrupted`; a second one exits at once', async () => {
    const proc = Object.assign(new EventEmitter(), { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {}, exit: (code: number) => exits.push(code) })
    const exits: number[] = []
    const io = processIO(proc as unknown as NodeJS.Process)
    proc.emit('SIGTERM')
    expect(await io.interrupted).toBe('SIGTERM')
    expect(io.signal?.aborted).toBe(true)
    expect(io.signal?.reason).toBeInstanceOf(AppFailure)
    expect(exits).toEqual([])
    proc.emit('SIGINT')
    expect(exits).toEqual([130])
  })

  it('a command that ignores the signal is stopped by runCli after the grace period', async () => {
    let interrupt!: (s: NodeJS.Signals) => void
    const interrupted = new Promise<NodeJS.Signals>((r) => (interrupt = r))
    const io = memIO({ interrupted })
    // `profile add --webhook-stdin` waits for stdin, which never ends and does not look at the signal.
    const done = runCli(['profile', 'add', 'Main', '--webhook-stdin', '--data', join(dir, 'data')], io)
    let finished = false
    void done.then(() => (finished = true))
    await new Promise((r) => setTimeout(r, 50))
    interrupt('SIGINT')
    await new Promise((r) => setTimeout(r, STOP_GRACE_MS / 2))
    expect(finished).toBe(false)
    expect(await done).toBe(130)
    expect(io.err()).toContain('Interrupted.')
  })

  it('exitWhenDrained exits only once what was written has left', async () => {
    const calls: string[] = []
    let flush!: () => void
    const slow = { write: (_s: string, cb: () => void) => ((flush = () => (calls.push('flushed'), cb())), false), once: () => undefined }
    const fast = { write: (_s: string, cb: () => void) => (cb(), true), once: () => undefined }
    const proc = { stdout: slow, stderr: fast, exitCode: undefined as number | undefined, exit: (c: number) => void calls.push(`exit ${c}`) }
    void exitWhenDrained(3, proc as unknown as NodeJS.Process)
    await new Promise((r) => setImmediate(r))
    expect(calls).toEqual([])
    flush()
    await new Promise((r) => setImmediate(r))
    expect(calls).toEqual(['flushed', 'exit 3'])
    expect(proc.exitCode).toBe(3)
  })

  describe('a real process against a portal that never answers', () => {
    let server: Server
    let ca: string
    const seen: string[] = []
    const sockets = new Set<Socket>()
    beforeAll(async () => {
      const tls = await sandboxCertificate()
      ca = join(dir, 'ca.pem')
      await writeFile(ca, tls.cert)
      server = createServer({ key: tls.key, cert: tls.cert }, (req) => void seen.push(req.url ?? ''))
      server.on('connection', (c: Socket) => {
        sockets.add(c)
        c.on('close', () => sockets.delete(c))
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    })
    afterAll(async () => {
      for (const c of sockets) c.destroy()
      await new Promise((r) => server.close(r))
    })

    it('SIGTERM while validate waits on it: exits by itself with 143 and says so', async () => {
      const port = (server.address() as { port: number }).port
      const child = spawn(process.execPath, [...CLI, 'validate', SAMPLE, '--webhook', `https://127.0.0.1:${port}/rest/1/abcdef0123/`, '--ca', ca, '--data', join(dir, 'data')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
      let err = ''
      child.stderr.on('data', (d: Buffer) => (err += d.toString()))
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
      while (!seen.length) await new Promise((r) => setTimeout(r, 50))
      child.kill('SIGTERM')
      // A fallback only: the process is expected to be long gone by then.
      const fallback = setTimeout(() => child.kill('SIGKILL'), 20_000)
      const code = await exited
      clearTimeout(fallback)
      expect(code).toBe(143)
      expect(err).toContain('Interrupted.')
    }, 60_000)
  })
})
