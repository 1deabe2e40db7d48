/** The template sheet offered by the app ("Download template") and shipped as resources/template.csv. */
import { CHAT_FIELDS } from '../../shared/chat'

export const TEMPLATE_FILE_NAME = 'b24chat-template.csv'

const EXAMPLE: Record<(typeof CHAT_FIELDS)[number], string> = {
  USERS: '2, 3, user4@sandbox.test',
  TYPE: 'CHAT',
  TITLE: 'Project Phoenix',
  DESCRIPTION: 'Launch coordination for Phoenix',
  COLOR: 'RED',
  MESSAGE: 'Welcome! Agenda and files are pinned here.',
  AVATAR: '',
  ENTITY_TYPE: '',
  ENTITY_ID: '',
  COPILOT_MAIN_ROLE: '',
  OWNER: '2',
}

const quote = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)

/**
 * Every column by its API name and one example row. UTF-8 with a BOM and CRLF line ends, comma-separated:
 * Excel opens it with the right encoding; LibreOffice and Google Sheets too.
 */
export function templateCsv(): string {
  return `\uFEFF${CHAT_FIELDS.join(',')}\r\n${CHAT_FIELDS.map((f) => quote(EXAMPLE[f])).join(',')}\r\n`
}
