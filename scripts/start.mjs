#!/usr/bin/env node
// npm start: build, then open the desktop app. Where the Electron runtime cannot be had (it is downloaded on first
// run; some machines have no network for it), the same app opens in browser mode on 127.0.0.1 instead.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', shell: process.platform === 'win32' })

if (run('npx', ['--no-install', 'electron-vite', 'build']).status !== 0) process.exit(1)

let electronPath = null
try {
  const p = require('electron') // downloads the runtime on first use; throws when it cannot
  if (typeof p === 'string' && existsSync(p)) electronPath = p
} catch {
  electronPath = null
}

const child = electronPath
  ? spawn('npx', ['--no-install', 'electron-vite', 'preview', '--skipBuild'], { stdio: 'inherit', shell: process.platform === 'win32' })
  : (console.log('\nThe Electron runtime is not available on this machine; opening B24 Chat Admin in browser mode.\n'),
    spawn(process.execPath, ['out/main/web.js'], { stdio: 'inherit' }))
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig))
child.on('exit', (code) => process.exit(code ?? 0))
