/**
 * A read-only page for chat links (`/online/?IM_DIALOG=chatN`), so "open in portal" for a sandbox chat shows the
 * chat instead of a 404: title, colour, type, members, owner, entity pair, avatar facts and messages.
 * Everything interpolated is HTML-escaped; the page runs no script (CSP default-src 'none').
 */
import { COLORS } from '../shared/chat'
import type { ColorCode } from '../shared/chat'
import type { SandboxChat } from './types'

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)

export const ONLINE_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

export function renderOnlinePage(chat: SandboxChat | undefined, dialog: string, nameOf: (id: number) => string): { status: number; html: string } {
  const shell = (title: string, body: string): string => `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)} · Sandbox portal</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#eef2f4;color:#333}main{max-width:760px;margin:32px auto;background:#fff;border-radius:12px;padding:24px 28px;box-shadow:0 1px 3px #0002}
.badge{display:inline-block;border-radius:999px;padding:2px 10px;font-size:12px;background:#e8edf0;margin-left:8px}.avatar{width:56px;height:56px;border-radius:50%;display:inline-flex;align-items:center;justify-content:center;color:#fff;font-weight:700;font-size:22px;vertical-align:middle;margin-right:14px}
dt{color:#777;float:left;width:130px}dd{margin:0 0 6px 140px}.msg{background:#f3f6f8;border-radius:10px;padding:8px 12px;margin:6px 0;white-space:pre-wrap}header{display:flex;align-items:center}h1{font-size:22px;margin:0}.note{color:#888;font-size:13px;margin-top:18px}</style></head><body><main>${body}</main></body></html>`
  if (!chat) return { status: 404, html: shell('Chat not found', `<h1>Chat not found</h1><p>The sandbox portal has no chat <code>${esc(dialog)}</code>.</p>`) }
  const color = COLORS[chat.color as ColorCode]?.hex ?? '#556574'
  const initials = chat.title.trim().slice(0, 1).toUpperCase() || '#'
  const members = chat.users.map((id) => `${esc(nameOf(id))} (${id})${id === chat.ownerId ? ' — owner' : ''}`).join('<br>')
  const body = `<header><span class="avatar" style="background:${color}">${esc(initials)}</span><div><h1>${esc(chat.title)}<span class="badge">${chat.type === 'OPEN' ? 'Open chat' : 'Closed chat'}</span></h1>
<div>chat${chat.id} · colour ${esc(chat.color)}</div></div></header><dl style="margin-top:18px">
<dt>Members</dt><dd>${members || '—'}</dd>
<dt>Description</dt><dd>${esc(chat.description) || '—'}</dd>
<dt>Entity</dt><dd>${chat.entityType ? `${esc(chat.entityType)} / ${esc(chat.entityId ?? '')}` : '—'}</dd>
<dt>Avatar</dt><dd>${chat.avatar ? `${esc(chat.avatar.mime)}, ${chat.avatar.width}×${chat.avatar.height}` : 'none'}</dd></dl>
<h2 style="font-size:16px">Messages</h2>${chat.messages.map((m) => `<div class="msg">${esc(m)}</div>`).join('') || '<p>—</p>'}
<p class="note">This is the built-in sandbox portal of B24 Chat Admin: a rehearsal stand-in for Bitrix24, not a real portal.</p>`
  return { status: 200, html: shell(chat.title, body) }
}
