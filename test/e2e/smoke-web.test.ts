import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectedApiShape, runSmokeJourney } from '../smoke/journey'
import type { OpenShell } from '../smoke/shells'
import { openWeb } from '../smoke/shells'

// The Electron smoke journey (npm run smoke:electron, run by .github/workflows/desktop.yml on machines that have
// Electron) is the same code as this one; here it runs against the browser shell, the shell this machine has.
describe('smoke journey in the browser shell', () => {
  let shell: OpenShell
  beforeAll(async () => {
    shell = await openWeb({ keychainService: `b24-chat-admin-test-smoke-${process.pid}` })
  })
  afterAll(async () => {
    await shell?.close()
  })

  it('window.api is exactly AppApi; the sample sheet is imported, sent, and its chats are on the sandbox', async () => {
    const report = await runSmokeJourney(shell)
    expect(report.apiNamespaces).toBe(Object.keys(expectedApiShape()).length)
    expect(report.created).toBeGreaterThan(0)
    expect(report.chats).toBe(report.created)
  })
})
