/**
 * How the preview words a chat's title, in the UI language (pure).
 *
 * The core says how a title comes about (`titleKind`, electron/shared/sheet.ts) and, for a "Chat with …" title,
 * the names (`titleNames`); its English `titlePreview` is shown only when the sheet or form gave the title.
 * The renderer never parses core text.
 */
import { COLORS } from '../../electron/shared/chat'
import type { SheetRow, TitleKind } from '../../electron/shared/sheet'
import type { Translate } from './format'
import type { Lang } from './i18n'

export type TitleSource = Pick<SheetRow, 'titlePreview' | 'titleGenerated' | 'titleKind' | 'titleNames' | 'color' | 'colorAuto'>

/** The row's title kind; rows stored before `titleKind` existed are read by their flags. */
export function titleKindOf(row: TitleSource): TitleKind {
  if (row.titleKind) return row.titleKind
  if (!row.titleGenerated) return 'given'
  return row.colorAuto || !row.color ? 'autoNumbered' : 'colorNumbered'
}

/** The title the preview shows: verbatim when given, else the generated one in words of the current language. */
export function titleText(row: TitleSource, t: Translate, lang: Lang): string {
  const kind = titleKindOf(row)
  switch (kind) {
    case 'given':
      return row.titlePreview
    case 'withMembers':
      return t('autoTitle.withMembers', { names: (row.titleNames ?? []).join(', ') })
    case 'plain':
      return t('autoTitle.plain')
    case 'autoNumbered':
      return t('autoTitle.auto')
    case 'colorNumbered':
      return row.color && row.color in COLORS ? t('autoTitle.color', { color: COLORS[row.color][lang] }) : t('autoTitle.auto')
    default: {
      const never: never = kind
      return String(never)
    }
  }
}
