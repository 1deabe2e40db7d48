import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

// The layer rules of house-style habit 6, proven against the real eslint config.
const eslint = new ESLint({ cwd: process.cwd() })

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath })
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message)
}

describe('import boundaries (eslint)', () => {
  it.each(['electron/core/x.ts', 'electron/sandbox/x.ts', 'electron/cli/x.ts', 'electron/shared/x.ts'])('%s may not import electron or keytar', async (file) => {
    expect(await restricted(file, "import { app } from 'electron'\nexport const a = app\n")).toHaveLength(1)
    expect(await restricted(file, "import keytar from 'keytar'\nexport const k = keytar\n")).toHaveLength(1)
  })

  it('shared/ and renderer/ may not import node built-ins', async () => {
    expect(await restricted('electron/shared/x.ts', "import { readFile } from 'node:fs/promises'\nexport const r = readFile\n")).toHaveLength(1)
    expect(await restricted('renderer/src/x.ts', "import { join } from 'node:path'\nexport const j = join\n")).toHaveLength(1)
    expect(await restricted('renderer/src/x.ts', "import { ipcRenderer } from 'electron'\nexport const i = ipcRenderer\n")).toHaveLength(1)
  })

  it('the sandbox may not borrow the client core', async () => {
    expect(await restricted('electron/sandbox/x.ts', "import { redact } from '../core/redact'\nexport const r = redact\n")).toHaveLength(1)
  })

  it('the browser shell never names Electron, not even its types (the gate is transport-neutral), nor keytar', async () => {
    expect(await restricted('electron/web/x.ts', "import type { IpcMainInvokeEvent } from 'electron'\nexport type E = IpcMainInvokeEvent\n")).toHaveLength(1)
    expect(await restricted('electron/web/x.ts', "import { app } from 'electron'\nexport const a = app\n")).toHaveLength(1)
    expect(await restricted('electron/web/x.ts', "import keytar from 'keytar'\nexport const k = keytar\n")).toHaveLength(1)
  })

  it('allows what each layer needs', async () => {
    expect(await restricted('electron/main/x.ts', "import { app } from 'electron'\nexport const a = app\n")).toEqual([])
    expect(await restricted('electron/keychain/x.ts', "import keytar from 'keytar'\nexport const k = keytar\n")).toEqual([])
    expect(await restricted('electron/core/x.ts', "import { readFile } from 'node:fs/promises'\nexport const r = readFile\n")).toEqual([])
  })
})
