/**
 * The sheet-problem catalogue: every code the import and the live dry run can raise, its default severity and
 * its text in English and Russian. Pure data (shared with the renderer, which may list or filter by code).
 * Texts take `{name}` placeholders filled by `makeProblem`.
 */
import type { Problem, Severity } from './sheet'
import type { ErrorCode } from './result'

interface ProblemText {
  severity: Severity
  en: string
  ru: string
}

export const PROBLEM_TEXT = {
  // ── File level ──────────────────────────────────────────────────────────────────────────────────────────
  FILE_EMPTY: {
    severity: 'error',
    en: 'The file is empty. Download the template, fill in one row per chat and open it.',
    ru: 'Файл пуст. Скачайте шаблон, заполните по строке на чат и откройте его.',
  },
  FILE_TOO_LARGE: {
    severity: 'error',
    en: 'The file is {size}; the limit is {limit}. Split it into smaller sheets.',
    ru: 'Размер файла {size}, а допустимо не больше {limit}. Разделите его на несколько таблиц.',
  },
  FILE_BINARY: {
    severity: 'error',
    en: 'This is not a sheet ({kind}). Open a CSV, .xlsx, .xls or .ods file.',
    ru: 'Это не таблица ({kindRu}). Откройте файл CSV, .xlsx, .xls или .ods.',
  },
  FILE_UNREADABLE: { severity: 'error', en: 'The file could not be read: {reason}.', ru: 'Не удалось прочитать файл: {reason}.' },
  FILE_NO_HEADER: {
    severity: 'error',
    en: 'The file has no header row: only blank lines.',
    ru: 'В файле нет строки заголовков: только пустые строки.',
  },
  FILE_NO_ROWS: {
    severity: 'error',
    en: 'The sheet has a header row but no data rows. Add one row per chat below the header and open it again.',
    ru: 'В таблице есть строка заголовков, но нет строк с данными. Добавьте под заголовком по строке на чат и откройте файл снова.',
  },
  WORKBOOK_TOO_BIG_UNPACKED: {
    severity: 'error',
    en: 'The workbook unpacks to more than {limit}. Save the sheet you need on its own, or as CSV, and open that file.',
    ru: 'Книга в распакованном виде больше {limit}. Сохраните нужный лист отдельно или как CSV и откройте этот файл.',
  },
  FILE_IS_WORKBOOK: {
    severity: 'warning',
    en: 'The file name does not say so, but this is a spreadsheet workbook (.{format}); it was read as one.',
    ru: 'Судя по имени файла, это не книга, но по содержимому это книга табличной программы (.{format}); она прочитана как книга.',
  },
  WORKBOOK_FORMULAS: {
    severity: 'warning',
    en: '{count} cells hold formulas ({cells}): the values they showed when the file was last saved are used. Check them.',
    ru: 'В {count} ячейках формулы ({cells}): берутся значения, сохранённые в файле при последнем сохранении. Проверьте их.',
  },
  WORKBOOK_MERGED: {
    severity: 'warning',
    en: 'Merged cells ({ranges}): a value merged down several rows is used on each of them; one merged across columns stays in its first column.',
    ru: 'Объединённые ячейки ({ranges}): значение, объединённое по нескольким строкам, берётся для каждой из них; объединённое по столбцам остаётся в первом столбце.',
  },
  WORKBOOK_HIDDEN_ROWS: {
    severity: 'warning',
    en: 'Rows {rows} are hidden in the spreadsheet and were not imported. Show them and open the file again to include them.',
    ru: 'Строки {rows} скрыты в таблице и не импортированы. Покажите их и откройте файл снова, чтобы включить.',
  },
  WORKBOOK_ROUNDED: {
    severity: 'warning',
    en: 'Cells {cells} hold numbers longer than 15 digits, which the spreadsheet has already rounded. Store such ids as text.',
    ru: 'В ячейках {cells} числа длиннее 15 цифр, которые таблица уже округлила. Храните такие ID как текст.',
  },
  FILE_DECODE: {
    severity: 'warning',
    en: 'Some bytes are not valid {encoding}; they are shown as �. Check the encoding.',
    ru: 'Часть байтов не читается как {encoding}; они показаны как �. Проверьте кодировку.',
  },
  QUOTE_UNTERMINATED: {
    severity: 'warning',
    en: 'A quote opened on line {line} is never closed, so everything after it is read as one cell.',
    ru: 'Кавычка, открытая в строке {line}, нигде не закрыта, поэтому всё после неё читается как одна ячейка.',
  },
  HEADER_EMPTY: {
    severity: 'warning',
    en: 'Column {n} has no header; it is called "{name}" here.',
    ru: 'У столбца {n} нет заголовка; здесь он называется «{name}».',
  },
  HEADER_DUPLICATE: {
    severity: 'warning',
    en: 'The header "{name}" appears more than once; the later column is called "{renamed}" here.',
    ru: 'Заголовок «{name}» встречается несколько раз; следующий столбец здесь называется «{renamed}».',
  },
  MAPPING_NONE: {
    severity: 'error',
    en: 'No column matches a chat field (TITLE, USERS, …). Map the columns by hand, or check the delimiter and the header row.',
    ru: 'Ни один столбец не сопоставлен с полем чата (TITLE, USERS, …). Сопоставьте столбцы вручную или проверьте разделитель и строку заголовков.',
  },
  MAPPING_UNKNOWN_COLUMN: {
    severity: 'warning',
    en: 'The mapping names the column "{column}" for {field}, but the sheet has no such column; {field} is left unmapped.',
    ru: 'В сопоставлении для {field} указан столбец «{column}», которого нет в таблице; поле {field} не заполняется.',
  },
  LIVE_FAILED: {
    severity: 'warning',
    en: 'The check against the portal did not finish: {reason}',
    ru: 'Проверка на портале не завершена: {reason}',
  },

  // ── Row level: structure ────────────────────────────────────────────────────────────────────────────────
  ROW_EMPTY: {
    severity: 'error',
    en: 'Nothing to send: every mapped cell of this row is empty.',
    ru: 'Нечего отправлять: все сопоставленные ячейки этой строки пусты.',
  },
  ROW_TOO_MANY_FIELDS: {
    severity: 'error',
    en: 'This row has {count} cells but the header has {headers}; a delimiter inside an unquoted cell has probably shifted the columns.',
    ru: 'В строке {count} ячеек, а в заголовке {headers}; вероятно, разделитель внутри ячейки без кавычек сдвинул столбцы.',
  },
  ROW_TOO_FEW_FIELDS: {
    severity: 'warning',
    en: 'This row has {count} cells but the header has {headers}; the missing ones are read as empty.',
    ru: 'В строке {count} ячеек, а в заголовке {headers}; недостающие считаются пустыми.',
  },
  ROW_UNTERMINATED_QUOTE: {
    severity: 'error',
    en: 'A quote opened in this row is never closed, so the row runs to the end of the file (line {end}).',
    ru: 'Кавычка в этой строке не закрыта, поэтому строка продолжается до конца файла (строка {end}).',
  },
  ROW_MALFORMED_QUOTES: {
    severity: 'error',
    en: 'A quoted cell has text after its closing quote; check the quotes in this row.',
    ru: 'После закрывающей кавычки в ячейке есть текст; проверьте кавычки в этой строке.',
  },
  ROW_DUPLICATE: {
    severity: 'warning',
    en: 'Same title and members as line {other}: this would create a second, identical chat.',
    ru: 'То же название и те же участники, что в строке {other}: будет создан второй такой же чат.',
  },

  // ── Row level: fields ───────────────────────────────────────────────────────────────────────────────────
  USERS_INVALID: {
    severity: 'error',
    en: 'Not a user id or e-mail: {values}.',
    ru: 'Это не ID пользователя и не e-mail: {values}.',
  },
  USERS_NONE: {
    severity: 'warning',
    en: 'No members: the chat will have only its creator.',
    ru: 'Нет участников: в чате будет только его создатель.',
  },
  TYPE_INVALID: {
    severity: 'error',
    en: '"{value}" is not a chat type; use OPEN or CHAT (открытый / закрытый). The portal would silently make it a closed chat.',
    ru: '«{value}» — не тип чата; укажите OPEN или CHAT (открытый / закрытый). Портал молча сделал бы чат закрытым.',
  },
  COLOR_INVALID: {
    severity: 'error',
    en: '"{value}" is not a chat colour; use one of {list}. The portal would pick another colour without telling.',
    ru: '«{value}» — не цвет чата; укажите один из: {list}. Портал молча выбрал бы другой цвет.',
  },
  COLOR_UNSAFE: {
    severity: 'error',
    en: 'ORANGE is not accepted for new chats: the portal would pick another colour without telling.',
    ru: 'Цвет ORANGE не принимается для новых чатов: портал молча выбрал бы другой.',
  },
  TITLE_TOO_LONG: {
    severity: 'error',
    en: 'The title has {length} characters; the portal allows at most {limit}.',
    ru: 'В названии {length} символов; портал допускает не больше {limit}.',
  },
  TITLE_MULTILINE: {
    severity: 'warning',
    en: 'The title contains a line break.',
    ru: 'В названии есть перенос строки.',
  },
  MESSAGE_LONG: {
    severity: 'warning',
    en: 'The {what} has {length} characters; texts over {limit} characters may be cut or rejected.',
    ru: 'В поле {what} {length} символов; тексты длиннее {limit} символов могут быть обрезаны или отклонены.',
  },
  AVATAR_NOT_FOUND: { severity: 'error', en: 'No such file: {path}', ru: 'Файл не найден: {path}' },
  AVATAR_NO_FOLDER: {
    severity: 'error',
    en: 'The avatar path {path} is relative, but the sheet\'s folder is unknown; choose the avatar folder (Import → Avatar folders) or use a full path.',
    ru: 'Путь к аватару {path} относительный, а папка таблицы неизвестна; выберите папку аватаров (Импорт → Папки аватаров) или укажите полный путь.',
  },
  AVATAR_URL: {
    severity: 'error',
    en: 'Web addresses are not supported for avatars; download the image and give the path to the file.',
    ru: 'Ссылки на аватары не поддерживаются; скачайте картинку и укажите путь к файлу.',
  },
  AVATAR_UNREADABLE: { severity: 'error', en: 'The avatar could not be read: {reason}', ru: 'Не удалось прочитать аватар: {reason}' },
  AVATAR_FILE_TOO_LARGE: {
    severity: 'error',
    en: 'The avatar file is {size}; the limit is {limit}.',
    ru: 'Размер файла аватара {size}, а допустимо не больше {limit}.',
  },
  AVATAR_NOT_IMAGE: {
    severity: 'error',
    en: '{what} is not a PNG, JPEG, GIF, WebP or BMP image; the portal would silently drop it.',
    ru: '{whatRu} — не картинка PNG, JPEG, GIF, WebP или BMP; портал молча отбросил бы её.',
  },
  AVATAR_TOO_BIG: {
    severity: 'error',
    en: 'The image is {width}×{height} px; the portal accepts at most 5000×5000 and would silently drop it.',
    ru: 'Картинка {width}×{height} пикс.; портал принимает не больше 5000×5000 и молча отбросил бы её.',
  },
  AVATAR_LARGE: {
    severity: 'warning',
    en: 'The {format} image is {width}×{height} px and is sent as it is (only PNG and JPEG are downscaled); it will slow the run down.',
    ru: 'Картинка {format} размером {width}×{height} пикс. отправляется как есть (уменьшаются только PNG и JPEG); это замедлит отправку.',
  },
  ENTITY_TYPE_TOO_LONG: {
    severity: 'error',
    en: 'ENTITY_TYPE has {length} characters; the portal allows at most {limit}.',
    ru: 'В ENTITY_TYPE {length} символов; портал допускает не больше {limit}.',
  },
  ENTITY_ID_TOO_LONG: {
    severity: 'error',
    en: 'ENTITY_ID has {length} characters; the portal allows at most {limit}.',
    ru: 'В ENTITY_ID {length} символов; портал допускает не больше {limit}.',
  },
  ENTITY_ID_FORMAT: {
    severity: 'error',
    en: 'For ENTITY_TYPE {type}, ENTITY_ID must look like {example}; "{value}" does not.',
    ru: 'Для ENTITY_TYPE {type} значение ENTITY_ID должно выглядеть как {example}; «{value}» не подходит.',
  },
  ENTITY_TYPE_CASE: {
    severity: 'warning',
    en: '"{value}" differs from the Bitrix24 type {upper} only in letter case; types are case-sensitive, so the portal treats it as a different type.',
    ru: '«{value}» отличается от типа Битрикс24 {upper} только регистром; типы чувствительны к регистру, и портал сочтёт его другим типом.',
  },
  ENTITY_TYPE_RESERVED: {
    severity: 'warning',
    en: '{type} chats belong to Bitrix24 itself: {reason}',
    ru: 'Чаты типа {type} принадлежат самому Битрикс24: {reasonRu}',
  },
  ENTITY_PAIR_INCOMPLETE: {
    severity: 'warning',
    en: '{present} is set but {missing} is empty: the chat cannot be found again by its entity pair.',
    ru: 'Указан {present}, но пуст {missing}: чат нельзя будет найти по паре сущности.',
  },
  ENTITY_PAIR_DUPLICATE: {
    severity: 'error',
    en: 'The same ENTITY_TYPE and ENTITY_ID are on lines {lines}; the portal would create two chats with one pair and later find only one of them.',
    ru: 'Одинаковые ENTITY_TYPE и ENTITY_ID в строках {lines}; портал создал бы два чата с одной парой и потом находил бы только один.',
  },
  OWNER_INVALID: {
    severity: 'error',
    en: 'The owner must be one user id or e-mail; "{value}" is not.',
    ru: 'Владелец — это один ID пользователя или e-mail; «{value}» не подходит.',
  },
  COPILOT_ROLE_FORMAT: {
    severity: 'warning',
    en: '"{value}" does not look like a CoPilot role code (e.g. copilot_assistant).',
    ru: '«{value}» не похоже на код роли CoPilot (например, copilot_assistant).',
  },

  // ── Live dry run ────────────────────────────────────────────────────────────────────────────────────────
  EMAIL_UNKNOWN: {
    severity: 'error',
    en: 'No user on the portal has the e-mail {email}.',
    ru: 'На портале нет пользователя с e-mail {email}.',
  },
  USER_UNKNOWN: {
    severity: 'error',
    en: 'No user with id {id} on the portal; the portal would leave them out without telling.',
    ru: 'На портале нет пользователя с ID {id}; портал молча не добавил бы его.',
  },
  USER_DISMISSED: {
    severity: 'warning',
    en: '{who} is dismissed (inactive); the portal would leave them out of the chat.',
    ru: '{who} уволен (неактивен); портал не добавит его в чат.',
  },
  OWNER_UNKNOWN: {
    severity: 'error',
    en: 'The owner {who} is not an active user on the portal.',
    ru: 'Владелец {who} — не активный пользователь портала.',
  },
  CHAT_EXISTS: {
    severity: 'warning',
    en: 'A chat with this ENTITY_TYPE and ENTITY_ID already exists on the portal (chat {id}); sending this row would create a second one.',
    ru: 'Чат с такими ENTITY_TYPE и ENTITY_ID уже есть на портале (чат {id}); отправка строки создаст второй.',
  },

  // ── Input bounds and avatar folders (issue 13) ──────────────────────────────────────────────────────────
  FILE_NOT_A_FILE: {
    severity: 'error',
    en: 'This is {kind}, not a file. Open a sheet saved as a file (.csv).',
    ru: 'Это {kindRu}, а не файл. Откройте таблицу, сохранённую в файл (.csv).',
  },
  FILE_NOT_FOUND: { severity: 'error', en: 'No such file.', ru: 'Файл не найден.' },
  FILE_DENIED: { severity: 'error', en: 'Permission denied: this user may not read the file.', ru: 'Нет доступа: у этого пользователя нет права читать файл.' },
  FILE_READ_TIMEOUT: {
    severity: 'error',
    en: 'The file did not finish reading within {seconds} s (a slow network folder, or a file that never ends).',
    ru: 'Файл не прочитан за {seconds} с (медленная сетевая папка или файл без конца).',
  },
  FILE_TOO_MANY_ROWS: {
    severity: 'error',
    en: 'The sheet has more than {limit} rows, the most one import takes. Split it into smaller sheets.',
    ru: 'В таблице больше {limit} строк — это предел для одного импорта. Разделите её на несколько таблиц.',
  },
  FILE_TOO_MANY_COLUMNS: {
    severity: 'error',
    en: 'The header row has {count} columns; the limit is {limit}. Delete the empty columns on the right in the spreadsheet program, or check the delimiter.',
    ru: 'В строке заголовков {count} столбцов, а допустимо не больше {limit}. Удалите пустые столбцы справа в табличной программе или проверьте разделитель.',
  },
  FILE_HEADER_TOO_LONG: {
    severity: 'error',
    en: 'The header row is {length} characters long; the limit is {limit}. Check the delimiter and the quotes in the first line.',
    ru: 'Длина строки заголовков {length} символов, а допустимо не больше {limit}. Проверьте разделитель и кавычки в первой строке.',
  },
  FILE_NOT_UTF8: {
    severity: 'warning',
    en: 'The file is not valid UTF-8 (the first byte that is not, 0x{byte}, is on line {line}, at byte {offset}), so it was read as {encoding}. If letters look wrong, choose another encoding.',
    ru: 'Файл не в корректной кодировке UTF-8 (первый неверный байт 0x{byte} — в строке {line}, позиция {offset}), поэтому он прочитан как {encoding}. Если буквы выглядят неправильно, выберите другую кодировку.',
  },
  ROW_TOO_LONG: {
    severity: 'error',
    en: 'This row is {length} characters long; the limit is {limit}. A quote that is never closed, or a huge cell, is the usual cause; the row is not read.',
    ru: 'Длина строки {length} символов, а допустимо не больше {limit}. Обычно причина — незакрытая кавычка или огромная ячейка; строка не прочитана.',
  },
  AVATAR_NOT_A_FILE: {
    severity: 'error',
    en: '{path} is {kind}, not an image file.',
    ru: '{path} — это {kindRu}, а не файл с картинкой.',
  },
  AVATAR_OUTSIDE: {
    severity: 'error',
    en: '{path} is in {folder}, outside the folders avatars may come from ({allowed}). Allow that folder when the app asks (Import → Avatar folders), or pass --avatars-from to b24chat.',
    ru: '{path} находится в папке {folder}, а аватары можно брать только из {allowed}. Разрешите эту папку, когда приложение спросит (Импорт → Папки аватаров), или передайте --avatars-from команде b24chat.',
  },
  AVATAR_DENIED: { severity: 'error', en: 'Permission denied: {path}', ru: 'Нет доступа к файлу: {path}' },
} as const satisfies Record<string, ProblemText>

export type ProblemCode = keyof typeof PROBLEM_TEXT

/** File-level codes that mean the file could not be read as a sheet at all (the CLI exits non-zero). */
export const FILE_FATAL_CODES: readonly ProblemCode[] = [
  'FILE_EMPTY', 'FILE_TOO_LARGE', 'FILE_BINARY', 'FILE_UNREADABLE', 'FILE_NO_HEADER', 'FILE_NO_ROWS',
  'FILE_NOT_A_FILE', 'FILE_NOT_FOUND', 'FILE_DENIED', 'FILE_READ_TIMEOUT', 'FILE_TOO_MANY_ROWS', 'FILE_TOO_MANY_COLUMNS',
  'FILE_HEADER_TOO_LONG', 'WORKBOOK_TOO_BIG_UNPACKED',
]

/** Problems the live dry run adds (dropped and recomputed when a row is edited or re-checked). */
export const LIVE_CODES: readonly ProblemCode[] = ['EMAIL_UNKNOWN', 'USER_UNKNOWN', 'USER_DISMISSED', 'OWNER_UNKNOWN', 'CHAT_EXISTS']

/** Problems that compare rows with each other (recomputed over the whole sheet after an edit). */
export const CROSS_ROW_CODES: readonly ProblemCode[] = ['ROW_DUPLICATE', 'ENTITY_PAIR_DUPLICATE']

export type ProblemVars = Record<string, string | number>

const fill = (text: string, vars: ProblemVars): string => text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m))

/** A Problem from the catalogue; `severity` overrides the code's default. */
export function makeProblem(field: Problem['field'], code: ProblemCode, vars: ProblemVars = {}, severity?: Severity): Problem {
  const t: ProblemText = PROBLEM_TEXT[code]
  return { field, code, severity: severity ?? t.severity, message: fill(t.en, vars), messageRu: fill(t.ru, vars) }
}

/** True when none of the file-level problems says the file could not be read. */
export function isReadable(fileProblems: readonly Problem[]): boolean {
  return !fileProblems.some((p) => (FILE_FATAL_CODES as readonly string[]).includes(p.code))
}

/**
 * The errorCode a job gives the rows validation rejected: they are reported as failed, never sent and never retried
 * (core/sync/store.ts writes it; the renderer counts those rows apart as "not sent").
 */
export const VALIDATION_CODE = 'VALIDATION' satisfies ErrorCode
