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
          out = i18n.global.t(k, { n: 1, name: 'X', message: 'm', portal: 'p', userId: 1, id: 1, line: 2, status: 's', profile: 'P', field: 'f', title: 'T', width: 1, height: 1, kb: 1, edge: 1, example: 'e', max: 1, until: 'u', method: 'm', used: 1, limit: 2, reason: 'r', s: 1, m: 1, h: 1, pct: '1%', version: 'v', color: 'Red', names: 'A, B', value: 'v', email: 'a@b.c', fileLine: 3 })
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
