import './helpers/resizeObserver'
import { afterEach, describe, expect, it } from 'vitest'
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

/** Drops a CSV on the import screen, confirms the mapping, lands on the preview. */
async function dropAndPreview(csv: string, name = 'chats.csv'): Promise<void> {
  const zone = byTestId('import-view')!
  const file = new File([csv], name, { type: 'text/csv' })
  const drop = new Event('drop', { bubbles: true, cancelable: true }) as DragEvent
  Object.defineProperty(drop, 'dataTransfer', { value: { files: [file] } })
  zone.dispatchEvent(drop)
  // File.arrayBuffer resolves on a later task in happy-dom.
  for (let i = 0; i < 5 && !byTestId('mapping-step'); i++) {
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
    for (let i = 0; i < 5 && !byTestId('mapping-step'); i++) {
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
    expect(rows[1]?.textContent).toContain('auto (server picks)')
    expect(rows[1]?.querySelector('[data-testid=row-problems]')?.textContent).toContain('1')
    expect(byTestId('status-filter')?.textContent).toContain('Errors · 1')
    expect(byTestId('status-filter')?.textContent).toContain('Ready · 5')
    expect(byTestId('errors-skipped')?.textContent).toContain('Rows with errors will be skipped: 1.')

    await click(byTestId('status-filter-error')?.querySelector('input') ?? byTestId('status-filter-error'))
    expect(allByTestId('preview-row').map((r) => r.dataset.line)).toEqual(['3'])
  })

  it('clicking a row opens its panel with the problem; an inline edit re-validates that row', async () => {
    m = await mountView(ImportView)
    await dropAndPreview(makeCsv(4, (i) => i === 2))
    await click(allByTestId('preview-row').find((r) => r.dataset.line === '4') ?? null)
    const panel = byTestId('row-panel')
    expect(panel?.dataset.status).toBe('error')
    expect(byTestId('panel-problem')?.textContent).toContain('Unknown colour "BLURPLE".')
    await typeInto(byTestId('cell-input-COLOR'), 'AQUA')
    await click(byTestId('cell-apply-COLOR'))
    const call = m.fake.callsTo('sheets.editCell')[0]
    expect(call?.arg).toMatchObject({ column: 'Color', value: 'AQUA', rowKey: 'k3' })
    expect(byTestId('row-panel')?.dataset.status).toBe('ready')
    expect(byTestId('panel-no-problems')).not.toBeNull()
    const row = allByTestId('preview-row').find((r) => r.dataset.line === '4')
    expect(row?.dataset.status).toBe('ready')
    expect(row?.querySelector('[data-hex]')?.getAttribute('data-hex')).toBe('#1eb4aa')
    expect(byTestId('status-filter')?.textContent).toContain('Errors · 0')
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

  it('Send now creates a started job and switches to Outbox & jobs on that job', async () => {
    m = await mountView(ImportView)
    await dropAndPreview(makeCsv(3))
    await click(byTestId('send-now'))
    expect(m.fake.callsTo('jobs.createFromSheet')[0]?.arg).toMatchObject({ start: true })
    expect(useAppStore().view).toBe('outbox')
    expect(useJobsStore().selectedId).toBe('j1')
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
