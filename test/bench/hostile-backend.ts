/**
 * Child process of `test/bench/hostile.ts`: the app backend (the object behind window.api) imports a sheet whose
 * AVATAR is a hostile file, while unrelated calls keep being made. Prints one JSON line:
 *   { imported: bool, importMs, problem?, slowestUnrelatedMs, unrelatedUnanswered }
 *   node --import tsx test/bench/hostile-backend.ts zero|fifo
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Backend } from '../../electron/core/app/backend'
import { NoSecrets } from '../helpers/no-secrets'

async function main(): Promise<void> {
  const kind = process.argv[2] === 'fifo' ? 'fifo' : 'zero'
  const dir = await mkdtemp(join(tmpdir(), 'b24-hostile-backend-'))
  const backend = new Backend({ dataDir: join(dir, 'data'), secrets: new NoSecrets(), host: { version: 't', platform: process.platform, locale: 'en', pickSheetFile: async () => null, openExternal: async () => {} } })
  const avatars: string[] = []
  if (kind === 'zero') avatars.push('/dev/zero')
  else {
    // Five imports, each with its own FIFO that nobody ever writes to (the issue saw the backend stop after five).
    for (let i = 0; i < 5; i++) {
      const p = join(dir, `pipe${i}.png`)
      execFileSync('mkfifo', [p])
      avatars.push(p)
    }
  }
  // Whatever consent the backend asks for is given (when it asks at all): this measures the bounded read.
  const sheets = backend.sheets as unknown as Record<string, ((req: unknown) => Promise<unknown>) | undefined>
  let slowest = 0
  let unanswered = 0
  let stop = false
  const probe = (async () => {
    while (!stop) {
      const t = performance.now()
      const answered = await Promise.race([
        Promise.all([backend.app.info(), backend.jobs.list(), backend.profiles.list()]).then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 5000)),
      ])
      if (!answered) unanswered++
      slowest = Math.max(slowest, performance.now() - t)
      await new Promise((r) => setTimeout(r, 200))
    }
  })()
  const t0 = performance.now()
  const results = await Promise.all(avatars.map(async (avatar, i) => {
    const sheetPath = join(dir, `sheet${i}.csv`)
    const text = `TITLE,USERS,AVATAR\nChat ${i},1,${avatar}\n`
    await writeFile(sheetPath, text)
    const req = { name: `sheet${i}.csv`, bytes: new Uint8Array(Buffer.from(text)), path: sheetPath }
    let res = (await backend.sheets.import(req)) as { ok: boolean; value?: { sheetId: string } | null; error?: { message: string } }
    if (res.ok && res.value && sheets.avatarFolders && sheets.allowAvatarFolders) {
      const sheetId = res.value.sheetId
      const f = (await sheets.avatarFolders({ sheetId })) as { ok: boolean; value?: { outside: { folder: string }[] } }
      const folders = f.value?.outside.map((o) => o.folder) ?? []
      if (folders.length) res = (await sheets.allowAvatarFolders({ sheetId, folders })) as typeof res
    }
    if (!res.ok || !res.value) return { ok: false, problem: res.error?.message ?? 'failed' }
    const page = await backend.sheets.rows({ sheetId: res.value.sheetId, offset: 0, limit: 1 })
    const problem = page.ok ? page.value.rows[0]?.problems.find((p) => p.field === 'AVATAR')?.message : 'rows failed'
    return { ok: true, problem }
  }))
  const importMs = performance.now() - t0
  // A few more probes after the imports, then stop.
  await new Promise((r) => setTimeout(r, 1200))
  stop = true
  await probe
  process.stdout.write(`${JSON.stringify({ imported: results.every((r) => r.ok), importMs: Math.round(importMs), problem: results[0]?.problem, slowestUnrelatedMs: Math.round(slowest), unrelatedUnanswered: unanswered })}\n`)
  await backend.shutdown()
  process.exit(0)
}

void main()
