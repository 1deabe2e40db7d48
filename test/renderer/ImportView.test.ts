import './helpers/resizeObserver'
import { afterEach, describe, expect, it, vi } from 'vitest'
import ImportView from '../../renderer/src/views/ImportView.vue'
import { useAppStore } from '../../renderer/src/stores/app'
import { useJobsStore } from '../../renderer/src/stores/jobs'
import { allByTestId, bodyText, byTestId, click, mountView, settle, typeInto } from './helpers/mount'
import type { Mounted } from './helpers/mount'
import { makeCsv } from './helpers/fakeApi'

let m: Mounted | undefined
afterEach(() => {
  m?.wrapper.unmount()
  m = undefined
  document.body.innerHTML = ''
})

/**
 * Every send plan asked for, in order. A background re-plan (debounced after the preview) may land before or after
 * the one a click asks for, so tests look for the request they expect, not at the last one.
 */
const plansAsked = (mounted: Mounted | undefined): unknown[] => (mounted?.fake.callsTo('sheets.sendPlan') ?? []).map((c) => c.arg)

/** Drops a CSV on the import screen, confirms the mapping, lands on the preview. */
async function dropAndPreview(csv: string, name = 'chats.csv'): Promise<void> {
  const zone = byTestId('import-view')!
  const file = new File([csv], name, { type: 'text/csv' })
  const drop = new Event('drop', { bubbles: true, cancelable: true }) as DragEvent
  Object.defineProperty(drop, 'dataTransfer', { value: { files: [file] } })
  zone.dispatchEvent(drop)
  // File.arrayBuffer resolves on a later task in happy-dom.
  for (let i = 0; i < 300 && !byTestId('mapping-step'); i++) {
    await new Promise((r) => setTimeout(r, 10))
    await settle()
  }
  await click(byTestId('mapping-continue'))
}

describe('Import', () => {
  it('a dropped file goes to the backend with its bytes; the mapping step ticks matched columns', async () => {
    m = await mountView(ImportView)
    const zone = byTestId('import-view')!
    const csv = makeCsv(3)
    const drop = new Event('drop', { bubbles: true, cancelable: true }) as DragEvent
    Object.defineProperty(drop, 'dataTransfer', { value: { files: [new File([csv], 'team.csv')] } })
    zone.dispatchEvent(drop)
    for (let i = 0; i < 300 && !byTestId('mapping-step'); i++) {
      await new Promise((r) => setTimeout(r, 10))
      await settle()
    }
    expect(m.fake.callsTo('sheets.import')[0]?.arg).toMatchObject({ name: 'team.csv', bytes: `<${csv.length} bytes>` })
    expect(byTestId('mapping-auto-TITLE')).not.toBeNull()
    expect(byTestId('mapping-auto-COLOR')).not.toBeNull()
    expect(byTestId('mapping-auto-DESCRIPTION')).toBeNull()
    expect(byTestId('import-file-name')?.textContent).toBe('team.csv')
    expect(byTestId('encoding-select')?.textContent).toContain('utf-8 (detected)')
    expect(byTestId('delimiter-select')?.textContent).toContain('Comma (detected)')
  })

  it('the preview lists rows with status, colour swatch, members and problems; the filter shows counts', async () => {
    m = await mountView(ImportView)
    await dropAndPreview(makeCsv(6, (i) => i === 1))
    expect(byTestId('import-row-count')?.dataset.count).toBe('6')
    const rows = allByTestId('preview-row')
    expect(rows.map((r) => r.dataset.line)).toEqual(['2', '3', '4', '5', '6', '7'])
    expect(rows[0]?.dataset.status).toBe('ready')
    expect(rows[0]?.querySelector('[data-hex]')?.getAttribute('data-hex')).toBe('#df532d')
    expect(rows[0]?.textContent).toContain('Red')
    expect(rows[1]?.dataset.status).toBe('error')
    // An invalid colour says so, quoting the cell; it is not the portal's "auto".
    expect(rows[1]?.querySelector('[data-color=invalid]')?.textContent).toBe('✕ invalid: BLURPLE')
    expect(rows[1]?.textContent).not.toContain('auto (server picks)')
    expect(rows[1]?.querySelector('[data-hex]')).toBeNull()
    expect(rows[1]?.querySelector('[data-testid=row-problems]')?.textContent).toContain('1')
    expect(byTestId('status-filter')?.textContent).toContain('Errors · 1')
    expect(byTestId('status-filter')?.textContent).toContain('Ready · 5')
    expect(byTestId('errors-skipped')?.textContent).toBe('Rows with errors will not be sent: 1 — fix them here first, or they will be listed in the results as not sent.')

    await click(byTestId('status-filter-error')?.querySelector('input') ?? byTestId('status-filter-error'))
    expect(allByTestId('preview-row').map((r) => r.dataset.line)).toEqual(['3'])
  })

  it('clicking a row opens its panel with the problem; an inline edit re-validates that row', async () => {
    m = await mountView(ImportView)
    await dropAndPreview(makeCsv(4, (i) => i === 2))
    await click(allByTestId('preview-row').find((r) => r.dataset.line === '4') ?? null)
    const panel = byTestId('row-panel')
    expect(panel?.dataset.status).toBe('error')
    expect(byTestId('row-panel-state')?.dataset.state).toBe('open')
    expect(byTestId('panel-color')?.textContent).toContain('✕ invalid: BLURPLE')
    expect(byTestId('panel-color')?.textContent).not.toContain('auto')
    expect(byTestId('panel-problem')?.textContent).toContain('Unknown colour "BLURPLE".')
    await typeInto(byTestId('cell-input-COLOR'), 'AQUA')
    await click(byTestId('cell-apply-COLOR'))
    const call = m.fake.callsTo('sheets.editCells')[0]
    expect(call?.arg).toMatchObject({ edits: [{ column: 'Color', value: 'AQUA', rowKey: 'k3' }] })
    expect(byTestId('row-panel')?.dataset.status).toBe('ready')
    expect(byTestId('panel-no-problems')).not.toBeNull()
    const row = allByTestId('preview-row').find((r) => r.dataset.line === '4')
    expect(row?.dataset.status).toBe('ready')
    expect(row?.querySelector('[data-hex]')?.getAttribute('data-hex')).toBe('#1eb4aa')
    expect(byTestId('status-filter')?.textContent).toContain('Errors · 0')
    expect(byTestId('panel-color')?.textContent).toContain('Aqua')
    // Every cell input has a meaningful placeholder, never naive-ui's "Please Input".
    const inputs = Array.from(document.querySelectorAll<HTMLInputElement>('[data-testid^=cell-input-]'))
    expect(inputs.length).toBeGreaterThan(0)
    for (const i of inputs) expect(i.placeholder).toBe('(empty)')
    await click(byTestId('row-panel-close'))
    expect(byTestId('row-panel')).toBeNull()
  })

  it('words generated titles in the UI language from the colour, marked as generated', async () => {
    m = await mountView(ImportView)
    await dropAndPreview('Title,Color,Users\n,RED,1 2\n,,3\nNamed,MINT,4')
    const rows = allByTestId('preview-row')
    const title = (i: number): string => rows[i]?.querySelector('[data-generated=yes] .gen-text')?.textContent ?? ''
    expect(title(0)).toBe('Red Chat #… — named by the portal')
    expect(title(1)).toBe('Chat #… — the portal picks the colour and the name')
    expect(rows[0]?.querySelector('[data-generated=yes] .gen-mark')?.textContent).toBe('generated')
    expect(rows[0]?.querySelector('.gen-text')?.classList.contains('generated-title')).toBe(true)
    expect(rows[2]?.querySelector('[data-generated=yes]')).toBeNull()
    expect(rows[2]?.textContent).toContain('Named')
    expect(bodyText()).not.toContain('round-robin')
    await click(rows[0] ?? null)
    expect(byTestId('panel-title')?.textContent).toBe('Red Chat #… — named by the portal')
    expect(byTestId('panel-title')?.classList.contains('generated-title')).toBe(true)
    expect(byTestId('panel-title-generated')).not.toBeNull()
  })

  it('in Russian, generated titles and colours are Russian', async () => {
    m = await mountView(ImportView, { lang: 'ru' })
    await dropAndPreview('Title,Color,Users\n,RED,1 2\n,,3\n,Fuchsia,4')
    const rows = allByTestId('preview-row')
    expect(rows[0]?.querySelector('[data-generated=yes] .gen-text')?.textContent).toBe('Красный чат №… — название даст портал')
    expect(rows[1]?.querySelector('[data-generated=yes] .gen-text')?.textContent).toBe('Чат №… — цвет и название выберет портал')
    expect(rows[2]?.querySelector('[data-color=invalid]')?.textContent).toBe('✕ неверный: Fuchsia')
    expect(bodyText()).not.toMatch(/Chat #|named by/)
  })

  it('"Go to line" scrolls a far line of a big sheet into view and focuses it', async () => {
    m = await mountView(ImportView)
    await dropAndPreview(makeCsv(5_000))
    expect(allByTestId('preview-row').some((r) => r.dataset.line === '4001')).toBe(false)
    expect(byTestId('preview-scroll')).not.toBeNull()
    await typeInto(byTestId('preview-jump'), '4001')
    byTestId('preview-jump')?.closest('form')?.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }))
    // happy-dom scrolls without firing 'scroll': tell the virtual list, as a browser would.
    await settle()
    const scroller = byTestId('preview-scroll')!
    scroller.dispatchEvent(new Event('scroll'))
    for (let i = 0; i < 150 && document.activeElement?.getAttribute('data-line') !== '4001'; i++) await new Promise((r) => setTimeout(r, 20))
    expect(document.activeElement?.getAttribute('data-testid')).toBe('preview-row')
    expect(document.activeElement?.getAttribute('data-line')).toBe('4001')
  })

  it('Send now is disabled with the reason while the sandbox is stopped; Save as draft still works offline', async () => {
    m = await mountView(ImportView, { sandboxRunning: false })
    await dropAndPreview(makeCsv(3))
    expect((byTestId('send-now') as HTMLButtonElement).disabled).toBe(true)
    expect(byTestId('send-blocked-reason')?.textContent).toBe('The sandbox portal is stopped. Start it to sync.')
    expect((byTestId('live-check') as HTMLButtonElement).disabled).toBe(true)
    await click(byTestId('save-draft'))
    expect(m.fake.callsTo('jobs.createFromSheet')[0]?.arg).toMatchObject({ profile: 'Sandbox portal', start: false })
    expect(bodyText()).toContain('Saved as a draft in the outbox (rows: 3).')
  })

  it('Send now asks first, naming the count and the portal; then creates a started job of exactly that count and switches to Outbox & jobs', async () => {
    m = await mountView(ImportView)
    await dropAndPreview(makeCsv(3))
    await click(byTestId('send-now'))
    // The portal is asked what exists before the question is put.
    expect(plansAsked(m)).toContainEqual(expect.objectContaining({ profile: 'Sandbox portal', portal: true }))
    expect(byTestId('send-confirm')?.dataset.count).toBe('3')
    expect(document.querySelector('.n-dialog')?.textContent).toContain('Create 3 chats on 127.0.0.1:8443?')
    expect(m.fake.callsTo('jobs.createFromSheet')).toHaveLength(0)
    await click(byTestId('send-confirm-cancel'))
    expect(m.fake.callsTo('jobs.createFromSheet')).toHaveLength(0)
    expect(useAppStore().view).not.toBe('outbox')
    await click(byTestId('send-now'))
    // (the first dialog may still be leaving)
    await click(allByTestId('send-confirm-ok').at(-1) ?? null)
    expect(m.fake.callsTo('jobs.createFromSheet')[0]?.arg).toMatchObject({ start: true, expectCreate: 3, copies: [] })
    expect(useAppStore().view).toBe('outbox')
    expect(useJobsStore().selectedId).toBe('j1')
  })

  describe('after a send the sheet tells the truth (issue 10)', () => {
    const AT = Date.UTC(2026, 10, 20, 9, 30)
    const markSent = (fake: Mounted['fake']): void => {
      fake.createdBefore.set('k1', { match: 'already-created', chatId: 501, source: 'history', createdAt: AT })
      fake.createdBefore.set('k2', { match: 'created-with-other-values', chatId: 502, source: 'history', createdAt: AT, fields: ['DESCRIPTION', 'USERS'] })
    }
    const row = (line: number): HTMLElement | null => document.querySelector(`[data-testid=preview-row][data-line="${line}"]`)

    it('rows created before are marked with their chat and when, counted apart, and left out of Send now', async () => {
      m = await mountView(ImportView)
      markSent(m.fake)
      await dropAndPreview(makeCsv(4, (i) => i === 3))
      expect(row(2)?.dataset.sent).toBe('already-created')
      expect(row(2)?.querySelector('[data-testid=row-sent]')?.textContent).toMatch(/^Already created → chat 501 · Nov 20, \d\d:\d\d$/)
      expect(row(2)?.querySelector('[data-testid=row-sent-tag]')?.textContent).toBe('Created')
      expect(row(3)?.dataset.sent).toBe('created-with-other-values')
      expect(row(3)?.dataset.choice).toBe('skip')
      expect(row(3)?.querySelector('[data-testid=row-sent]')?.textContent).toMatch(/^Created earlier as chat 502 with other values: Description, Members · /)
      expect(row(4)?.dataset.sent).toBe('no')
      expect(row(5)?.dataset.status).toBe('error')
      // The filter counts them apart: Ready is what a send would create.
      expect(byTestId('status-filter-ready')?.textContent).toBe('Ready · 1')
      expect(byTestId('status-filter-created')?.textContent).toBe('Created · 1')
      expect(byTestId('status-filter-changed')?.textContent).toBe('Changed · 1')
      await click(byTestId('status-filter-changed')?.querySelector('input') ?? null)
      expect(allByTestId('preview-row').map((r) => r.dataset.line)).toEqual(['3'])
      await click(byTestId('status-filter-ready')?.querySelector('input') ?? null)
      expect(allByTestId('preview-row').map((r) => r.dataset.line)).toEqual(['4'])
      expect(byTestId('plan-summary')?.textContent?.trim()).toBe('Created before: 2 — not created again. Send now creates: 1.')
      await click(byTestId('send-now'))
      expect(byTestId('send-confirm')?.dataset.count).toBe('1')
      const text = document.querySelector('.n-dialog')?.textContent ?? ''
      expect(text).toContain('Create 1 chat on 127.0.0.1:8443?')
      expect(text).toContain('Rows created before, not created again: 2')
      expect(text).toContain('Rows with errors, not sent: 1')
      await click(byTestId('send-confirm-ok'))
      expect(m.fake.callsTo('jobs.createFromSheet')[0]?.arg).toMatchObject({ expectCreate: 1, copies: [] })
    })

    it('a row created with other values is skipped by default; a new chat (a copy) only on request', async () => {
      m = await mountView(ImportView)
      markSent(m.fake)
      await dropAndPreview(makeCsv(3))
      await click(row(3)?.querySelector('td:nth-child(2)') ?? null)
      const panel = byTestId('panel-sent')
      expect(panel?.dataset.match).toBe('created-with-other-values')
      expect(panel?.textContent).toContain('Created earlier as chat 502 with other values: Description, Members')
      expect(byTestId('panel-choice')?.dataset.value).toBe('skip')
      await click(byTestId('panel-choice-copy')?.querySelector('input') ?? null)
      expect(plansAsked(m)).toContainEqual(expect.objectContaining({ copies: ['k2'] }))
      expect(row(3)?.dataset.choice).toBe('copy')
      expect(byTestId('plan-summary')?.textContent?.trim()).toBe('Created before: 1 — not created again. Send now creates: 2.')
      await click(byTestId('send-now'))
      expect(document.querySelector('.n-dialog')?.textContent).toContain('New chats for rows created before (copies): 1')
      await click(byTestId('send-confirm-ok'))
      expect(m.fake.callsTo('jobs.createFromSheet')[0]?.arg).toMatchObject({ expectCreate: 2, copies: ['k2'] })
    })

    it('a row with its own entity pair cannot be copied, and says why', async () => {
      m = await mountView(ImportView)
      m.fake.createdBefore.set('k1', { match: 'created-with-other-values', chatId: 601, source: 'portal', canCopy: false, fields: ['TITLE'] })
      await dropAndPreview(makeCsv(2))
      expect(row(2)?.querySelector('[data-testid=row-sent]')?.textContent).toBe('Created earlier as chat 601 with other values: Title · found on the portal')
      await click(row(2)?.querySelector('td:nth-child(2)') ?? null)
      expect(byTestId('panel-sent')?.textContent).toContain('a copy needs a new entity id in the sheet')
      expect((byTestId('panel-choice-copy')?.querySelector('input') as HTMLInputElement).disabled).toBe(true)
    })

    it('when every row was created before, Send now offers nothing and says so, naming the portal', async () => {
      m = await mountView(ImportView)
      markSent(m.fake)
      await dropAndPreview(makeCsv(2))
      expect((byTestId('send-now') as HTMLButtonElement).disabled).toBe(true)
      expect((byTestId('save-draft') as HTMLButtonElement).disabled).toBe(true)
      expect(byTestId('send-blocked-reason')?.textContent).toBe('Nothing to create on 127.0.0.1:8443: every row was created before or has errors.')
    })

    it('the chat link of a sandbox chat opens it inside the app', async () => {
      m = await mountView(ImportView)
      markSent(m.fake)
      await dropAndPreview(makeCsv(3))
      await click(row(2)?.querySelector('[data-testid=row-sent]') ?? null)
      expect(useAppStore().view).toBe('sandboxChats')
      expect(useAppStore().focusChatId).toBe(501)
      expect(byTestId('row-panel')).toBeNull()
    })

    it('a plan gone stale between the question and the answer is refused, and nothing moves on', async () => {
      m = await mountView(ImportView)
      await dropAndPreview(makeCsv(3))
      await click(byTestId('send-now'))
      expect(byTestId('send-confirm')?.dataset.count).toBe('3')
      // Meanwhile another send created one of the rows.
      m.fake.createdBefore.set('k3', { match: 'already-created', chatId: 700, source: 'history' })
      await click(byTestId('send-confirm-ok'))
      expect(m.fake.callsTo('jobs.createFromSheet')[0]?.arg).toMatchObject({ expectCreate: 3 })
      expect(m.fake.jobs.size).toBe(0)
      expect(useAppStore().view).not.toBe('outbox')
      expect(bodyText()).toContain('The sheet changed since it was checked')
      // The preview catches up with what exists now.
      // (a debounced re-plan, 400 ms: it comes by itself, however late a loaded machine runs the timer)
      await vi.waitFor(async () => {
        await settle()
        expect(row(4)?.dataset.sent).toBe('already-created')
      }, { timeout: 5_000, interval: 50 })
    })

    it('in Russian', async () => {
      m = await mountView(ImportView, { lang: 'ru' })
      markSent(m.fake)
      await dropAndPreview(makeCsv(3))
      expect(row(2)?.querySelector('[data-testid=row-sent]')?.textContent).toMatch(/^Уже создан → чат 501 · 20 нояб\., \d\d:\d\d$/)
      expect(row(3)?.querySelector('[data-testid=row-sent]')?.textContent).toMatch(/^Создан ранее как чат 502 с другими значениями: Описание, Участники/)
      expect(byTestId('status-filter-created')?.textContent).toBe('Созданы · 1')
      expect(byTestId('status-filter-changed')?.textContent).toBe('Изменены · 1')
      expect(byTestId('plan-summary')?.textContent?.trim()).toBe('Созданы раньше: 2 — повторно не создаются. «Отправить сейчас» создаст: 1.')
      await click(byTestId('send-now'))
      expect(document.querySelector('.n-dialog')?.textContent).toContain('Создать 1 чатов на 127.0.0.1:8443?')
      expect(byTestId('send-confirm-ok')?.textContent?.trim()).toBe('Создать')
    })
  })

  it('nothing to send when every row has errors', async () => {
    m = await mountView(ImportView)
    await dropAndPreview(makeCsv(2, () => true))
    expect((byTestId('send-now') as HTMLButtonElement).disabled).toBe(true)
    expect((byTestId('save-draft') as HTMLButtonElement).disabled).toBe(true)
    expect(byTestId('send-blocked-reason')?.textContent).toContain('No row is ready to send')
  })

  it('Check against portal resolves member names', async () => {
    m = await mountView(ImportView)
    await dropAndPreview(makeCsv(2))
    expect(allByTestId('preview-row')[0]?.textContent).toContain('1, 2')
    await click(byTestId('live-check'))
    expect(m.fake.callsTo('sheets.liveCheck')[0]?.arg).toMatchObject({ profile: 'Sandbox portal' })
    // Chats that exist already are looked up on the portal too, and marked.
    expect(plansAsked(m)).toContainEqual(expect.objectContaining({ profile: 'Sandbox portal', portal: true }))
    expect(allByTestId('preview-row')[0]?.textContent).toContain('Anna Admin, Boris Petrov')
  })

  it('changing the delimiter re-imports with it', async () => {
    m = await mountView(ImportView)
    await dropAndPreview(makeCsv(2))
    const sheet = (await import('../../renderer/src/stores/sheet')).useSheetStore()
    await sheet.reimport({ delimiter: ';' })
    expect(m.fake.callsTo('sheets.reimport')[0]?.arg).toMatchObject({ options: { delimiter: ';' } })
    await settle()
    expect(byTestId('delimiter-select')?.dataset.value).toBe(';')
  })

  it('a big sheet renders only a window of rows but counts them all', async () => {
    m = await mountView(ImportView)
    await dropAndPreview(makeCsv(20_000))
    expect(byTestId('import-row-count')?.dataset.count).toBe('20000')
    const rendered = allByTestId('preview-row').length
    expect(rendered).toBeGreaterThan(5)
    expect(rendered).toBeLessThan(200)
  })

  it('Ctrl+O asks for the open dialog', async () => {
    m = await mountView(ImportView)
    useAppStore().requestOpenFile()
    await settle()
    expect(m.fake.callsTo('sheets.openDialog')).toHaveLength(1)
    expect(byTestId('mapping-step')).not.toBeNull()
  })
})
