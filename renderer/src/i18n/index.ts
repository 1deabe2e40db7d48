import { createI18n } from 'vue-i18n'
import { en } from './en'
import type { MessageSchema } from './en'
import { ru } from './ru'

export const LANGS = ['en', 'ru'] as const
export type Lang = (typeof LANGS)[number]
export type LanguageSetting = 'system' | Lang

export const messages: Record<Lang, MessageSchema> = { en, ru }

/** 'system' → the OS locale (app.info) or the browser's; anything Russian → ru, else en. */
export function resolveLang(setting: LanguageSetting, osLocale?: string): Lang {
  if (setting === 'en' || setting === 'ru') return setting
  const loc = (osLocale || (typeof navigator !== 'undefined' ? navigator.language : '') || 'en').toLowerCase()
  return loc.startsWith('ru') ? 'ru' : 'en'
}

export function createAppI18n(lang: Lang = 'en') {
  return createI18n<[MessageSchema], Lang, false>({
    legacy: false,
    locale: lang,
    fallbackLocale: 'en',
    messages,
    missingWarn: false,
    fallbackWarn: false,
  })
}

export type AppI18n = ReturnType<typeof createAppI18n>
