import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { NodeTypes, parse } from '@vue/compiler-dom'
import { describe, expect, it } from 'vitest'
import { en } from '../../renderer/src/i18n/en'
import { ru } from '../../renderer/src/i18n/ru'
import { createAppI18n } from '../../renderer/src/i18n'
import { ERROR_CODES } from '../../electron/shared/result'
import { CHAT_FIELDS } from '../../electron/shared/chat'
import { ROW_STATES } from '../../electron/shared/jobs'

type Tree = { [k: string]: string | Tree }
function keys(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) => (typeof v === 'string' ? [`${prefix}${k}`] : keys(v, `${prefix}${k}.`)))
}
function get(tree: Tree, key: string): string | undefined {
  let o: string | Tree | undefined = tree
  for (const part of key.split('.')) o = typeof o === 'object' ? o[part] : undefined
  return typeof o === 'string' ? o : undefined
}

const enKeys = keys(en as Tree)
const ruKeys = keys(ru as Tree)

describe('i18n completeness', () => {
  it('every English key exists in Russian', () => {
    expect(enKeys.filter((k) => !ruKeys.includes(k))).toEqual([])
  })
  it('every Russian key exists in English', () => {
    expect(ruKeys.filter((k) => !enKeys.includes(k))).toEqual([])
  })
  it('no message is empty', () => {
    expect(enKeys.filter((k) => !get(en as Tree, k)?.trim())).toEqual([])
    expect(ruKeys.filter((k) => !get(ru as Tree, k)?.trim())).toEqual([])
  })
  it('Russian texts are translated (Cyrillic), except names and technical terms', () => {
    const words = (k: string): string => (get(en as Tree, k) ?? '').replace(/\{\w+\}/g, '')
    const same = enKeys.filter((k) => get(en as Tree, k) === get(ru as Tree, k) && /[a-z]{4,}/i.test(words(k)))
    expect(same.sort()).toEqual(['app.name', 'connections.clientId', 'connections.clientSecret', 'connections.refreshToken', 'import.shortcut'])
  })
  it('placeholders match between languages', () => {
    const params = (s: string | undefined): string[] => [...(s ?? '').matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort()
    const mismatched = enKeys.filter((k) => JSON.stringify(params(get(en as Tree, k))) !== JSON.stringify(params(get(ru as Tree, k))))
    expect(mismatched).toEqual([])
  })
  it('has a text for every error code, chat field and row state the backend can send', () => {
    for (const c of ERROR_CODES) expect(get(en as Tree, `errors.hint.${c}`), c).toBeTruthy()
    for (const f of [...CHAT_FIELDS, 'ROW', 'FILE']) expect(get(ru as Tree, `fields.${f}`), f).toBeTruthy()
    for (const s of ROW_STATES) expect(get(ru as Tree, `rowState.${s}`), s).toBeTruthy()
  })
  it('every message compiles and renders (no stray vue-i18n syntax such as a bare pipe or at-sign)', () => {
    for (const lang of ['en', 'ru'] as const) {
      const i18n = createAppI18n(lang)
      const bad: string[] = []
      for (const k of lang === 'en' ? enKeys : ruKeys) {
        let out: string
        try {
          out = i18n.global.t(k, { n: 1, name: 'X', message: 'm', portal: 'p', userId: 1, id: 1, line: 2, status: 's', profile: 'P', field: 'f', title: 'T', width: 1, height: 1, kb: 1, edge: 1, example: 'e', max: 1, until: 'u', method: 'm', used: 1, limit: 2, reason: 'r', s: 1, m: 1, h: 1, pct: '1%', version: 'v', color: 'Red', names: 'A, B', value: 'v', email: 'a@b.c', fileLine: 3, title: 'T' })
        } catch {
          bad.push(k)
          continue
        }
        if (out === k || /\{\w+\}/.test(out)) bad.push(k)
      }
      expect(bad, lang).toEqual([])
    }
  })
})

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
    const root = join(__dirname, '../../renderer/src')
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
