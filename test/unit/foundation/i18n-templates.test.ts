/** Every visible string of the renderer comes from en.ts / ru.ts: no literal text in any .vue template. */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { NodeTypes, parse } from '@vue/compiler-dom'
import { describe, expect, it } from 'vitest'

describe('no literal text in templates', () => {
  // Every visible string comes from en.ts / ru.ts. Allowed: each language's own name in the language picker,
  // and symbols without letters (arrows, ticks, dashes).
  const ALLOWED = new Set(['English', 'Русский'])
  const VISIBLE_ATTRS = new Set(['title', 'placeholder', 'aria-label', 'alt', 'label', 'content'])
  const LETTERS = /[A-Za-zА-Яа-яЁё]/

  type Node = { type: number; content?: string; tag?: string; props?: { type: number; name: string; value?: { content: string } }[]; children?: Node[]; loc: { start: { line: number } } }
  function literals(node: Node, file: string, out: string[]): void {
    if (node.type === NodeTypes.TEXT) {
      const text = (node.content ?? '').trim()
      if (text && LETTERS.test(text) && !ALLOWED.has(text)) out.push(`${file}:${node.loc.start.line} text "${text}"`)
    }
    if (node.type === NodeTypes.ELEMENT) {
      for (const p of node.props ?? []) {
        if (p.type === NodeTypes.ATTRIBUTE && VISIBLE_ATTRS.has(p.name) && p.value && LETTERS.test(p.value.content)) out.push(`${file}:${node.loc.start.line} ${p.name}="${p.value.content}"`)
      }
    }
    for (const c of node.children ?? []) literals(c, file, out)
  }

  it('every .vue template shows only translated text', () => {
    const root = join(__dirname, '../../../renderer/src')
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.vue'))
    expect(files.length).toBeGreaterThan(20)
    const found: string[] = []
    for (const f of files) {
      const src = readFileSync(join(root, f), 'utf8')
      const m = /<template>([\s\S]*)<\/template>/.exec(src)
      if (m) literals(parse(m[1]!) as unknown as Node, f, found)
    }
    expect(found).toEqual([])
  })

  it('the check catches a literal (it is not a test that cannot fail)', () => {
    const found: string[] = []
    literals(parse('<div title="Close"><span>{{ t(\'x\') }}</span> Hello <b>—</b></div>') as unknown as Node, 'probe.vue', found)
    expect(found).toEqual(['probe.vue:1 title="Close"', 'probe.vue:1 text "Hello"'])
  })
})
