import { describe, expect, it } from 'vitest'
import { createAppI18n, resolveLang } from '../../renderer/src/i18n'
import type { Lang } from '../../renderer/src/i18n'
import { counted, errorText, flowText, formatClock, formatEta, formatRate, initials, pacingText, pluralForm, problemText } from '../../renderer/src/format'
import type { Translate } from '../../renderer/src/format'
import { entityHint } from '../../renderer/src/entityHint'

function tr(lang: Lang): Translate {
  const i18n = createAppI18n(lang)
  return (key, params) => i18n.global.t(key, params ?? {})
}
const en = tr('en')
const ru = tr('ru')
// 2024-03-01 12:03:10 UTC
const AT = Date.UTC(2024, 2, 1, 12, 3, 10)

describe('formatEta', () => {
  it('reads naturally at each scale', () => {
    expect(formatEta(45, en)).toBe('45 s')
    expect(formatEta(185, en)).toBe('3 min 05 s')
    expect(formatEta(3720, en)).toBe('1 h 02 min')
    expect(formatEta(185, ru)).toBe('3 мин 05 с')
  })
  it('says it is still calculating when unknown', () => {
    expect(formatEta(null, en)).toBe('calculating…')
    expect(formatEta(Number.NaN, ru)).toBe('вычисляется…')
  })
})

describe('formatRate', () => {
  it('one decimal with the locale separator', () => {
    expect(formatRate(4.25, en, 'en')).toBe('4.3 chats/s')
    expect(formatRate(4.25, ru, 'ru')).toBe('4,3 чатов/с')
    expect(formatRate(0, en, 'en')).toBe('—')
  })
})

describe('pacingText', () => {
  it('explains the operating-budget wait with the clock time it ends', () => {
    const text = pacingText({ kind: 'operating', method: 'im.chat.add', untilMs: AT, usedSec: 431.6, limitSec: 480 }, en, 'en', 'UTC')
    expect(text).toBe('Waiting for the operating budget until 12:03:10 (im.chat.add: 432 of 480 s used)')
  })
  it('covers every pacing state in Russian too', () => {
    expect(pacingText({ kind: 'backoff', reason: 'QUERY_LIMIT_EXCEEDED', untilMs: AT }, ru, 'ru', 'UTC')).toContain('12:03:10')
    expect(pacingText({ kind: 'backoff', reason: 'NETWORK', untilMs: AT }, en, 'en', 'UTC')).toBe('The portal is unreachable: trying again at 12:03:10')
    expect(pacingText({ kind: 'bucket', untilMs: AT }, en, 'en', 'UTC')).toContain('request rate')
    for (const p of [{ kind: 'idle' }, { kind: 'sending' }, { kind: 'resolving' }, { kind: 'refreshing-token' }] as const) {
      const text = pacingText(p, ru, 'ru')
      expect(text).not.toMatch(/pacing\./)
      expect(text.length).toBeGreaterThan(3)
    }
  })
  it('formatClock is 24-hour', () => {
    expect(formatClock(Date.UTC(2024, 0, 1, 23, 5, 9), 'en', 'UTC')).toBe('23:05:09')
  })
})

describe('errorText', () => {
  it('uses the Russian message when there is one and adds what to do', () => {
    const e = { code: 'NETWORK' as const, message: 'The portal did not answer.', messageRu: 'Портал не ответил.' }
    expect(errorText(e, 'en', en)).toBe('The portal did not answer. Check the network connection and that the portal is reachable, then try again.')
    expect(errorText(e, 'ru', ru)).toMatch(/^Портал не ответил\. Проверьте подключение/)
  })
  it('a message the core has only in English starts with a Russian sentence for its code; the portal error verbatim', () => {
    const e = { code: 'PORTAL_ERROR' as const, message: 'The portal refused the chat.', portalError: 'ACCESS_ERROR', portalDescription: 'No access' }
    expect(errorText(e, 'ru', ru)).toMatch(/^Портал вернул ошибку\. \(The portal refused the chat\.\) \(ACCESS_ERROR: No access\)/)
    const refused = { code: 'NETWORK' as const, message: 'Could not reach the portal: connect ECONNREFUSED 127.0.0.1:8443' }
    expect(errorText(refused, 'ru', ru)).toMatch(/^Нет связи с порталом\. \(Could not reach the portal: connect ECONNREFUSED/)
    expect(errorText(refused, 'en', ru)).toMatch(/^Could not reach the portal/)
  })
  it('problemText picks the language', () => {
    expect(problemText({ message: 'Bad', messageRu: 'Плохо' }, 'ru')).toBe('Плохо')
    expect(problemText({ message: 'Bad', messageRu: 'Плохо' }, 'en')).toBe('Bad')
  })
})

describe('entity hints', () => {
  it('gives the format for CRM, smart processes and tasks, and warns on SONET_GROUP', () => {
    expect(en(entityHint('CRM').key, entityHint('CRM').params)).toContain('DEAL|1663')
    expect(en(entityHint('dynamic_128').key, entityHint('dynamic_128').params)).toContain('DYNAMIC_<type>|<id>')
    expect(entityHint('TASKS').key).toBe('compose.hint.tasks')
    expect(entityHint('SONET_GROUP').level).toBe('warning')
    expect(entityHint('').key).toBe('compose.hint.none')
    expect(entityHint('MY_APP').key).toBe('compose.hint.custom')
  })
})

describe('misc', () => {
  it('initials for the chat-card circle', () => {
    expect(initials('Sales team Moscow')).toBe('ST')
    expect(initials('  ')).toBe('#')
    expect(initials('отдел продаж')).toBe('ОП')
  })
  it('resolveLang: explicit choice wins, system follows the OS locale', () => {
    expect(resolveLang('ru', 'en-US')).toBe('ru')
    expect(resolveLang('system', 'ru-RU')).toBe('ru')
    expect(resolveLang('system', 'de-DE')).toBe('en')
  })
})

const flow = { inFlight: 3, limit: 4, ceiling: 4, budgetUsedPct: 61, budgetMethod: 'batch' }

describe('the pace explains concurrency', () => {
  it('says how many requests are in flight and how much budget is used', () => {
    expect(pacingText({ kind: 'sending', flow }, en, 'en', 'UTC')).toBe('Sending at full pace · 3 requests in flight (up to 4), operating budget 61 % used')
    expect(pacingText({ kind: 'operating', method: 'batch', untilMs: AT, usedSec: 292.8, limitSec: 480, flow: { ...flow, inFlight: 1 } }, en, 'en', 'UTC')).toBe(
      'Waiting for the operating budget until 12:03:10 (batch: 293 of 480 s used) · 1 request in flight (up to 4), operating budget 61 % used',
    )
    expect(pacingText({ kind: 'sending', flow }, ru, 'ru', 'UTC')).toBe('Отправка в полном темпе · запросов в работе: 3 (не более 4), лимит времени выполнения израсходован на 61 %')
  })

  it('says nothing extra when nothing is in flight or known', () => {
    expect(flowText(undefined, en)).toBe('')
    expect(flowText({ inFlight: 0, limit: 2, ceiling: 4, budgetUsedPct: null, budgetMethod: null }, en)).toBe('')
    expect(pacingText({ kind: 'idle', flow: { inFlight: 0, limit: 2, ceiling: 4, budgetUsedPct: null, budgetMethod: null } }, en, 'en')).toBe('Idle')
    expect(flowText({ inFlight: 0, limit: 2, ceiling: 4, budgetUsedPct: 12, budgetMethod: 'im.chat.add' }, ru)).toBe('лимит времени выполнения израсходован на 12 %')
  })
})

describe('counted phrases', () => {
  it('picks the plural form each language needs', () => {
    expect([1, 2, 5, 11, 21, 22, 25, 112, 1001].map((n) => pluralForm(n, 'ru'))).toEqual(['one', 'few', 'many', 'many', 'one', 'few', 'many', 'many', 'one'])
    expect([0, 1, 2, 21].map((n) => pluralForm(n, 'en'))).toEqual(['many', 'one', 'many', 'many'])
    expect(counted('outbox.state.pausing', 21, ru, 'ru', true)).toBe('Приостанавливается — ждём 21 чат в пути')
    expect(counted('outbox.state.pausing', 3, ru, 'ru', true)).toBe('Приостанавливается — ждём 3 чата в пути')
    expect(counted('outbox.state.pausing', 0, en, 'en', true)).toBe('Pausing — nothing is in flight')
    expect(counted('outbox.state.pausing', 1200, en, 'en', true)).toBe('Pausing — waiting for the 1,200 chats in flight')
  })
})

describe('errorText ends a bare message before its hint', () => {
  it('adds a full stop only where the message has no end of its own', () => {
    expect(errorText({ code: 'NETWORK', message: 'Could not reach the portal: connect ECONNREFUSED 127.0.0.1:9' }, 'en', en)).toBe('Could not reach the portal: connect ECONNREFUSED 127.0.0.1:9. Check the network connection and that the portal is reachable, then try again.')
    expect(errorText({ code: 'NETWORK', message: 'The portal did not answer.' }, 'en', en)).toBe('The portal did not answer. Check the network connection and that the portal is reachable, then try again.')
  })
})

describe('a second browser tab on the app address', () => {
  // What the browser shell answers a tab without the run's key (electron/web/server.ts, NOT_THIS_TAB).
  const refused = {
    code: 'FORBIDDEN' as const,
    message: 'This browser tab is not connected to the app: only the tab the app opened holds its one-time key. Use that tab, or restart the app to get a new address.',
    messageRu: 'Эта вкладка браузера не подключена к приложению: одноразовый ключ есть только у вкладки, которую открыло приложение. Используйте её или перезапустите приложение, чтобы получить новый адрес.',
  }
  it('is told to use the tab the app opened, never only that a portal user lacks rights (issue 12 §10)', () => {
    const shownEn = errorText(refused, 'en', en)
    expect(shownEn).toMatch(/^This browser tab is not connected to the app/)
    expect(shownEn).toBe(refused.message)
    expect(shownEn).not.toMatch(/rights|webhook|administrator/)
    const shownRu = errorText(refused, 'ru', ru)
    expect(shownRu).toMatch(/^Эта вкладка браузера не подключена к приложению/)
    expect(shownRu).toBe(refused.messageRu)
    expect(shownRu).not.toMatch(/прав|вебхук|администратор/)
  })

  it('a portal that refuses for lack of rights still gets the hint about an administrator’s webhook', () => {
    const portal = { code: 'FORBIDDEN' as const, message: 'The application is not available to this user (user_access_error).', portalError: 'user_access_error' }
    expect(errorText(portal, 'en', en)).toContain('use an administrator’s webhook')
    expect(errorText({ ...portal, messageRu: 'Приложение недоступно этому пользователю (user_access_error).' }, 'ru', ru)).toContain('используйте вебхук администратора')
  })
})
