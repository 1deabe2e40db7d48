/**
 * `npm run mutants`: proves that the tests notice when a guard is removed. Each mutation below (data: file, exact
 * text to find, its replacement, the tests that must catch it) is applied in a temporary copy of the working tree
 * (node_modules linked, never the real tree), the named tests run, and the mutant is KILLED when they fail,
 * SURVIVED when they pass. A find text that is missing or not unique is an ERROR, never a kill. The named test
 * sets are first run unmutated: a set that fails on its own makes its mutants ERROR too.
 *
 *   npm run mutants                  every mutant (integration tests need the keychain: npm runs it under
 *                                    scripts/with-keyring.sh)
 *   npm run mutants -- --only a,b    some of them;  --list  just the list
 *   npm run mutants -- --baseline-report FILE
 *                                    take the unmutated result of a set from a vitest JSON report of this same tree
 *                                    (CI passes the report of its own `npm test`, run just before): a set whose
 *                                    every file passed there is not run again; any other set runs here as usual
 * Prints one line per mutant and `mutants: killed K/T …`; exits 1 unless every mutant was killed.
 */
import { spawn } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve, sep } from 'node:path'

type Project = 'unit' | 'renderer' | 'integration'

export interface TestSet {
  project: Project
  files: string[]
  /** Extra vitest arguments (e.g. a shorter --testTimeout where a mutant makes a request hang). */
  args?: string[]
}

export interface Mutant {
  id: string
  /** What the mutation removes or breaks, in words. */
  what: string
  file: string
  find: string
  replace: string
  tests: TestSet[]
  /** Whose code it is when not this issue's (re-point after merging their branch). */
  owner?: string
}

const GATE_TESTS: TestSet[] = [{ project: 'unit', files: ['test/unit/foundation/gatekeeper.test.ts'] }]
const WEB_TESTS: TestSet[] = [{ project: 'integration', files: ['test/integration/app/web-shell.test.ts'], args: ['--testTimeout', '15000'] }]
const EXACTLY_ONCE: TestSet[] = [{ project: 'integration', files: ['test/integration/app/exactly-once.test.ts'] }]
const SYNC_UNIT: TestSet[] = [{ project: 'unit', files: ['test/unit/sync', 'test/unit/foundation/atomic-write.test.ts', 'test/unit/foundation/atomic-write-real-fs.test.ts'] }]

export const MUTANTS: Mutant[] = [
  // ---- issue 13 "Seen" 3 and 2: the gate -------------------------------------------------------------------
  {
    id: 'gate-raw-payload',
    what: 'the handler receives the raw payload instead of the zod-parsed one',
    file: 'electron/core/app/gate.ts',
    find: 'return { result: await route.fn(parsed.data) }',
    replace: 'return { result: await route.fn(payload) }',
    tests: GATE_TESTS,
  },
  {
    id: 'schema-any-object',
    what: "one object channel's schema replaced by z.any() (jobs.snapshot)",
    file: 'electron/shared/ipc.ts',
    find: "'jobs.snapshot': jobRef,",
    replace: "'jobs.snapshot': z.any(),",
    tests: GATE_TESTS,
  },
  {
    id: 'schema-any-empty',
    what: "one no-argument channel's schema replaced by z.any() (sandbox.stop)",
    file: 'electron/shared/ipc.ts',
    find: "'sandbox.stop': z.undefined(),",
    replace: "'sandbox.stop': z.any(),",
    tests: GATE_TESTS,
  },
  {
    id: 'gate-trust-removed',
    what: 'the gate no longer checks the transport\'s trust verdict',
    file: 'electron/core/app/gate.ts',
    find: 'if (ctx.trusted !== true) {',
    replace: 'if (false) {',
    tests: GATE_TESTS,
  },
  {
    id: 'gate-size-cap-removed',
    what: 'an in-memory (IPC) payload is no longer measured against its channel cap',
    file: 'electron/core/app/gate.ts',
    find: "if (payloadBytes(value, limit) > limit) throw new PayloadError('too-large')",
    replace: '',
    tests: GATE_TESTS,
  },
  {
    id: 'ipc-adapter-trusts-all',
    what: 'the Electron adapter passes { trusted: true } whatever the sender',
    file: 'electron/main/gatekeeper.ts',
    find: 'return (await gate.call({ trusted }, channel, valueReader(payload))).result',
    replace: 'return (await gate.call({ trusted: true }, channel, valueReader(payload))).result',
    tests: GATE_TESTS,
  },
  {
    id: 'trust-window-check-removed',
    what: 'the Electron trust predicate accepts any window (win === mainWindow removed)',
    file: 'electron/main/window.ts',
    find: 'if (sender.window == null || mainWindow == null || sender.window !== mainWindow) return false',
    replace: 'if (sender.window == null) return false',
    tests: [{ project: 'unit', files: ['test/unit/foundation/window.test.ts'] }],
  },
  {
    id: 'trust-frame-check-removed',
    what: 'the Electron trust predicate accepts any frame URL (isAppUrl(frame) removed)',
    file: 'electron/main/window.ts',
    find: "return typeof sender.frameUrl === 'string' && isAppUrl(sender.frameUrl, appUrl)",
    replace: 'return true',
    tests: [{ project: 'unit', files: ['test/unit/foundation/window.test.ts'] }],
  },
  {
    id: 'redact-no-g-flag',
    what: 'redact() masks only the first webhook of a string (no g flag)',
    file: 'electron/core/redact.ts',
    find: `[/(\\/rest\\/\\d+\\/)[^/\\s"'?#]+/g, \`$1\${MASK}\`],`,
    replace: `[/(\\/rest\\/\\d+\\/)[^/\\s"'?#]+/, \`$1\${MASK}\`],`,
    tests: [{ project: 'unit', files: ['test/unit/foundation/redact.test.ts'] }],
  },
  // ---- the web shell ---------------------------------------------------------------------------------------
  {
    id: 'web-traversal-guard-removed',
    what: "the web shell's static-file traversal guard removed",
    file: 'electron/web/server.ts',
    find: "      if (!file.startsWith(rendererRoot)) return text(res, 403, 'Forbidden.')\n",
    replace: '',
    tests: WEB_TESTS,
  },
  {
    id: 'web-reads-before-trust',
    what: 'the web shell reads (up to 80 MiB of) the body before it checks the token, Host and Origin',
    file: 'electron/web/server.ts',
    find: 'const answer = await gate.call({ trusted: trusted(req) }, path.slice(INVOKE_PREFIX.length), (limit) => readJsonBody(req, limit))',
    replace: 'const early = await readJsonBody(req, 80 * 1024 * 1024).catch(() => undefined)\n        const answer = await gate.call({ trusted: trusted(req) }, path.slice(INVOKE_PREFIX.length), async () => early)',
    tests: WEB_TESTS,
  },
  {
    id: 'web-stream-cap-removed',
    what: 'the web shell no longer counts body bytes as they arrive',
    file: 'electron/web/server.ts',
    find: "      if (size > limit) return settle(new PayloadError('too-large'))\n",
    replace: '',
    tests: WEB_TESTS,
  },
  {
    id: 'web-unknown-channel-404',
    what: 'an unknown channel or foreign caller gets 404 instead of 403',
    file: 'electron/web/server.ts',
    find: "const REFUSAL_STATUS: Record<Refusal, number> = { forbidden: 403,",
    replace: "const REFUSAL_STATUS: Record<Refusal, number> = { forbidden: 404,",
    tests: WEB_TESTS,
  },
  {
    id: 'web-malformed-url-500',
    what: 'a malformed address (%c0%ae%c0%ae) is no longer answered with 400',
    file: 'electron/web/server.ts',
    find: "      } catch {\n        return text(res, 400, 'Bad request: the address is malformed.')\n      }",
    replace: "      } catch (e) {\n        throw e\n      }",
    tests: WEB_TESTS,
  },
  // ---- issue 13 smaller gaps and test-only code -------------------------------------------------------------
  {
    id: 'forget-secret-on-remove',
    what: 'a removed profile leaves its secret registered with redact()',
    file: 'electron/core/profiles/profile-store.ts',
    find: '    for (const s of secretValues(old)) forgetSecret(s)\n',
    replace: '',
    tests: [{ project: 'unit', files: ['test/unit/foundation/profiles.test.ts'] }],
  },
  {
    id: 'export-invisible-prefix',
    what: 'the results export no longer looks past white space and invisible characters for a formula',
    file: 'electron/core/sync/export.ts',
    find: "FORMULA_START.test(cell.replace(INVISIBLE_PREFIX, ''))",
    replace: 'FORMULA_START.test(cell)',
    tests: [{ project: 'unit', files: ['test/unit/sync/export-neutralise.test.ts'] }],
  },
  {
    id: 'read-only-data-dir-app',
    what: 'the app reports a read-only data folder as a raw file-system error',
    file: 'electron/core/app/backend.ts',
    find: 'throw dataDirFailure(e, this.deps.dataDir) ?? e',
    replace: 'throw e',
    tests: [{ project: 'unit', files: ['test/unit/foundation/read-only-data-dir.test.ts'] }],
  },
  {
    id: 'webhook-arg-no-warning',
    what: '--webhook URL no longer warns that the secret shows in the process list',
    file: 'electron/cli/caller.ts',
    find: '  if (opts.webhook) opts.warn?.(WEBHOOK_ARG_WARNING)\n',
    replace: '',
    tests: [{ project: 'integration', files: ['test/integration/foundation/cli-webhook-stdin.test.ts'] }],
  },
  // ---- issue 13 "Seen" 3: the leaky bucket ---------------------------------------------------------------------
  {
    id: 'bucket-drains-10x',
    what: 'the leaky bucket drains 10× too fast',
    file: 'electron/core/portal/pacer/bucket.ts',
    find: '((now - this.at) / 1000) * this.drainPerSec)',
    replace: '((now - this.at) / 1000) * this.drainPerSec * 10)',
    tests: [{ project: 'unit', files: ['test/unit/portal'] }],
  },
  // ---- issue 10 item 8: the journal, the atomic writer, retry ----------------------------------------------------
  {
    id: 'journal-no-datasync',
    what: "the journal's datasync() after an append removed",
    file: 'electron/core/sync/journal.ts',
    find: '        await this.fh.datasync()\n',
    replace: '',
    tests: SYNC_UNIT,
  },
  {
    id: 'atomic-write-in-place',
    what: 'writeFileAtomic writes the target in place instead of temp file + rename',
    file: 'electron/core/fsutil.ts',
    find: '  const tmp = `${path}.${process.pid}.${Date.now()}.${++tmpCounter}.tmp`',
    replace: '  const tmp = path',
    tests: SYNC_UNIT,
  },
  {
    id: 'snapshot-wrong-name',
    what: 'the snapshot is read from a wrong file name (created rows would be resent)',
    file: 'electron/core/sync/journal.ts',
    find: 'await readSnapshot(fs, join(dir, STATE_FILE))',
    replace: "await readSnapshot(fs, join(dir, 'state.snapshot.json'))",
    tests: SYNC_UNIT,
  },
  {
    id: 'retry-replans-needs-checking',
    what: 'retry failed re-plans needs-checking rows (their chat may exist)',
    file: 'electron/core/sync/store.ts',
    find: "if (s.state === 'failed' && s.errorCode !== VALIDATION_CODE) out.push",
    replace: "if ((s.state === 'failed' || s.state === 'needs-checking') && s.errorCode !== VALIDATION_CODE) out.push",
    tests: SYNC_UNIT,
  },
  // ---- issue 10: the window follows the runner; sends across windows and runs ------------------------------------
  {
    id: 'status-event-without-actions',
    what: "a status event does not carry the new status's commands (the window would show stale buttons)",
    file: 'electron/core/sync/runner.ts',
    find: "else hub.emit({ type: 'status', jobId: this.id, at, status: to, ...(detail ? { detail } : {}), actions })",
    replace: "else hub.emit({ type: 'status', jobId: this.id, at, status: to, ...(detail ? { detail } : {}) })",
    tests: [{ project: 'unit', files: ['test/unit/sync/runner.test.ts'] }],
  },
  {
    id: 'reducer-ignores-actions',
    what: "the renderer's reducer keeps the old commands after a status change",
    file: 'renderer/src/stores/jobReducer.ts',
    find: "  const s = 'actions' in event && event.actions ? { ...state.summary, actions: event.actions } : state.summary",
    replace: '  const s = state.summary',
    tests: [{ project: 'renderer', files: ['test/renderer/jobReducer.test.ts', 'test/renderer/OutboxView.test.ts'] }],
  },
  {
    id: 'plan-forgets-portal',
    what: "a plan from the history alone forgets what the portal was found to hold (the confirmed count is refused)",
    file: 'electron/core/app/backend.ts',
    find: '      ...(known ? { known } : {}),\n',
    replace: '',
    tests: EXACTLY_ONCE,
  },
  {
    id: 'compose-twice-at-once',
    what: 'two Compose creations of the same chat at once run side by side (a double click makes two chats)',
    file: 'electron/core/app/backend.ts',
    find: '    const mine = before.then(fn)',
    replace: '    const mine = fn()',
    tests: EXACTLY_ONCE,
  },
  {
    id: 'send-while-on-wire',
    what: "Send now is allowed while the sheet's earlier job is on the wire",
    file: 'electron/core/app/backend.ts',
    find: '        if (req.start) await this.noSendUnderWay(open)',
    replace: '',
    tests: EXACTLY_ONCE,
  },
  {
    id: 'send-without-expect',
    what: 'Send now sends without the count the user confirmed (a stale plan would be sent)',
    file: 'renderer/src/views/ImportView.vue',
    find: 'await jobs.createFromSheet(s.sheetId, p, true, { expectCreate: fresh.toCreate, copies: sheet.copies() })',
    replace: 'await jobs.createFromSheet(s.sheetId, p, true, { copies: sheet.copies() })',
    tests: [{ project: 'renderer', files: ['test/renderer/ImportView.test.ts'] }],
  },
  {
    id: 'runner-reason-unredacted',
    what: "a failed job's reason reaches the journal, the events and the summary without redaction",
    file: 'electron/core/sync/runner.ts',
    find: 'const error = given && redactAppError(given)',
    replace: 'const error = given',
    tests: [{ project: 'unit', files: ['test/unit/sync/runner.test.ts'], args: ['-t', 'redacted before'] }],
  },
  {
    id: 'uierror-as-apperror',
    what: "a thrown UiError is taken for the AppError it carries: errors lose their Russian text and the portal's words",
    file: 'renderer/src/composables/useText.ts',
    find: ' && !(x instanceof Error) && ',
    replace: ' && ',
    tests: [{ project: 'renderer', files: ['test/renderer/SettingsView.test.ts'] }],
  },
  {
    id: 'ready-counts-created',
    what: 'the Ready filter shows rows created before (as if Send now would create them)',
    file: 'renderer/src/stores/sheet.ts',
    find: "    return markRaw(all.filter((r) => r.status === f && (f === 'error' || !done.has(r.key))))",
    replace: '    return markRaw(all.filter((r) => r.status === f))',
    tests: [{ project: 'renderer', files: ['test/renderer/ImportView.test.ts'] }],
  },
  {
    id: 'plan-answer-dropped',
    what: "Send now's own plan is dropped when a background re-plan starts meanwhile (no confirmation appears)",
    file: 'renderer/src/stores/sheet.ts',
    find: '      if (sheet.value?.sheetId !== current.sheetId) return null\n',
    replace: '      if (sheet.value?.sheetId !== current.sheetId || mine !== planSeq) return null\n',
    tests: [{ project: 'renderer', files: ['test/renderer/stores.test.ts'] }],
  },
  {
    id: 'compose-busy-late',
    what: 'Compose marks itself busy only after validating (a double click sends twice)',
    file: 'renderer/src/stores/compose.ts',
    find: "    busy.value = 'create'\n    try {\n      await validate()\n",
    replace: "    try {\n      await validate()\n      busy.value = 'create'\n",
    tests: [{ project: 'renderer', files: ['test/renderer/ComposeView.test.ts'] }],
  },
  {
    id: 'compose-not-one-shot',
    what: 'Compose lets the same form be sent again after its chat was created',
    file: 'renderer/src/views/ComposeView.vue',
    find: '  if (compose.sameAsResult && compose.result) return',
    replace: '  if (false && compose.result) return',
    tests: [{ project: 'renderer', files: ['test/renderer/ComposeView.test.ts'] }],
  },
  {
    id: 'countdown-frozen',
    what: '"next try in 20 s" never counts down',
    file: 'renderer/src/composables/useNow.ts',
    find: '      if (on) timer = setInterval',
    replace: '      if (on && false) timer = setInterval',
    tests: [{ project: 'renderer', files: ['test/renderer/OutboxView.test.ts'] }],
  },
  // ---- issue 11: what the pacer learns, and the bench's one time scale -----------------------------------------
  {
    id: 'ratio-ratchet',
    what: 'a difference between reports with others in flight may raise a billing ratio past 1 again',
    file: 'electron/core/portal/pacer/billing.ts',
    find: 'const to = Math.min(ratio, Math.max(prev ?? 0, OVERLAPPED_CEILING))',
    replace: 'const to = ratio',
    tests: [{ project: 'unit', files: ['test/unit/portal/pacer.test.ts'] }],
  },
  {
    id: 'tail-not-split',
    what: 'the last round keeps its even batches on a real portal, so one slow lane ends the run late',
    file: 'electron/core/portal/pacer/pacer.ts',
    find: '    if (rounds > 1) return even\n',
    replace: '    return even\n',
    tests: [{ project: 'unit', files: ['test/unit/portal/pacer.test.ts'] }],
  },
  {
    id: 'calls-left-ignores-wire',
    what: 'the batch size counts only the calls not yet sent, so every later batch of a last round is too small',
    file: 'electron/core/portal/pacer/pacer.ts',
    find: '  for (const b of onWire) left += Math.max(0, b.calls - (now - b.sentAt) / perCallMs)\n',
    replace: '',
    tests: [{ project: 'unit', files: ['test/unit/portal/pacer.test.ts'] }],
  },
  {
    id: 'signal-listeners-default',
    what: 'the job signal keeps Node\'s default of 10 listeners: at 16 in flight the app logs a leak warning',
    file: 'electron/core/sync/engine.ts',
    find: '    setMaxListeners(SIGNAL_LISTENERS, this.waits.signal)\n',
    replace: '',
    tests: [{ project: 'integration', files: ['test/integration/sync/engine.test.ts'], args: ['-t', 'MaxListenersExceededWarning'] }],
  },
  {
    id: 'ledger-nets-own-usage',
    what: "an answer's own usage is not booked before the ledger meets the portal's figure: a dropped bucket netted against new usage leaves it on old entries, which expire while the portal still counts it",
    file: 'electron/core/portal/pacer/ledger.ts',
    find: '    if (own > 1e-9) s.entries.push({ at: now, cost: own })\n',
    replace: '',
    tests: [{ project: 'unit', files: ['test/unit/portal/pacer.test.ts'], args: ['-t', 'expired bucket stays counted|older than the last report still dates'] }],
  },
  {
    id: 'budget-share-uncapped',
    what: 'a margin above 0.9 lets the client allow itself up to 99.5 % of the operating budget: calls in flight that run longer than reserved take it over the limit (429)',
    file: 'electron/core/portal/pacer/limits.ts',
    find: 'limitSec * Math.min(BUDGET_SHARE_MAX, 1 - (1 - clampMargin(margin)) / 4)',
    replace: 'limitSec * (1 - (1 - clampMargin(margin)) / 4)',
    tests: [{ project: 'unit', files: ['test/unit/portal/pacer-sweep.test.ts'], args: ['-t', 'seed=54'] }],
  },
  {
    id: 'manual-clock-no-yield',
    what: 'the manual clock moves time on without letting what is runnable now run first: simulated requests reach the portal later than their bucket tokens',
    file: 'electron/core/clock.ts',
    find: '      await new Promise((r) => setImmediate(r))\n      this.sleepers.sort((a, b) => a.at - b.at)\n      const next = this.sleepers[0]\n      if (!next || next.at > target) break\n      this.sleepers.shift()\n      this.t = Math.max(this.t, next.at)\n      next.resolve()\n',
    // The clock as it was: a turn of the event loop only after a sleeper woke.
    replace: '      this.sleepers.sort((a, b) => a.at - b.at)\n      const next = this.sleepers[0]\n      if (!next || next.at > target) break\n      this.sleepers.shift()\n      this.t = Math.max(this.t, next.at)\n      next.resolve()\n      await new Promise((r) => setImmediate(r))\n',
    tests: [
      { project: 'unit', files: ['test/unit/foundation/manual-clock.test.ts'] },
      { project: 'unit', files: ['test/unit/portal/pacer-sweep.test.ts'], args: ['-t', 'seed=59'] },
    ],
  },
  {
    id: 'history-write-not-awaited',
    what: 'a run ends (the CLI exits, the lock is released) with its last created-chats history append still pending',
    file: 'electron/core/sync/engine.ts',
    find: '      await this.historyWrite\n',
    replace: '',
    tests: [{ project: 'unit', files: ['test/unit/sync/engine.test.ts'], args: ['-t', 'created-chats history holds every chat'] }],
  },
  {
    id: 'tail-ignores-bucket',
    what: 'the last round is split finer than the bucket can pay for',
    file: 'electron/core/portal/pacer/pacer.ts',
    find: '    return Math.max(worth, fits)',
    replace: '    return worth',
    tests: [{ project: 'unit', files: ['test/unit/portal/pacer.test.ts'] }],
  },
  {
    id: 'bench-prior-one-method',
    what: "the bench scales only im.chat.add's prior (lookups keep the real 0.5 s per call)",
    file: 'test/bench/config.ts',
    find: 'priorServerSec: { [EVERY_METHOD]: cfg.priorServerSec },',
    replace: "priorServerSec: { 'im.chat.add': cfg.priorServerSec },",
    tests: [{ project: 'unit', files: ['test/unit/bench/config.test.ts'] }],
  },
  // ---- stop 27: nothing left in the temp folder -------------------------------------------------------------
  {
    id: 'temp-dir-kept',
    what: "a test's temp folder is not removed when the test ends (the run's temp-folder guard must fail the run)",
    file: 'test/helpers/temp.ts',
    find: '  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))\n',
    replace: '  void onTestFinished\n',
    tests: [{ project: 'unit', files: ['test/unit/import/cli-validate.test.ts'] }],
  },
  {
    id: 'temp-guard-exit-zero',
    what: 'the temp-folder guard only throws at the end of a run, which vitest logs and still exits 0',
    file: 'test/helpers/temp-guard.ts',
    find: '      process.exitCode = 1\n',
    replace: '',
    tests: [{ project: 'unit', files: ['test/unit/foundation/temp-guard.test.ts'] }],
  },
  {
    id: 'browser-profile-kept',
    what: "browser mode's stop leaves the browser profile in the temp folder",
    file: 'electron/web/app-window.ts',
    find: '        await rm(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }).catch(() => {})\n',
    replace: '',
    tests: [{ project: 'integration', files: ['test/integration/app/app-window.test.ts'] }],
  },
  {
    id: 'browser-token-in-argv',
    what: "browser mode gives the browser the address with the run's token on its command line (readable by every user)",
    file: 'electron/web/app-window.ts',
    find: '[`--app=${pathToFileURL(launch).href}`,',
    replace: '[`--app=${url}`,',
    tests: [{ project: 'integration', files: ['test/integration/app/app-window.test.ts'] }],
  },
  {
    id: 'sandbox-ca-kept',
    what: "b24chat sandbox leaves its temporary CA folder behind when it stops",
    file: 'electron/cli/commands/sandbox.ts',
    find: '      if (caTempDir) rmSync(caTempDir, { recursive: true, force: true })\n',
    replace: '',
    tests: [{ project: 'integration', files: ['test/integration/sandbox/inspection-state.test.ts'], args: ['-t', 'b24chat sandbox'] }],
  },
]

// ---- the runner ------------------------------------------------------------------------------------------------

const ROOT = resolve(import.meta.dirname, '..')

type Verdict = 'KILLED' | 'SURVIVED' | 'ERROR'

/** Copies the working tree (tracked files and untracked ones git does not ignore) and links node_modules. */
async function copyTree(): Promise<string> {
  const dest = await mkdtemp(join(tmpdir(), 'b24-mutants-'))
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 })
    .toString('utf8')
    .split('\0')
    .filter(Boolean)
  for (const f of files) {
    await mkdir(dirname(join(dest, f)), { recursive: true })
    await cp(join(ROOT, f), join(dest, f)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e // a file deleted but not yet committed
    })
  }
  await symlink(join(ROOT, 'node_modules'), join(dest, 'node_modules'), 'junction')
  return dest
}

/** Runs one test set in the copy; resolves true when every test passed. */
function runSet(dir: string, set: TestSet, timeoutMs: number): Promise<{ passed: boolean; output: string }> {
  return new Promise((done) => {
    // vitest's own entry run by this node, not `npx vitest`: npx costs ~1 s a start here, ~50 s over a CI run.
    const args = [join(dir, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--project', set.project, '--bail', '1', '--reporter', 'dot', ...(set.args ?? []), ...set.files]
    const child = spawn(process.execPath, args, { cwd: dir, env: { ...process.env, CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      // Tests that hang past the limit did not pass: that is how CI would see them too.
      done({ passed: code === 0 && !timedOut, output: timedOut ? `${output}\n× the tests did not finish within ${timeoutMs / 1000} s` : output })
    })
  })
}

export const setKey = (s: TestSet): string => `${s.project}:${s.files.join(',')}:${(s.args ?? []).join(' ')}`

/** The parts of a vitest JSON report read here: each test file, by absolute path, and how it ended. */
export interface VitestReport {
  testResults: { name: string; status: string }[]
}

/**
 * The sets whose unmutated run a report of the same tree already shows passing: each of the set's paths (a file or
 * a folder) matches at least one test file of the report, and every file matched passed. A `-t` filter only narrows
 * a file that passed whole. A set the report does not cover, or shows failing, is left out (it runs as usual).
 */
export function passedInReport(sets: TestSet[], report: VitestReport, root: string): Set<string> {
  const files = report.testResults.map((t) => ({ path: relative(root, t.name).split(sep).join('/'), passed: t.status === 'passed' }))
  const passed = new Set<string>()
  for (const set of sets) {
    const covered = set.files.every((f) => {
      const hits = files.filter((t) => t.path === f || t.path.startsWith(`${f.replace(/\/$/, '')}/`))
      return hits.length > 0 && hits.every((t) => t.passed)
    })
    if (covered) passed.add(setKey(set))
  }
  return passed
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2)
  const only = argv.includes('--only') ? new Set((argv[argv.indexOf('--only') + 1] ?? '').split(',')) : null
  const chosen = MUTANTS.filter((m) => !only || only.has(m.id))
  if (argv.includes('--list')) {
    for (const m of chosen) process.stdout.write(`${m.id.padEnd(30)} ${m.file}  ${m.what}${m.owner ? `  [${m.owner}]` : ''}\n`)
    return 0
  }
  if (!chosen.length) {
    process.stderr.write('No mutant matches --only.\n')
    return 2
  }
  const reportFile = argv.includes('--baseline-report') ? (argv[argv.indexOf('--baseline-report') + 1] ?? '') : undefined
  if (reportFile === '' || reportFile?.startsWith('--')) {
    process.stderr.write('--baseline-report needs the path of a vitest JSON report.\n')
    return 2
  }
  const started = Date.now()
  const timeoutMs = 4 * 60 * 1000
  const dir = await copyTree()
  const results: { m: Mutant; verdict: Verdict; why: string; sec: number }[] = []
  try {
    // Baseline: every named test set must pass unmutated, or its mutants say nothing.
    const baseline = new Map<string, boolean>()
    if (reportFile !== undefined) {
      const sets = chosen.flatMap((m) => m.tests)
      const fromReport = passedInReport(sets, JSON.parse(await readFile(reportFile, 'utf8')) as VitestReport, ROOT)
      for (const key of fromReport) baseline.set(key, true)
      const all = new Set(sets.map(setKey)).size
      process.stdout.write(`baseline: ${fromReport.size} of ${all} test sets passed unmutated in ${reportFile}; the other ${all - fromReport.size} run here\n`)
    }
    for (const set of chosen.flatMap((m) => m.tests)) {
      const key = setKey(set)
      if (baseline.has(key)) continue
      const r = await runSet(dir, set, timeoutMs)
      baseline.set(key, r.passed)
      if (!r.passed) process.stdout.write(`baseline FAILED (${key}):\n${r.output.slice(-3000)}\n`)
    }
    for (const m of chosen) {
      const t0 = Date.now()
      const file = join(dir, m.file)
      const original = await readFile(file, 'utf8').catch(() => null)
      const count = original === null ? 0 : original.split(m.find).length - 1
      let verdict: Verdict
      let why: string
      if (original === null) [verdict, why] = ['ERROR', `${m.file} does not exist`]
      else if (count !== 1) [verdict, why] = ['ERROR', count === 0 ? 'the find text is not in the file' : `the find text occurs ${count} times`]
      else if (m.tests.some((s) => !baseline.get(setKey(s)))) [verdict, why] = ['ERROR', 'its tests fail without the mutation']
      else {
        await writeFile(file, original.replace(m.find, () => m.replace))
        try {
          verdict = 'SURVIVED'
          why = 'every named test passed'
          for (const set of m.tests) {
            const r = await runSet(dir, set, timeoutMs)
            if (!r.passed) {
              // eslint-disable-next-line no-control-regex
              const plain = r.output.replace(/\u001b\[[0-9;]*m/g, '')
              const failed = /(?:FAIL|×)\s+(.+)/.exec(plain)?.[1]?.trim()
              ;[verdict, why] = ['KILLED', failed ? failed.slice(0, 140) : `${set.project} tests failed`]
              break
            }
          }
        } finally {
          await writeFile(file, original)
        }
      }
      const sec = (Date.now() - t0) / 1000
      results.push({ m, verdict, why, sec })
      process.stdout.write(`${verdict.padEnd(8)} ${m.id.padEnd(30)} ${sec.toFixed(1).padStart(6)} s  ${why}${m.owner && verdict !== 'KILLED' ? `  [${m.owner}]` : ''}\n`)
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  const count = (v: Verdict): number => results.filter((r) => r.verdict === v).length
  const total = (Date.now() - started) / 1000
  process.stdout.write(`mutants: killed ${count('KILLED')}/${results.length}, survived ${count('SURVIVED')}, errors ${count('ERROR')}, ${total.toFixed(0)} s\n`)
  return count('KILLED') === results.length ? 0 : 1
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  void main().then((code) => process.exit(code), (e: unknown) => {
    process.stderr.write(`mutants: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    process.exit(1)
  })
}
