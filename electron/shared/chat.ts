/** im.chat.add vocabulary shared by the core, the sandbox-free renderer and the CLI. Pure data, no I/O. */

export const CHAT_FIELDS = [
  'USERS', 'TYPE', 'TITLE', 'DESCRIPTION', 'COLOR', 'MESSAGE', 'AVATAR', 'ENTITY_TYPE', 'ENTITY_ID', 'COPILOT_MAIN_ROLE', 'OWNER',
] as const
/** A sheet column can map to one of these; OWNER is the tool's own (applied with im.chat.setOwner). */
export type ChatField = (typeof CHAT_FIELDS)[number]

export const COLOR_CODES = [
  'RED', 'GREEN', 'MINT', 'LIGHT_BLUE', 'DARK_BLUE', 'PURPLE', 'AQUA', 'PINK', 'LIME', 'BROWN',
  'AZURE', 'KHAKI', 'SAND', 'MARENGO', 'GRAY', 'GRAPHITE',
] as const
export type ColorCode = (typeof COLOR_CODES)[number]

/** Bitrix\Im\Color: hex and the portal's English name, plus the Russian name the UI shows. */
export const COLORS: Record<ColorCode, { hex: string; en: string; ru: string }> = {
  RED: { hex: '#df532d', en: 'Red', ru: 'Красный' },
  GREEN: { hex: '#64a513', en: 'Green', ru: 'Зелёный' },
  MINT: { hex: '#4ba984', en: 'Mint', ru: 'Мятный' },
  LIGHT_BLUE: { hex: '#4ba5c3', en: 'Sky blue', ru: 'Голубой' },
  DARK_BLUE: { hex: '#3e99ce', en: 'Blue', ru: 'Синий' },
  PURPLE: { hex: '#8474c8', en: 'Purple', ru: 'Фиолетовый' },
  AQUA: { hex: '#1eb4aa', en: 'Aqua', ru: 'Бирюзовый' },
  PINK: { hex: '#f76187', en: 'Pink', ru: 'Розовый' },
  LIME: { hex: '#58cc47', en: 'Lime', ru: 'Лаймовый' },
  BROWN: { hex: '#ab7761', en: 'Brown', ru: 'Коричневый' },
  AZURE: { hex: '#29619b', en: 'Azure', ru: 'Лазурный' },
  KHAKI: { hex: '#728f7a', en: 'Khaki', ru: 'Хаки' },
  SAND: { hex: '#ba9c7b', en: 'Sand', ru: 'Песочный' },
  MARENGO: { hex: '#556574', en: 'Marengo', ru: 'Маренго' },
  GRAY: { hex: '#909090', en: 'Grey', ru: 'Серый' },
  GRAPHITE: { hex: '#5e5f5e', en: 'Graphite', ru: 'Графитовый' },
}

/** The order the server's round-robin colour counter walks (notes §1). */
export const ROUND_ROBIN_COLORS: readonly ColorCode[] = ['RED', 'GREEN', 'MINT', 'LIGHT_BLUE', 'DARK_BLUE', 'PURPLE', 'AQUA', 'PINK', 'LIME', 'BROWN']

export const CHAT_TYPES = ['OPEN', 'CHAT'] as const
export type ChatType = (typeof CHAT_TYPES)[number]

/** Exactly the im.chat.add parameters the tool sends (API names). */
export interface ChatParams {
  USERS?: number[]
  TYPE?: ChatType
  TITLE?: string
  DESCRIPTION?: string
  COLOR?: ColorCode
  MESSAGE?: string
  /** Bare base64 (no data: prefix), already downscaled. */
  AVATAR?: string
  ENTITY_TYPE?: string
  ENTITY_ID?: string
  COPILOT_MAIN_ROLE?: string
}

/** Limits of the server's columns (notes §1, §8). */
export const LIMITS = {
  TITLE: 255,
  ENTITY_TYPE: 50,
  ENTITY_ID: 255,
  AVATAR_MAX_EDGE: 5000,
  BATCH_MAX: 50,
} as const

/** The portal's deep link to a chat. */
export const chatLink = (portal: string, chatId: number): string => `${portal.replace(/\/+$/, '')}/online/?IM_DIALOG=chat${chatId}`
