import { describe, expect, it } from 'vitest'
import { titleText } from '../../renderer/src/chatTitle'
import { createAppI18n } from '../../renderer/src/i18n'
import type { Lang } from '../../renderer/src/i18n'
import type { Translate } from '../../renderer/src/format'

const tr = (lang: Lang): Translate => {
  const i18n = createAppI18n(lang)
  return (key, params) => i18n.global.t(key, params ?? {})
}
const en = tr('en')
const ru = tr('ru')

describe('titleText (generated titles in the UI language)', () => {
  it('a title the sheet gives is shown verbatim', () => {
    expect(titleText({ titlePreview: 'Sales', titleGenerated: false, colorAuto: true }, ru, 'ru')).toBe('Sales')
  })
  it('words the core’s English previews from the colour', () => {
    expect(titleText({ titlePreview: 'Red Chat #…', titleGenerated: true, color: 'RED', colorAuto: false }, en, 'en')).toBe('Red Chat #… — named by the portal')
    expect(titleText({ titlePreview: 'Red Chat #…', titleGenerated: true, color: 'RED', colorAuto: false }, ru, 'ru')).toBe('Красный чат №… — название даст портал')
    const auto = { titlePreview: 'Chat #… (colour picked by the portal, round-robin)', titleGenerated: true, colorAuto: true }
    expect(titleText(auto, en, 'en')).toBe('Chat #… — the portal picks the colour and the name')
    expect(titleText(auto, ru, 'ru')).toBe('Чат №… — цвет и название выберет портал')
  })
  it('portal with chat colours off: "Chat with <names>" keeps the names', () => {
    expect(titleText({ titlePreview: 'Chat with Anna, #12', titleGenerated: true, color: 'MARENGO', colorAuto: false }, ru, 'ru')).toBe('Чат с участниками Anna, #12 — название даст портал')
    expect(titleText({ titlePreview: 'Chat', titleGenerated: true, colorAuto: true }, en, 'en')).toBe('Chat — named by the portal')
  })
})
