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
  it('words generated titles from the core’s titleKind and colour, never from its English text', () => {
    const red = { titlePreview: 'anything', titleGenerated: true, titleKind: 'colorNumbered' as const, color: 'RED' as const, colorAuto: false }
    expect(titleText(red, en, 'en')).toBe('Red Chat #… — named by the portal')
    expect(titleText(red, ru, 'ru')).toBe('Красный чат №… — название даст портал')
    const auto = { titlePreview: 'anything', titleGenerated: true, titleKind: 'autoNumbered' as const, colorAuto: true }
    expect(titleText(auto, en, 'en')).toBe('Chat #… — the portal picks the colour and the name')
    expect(titleText(auto, ru, 'ru')).toBe('Чат №… — цвет и название выберет портал')
  })
  it('portal with chat colours off: "Chat with <names>" keeps the names', () => {
    const names = { titlePreview: 'Chat with Anna, #12', titleGenerated: true, titleKind: 'withMembers' as const, titleNames: ['Anna', '#12'], color: 'MARENGO' as const, colorAuto: false }
    expect(titleText(names, ru, 'ru')).toBe('Чат с участниками Anna, #12 — название даст портал')
    // A member called "Chat with" changes nothing: the kind decides, not the text.
    expect(titleText({ titlePreview: 'Chat', titleGenerated: true, titleKind: 'plain', colorAuto: true }, en, 'en')).toBe('Chat — named by the portal')
  })
  it('rows stored without titleKind are read by their flags', () => {
    expect(titleText({ titlePreview: 'Red Chat #…', titleGenerated: true, color: 'RED', colorAuto: false }, en, 'en')).toBe('Red Chat #… — named by the portal')
    expect(titleText({ titlePreview: 'x', titleGenerated: true, colorAuto: true }, en, 'en')).toBe('Chat #… — the portal picks the colour and the name')
  })
})
