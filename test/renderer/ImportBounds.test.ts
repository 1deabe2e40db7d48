import './helpers/resizeObserver'
import { afterEach, describe, expect, it } from 'vitest'
import ImportView from '../../renderer/src/views/ImportView.vue'
import { bodyText, byTestId, mountView, settle } from './helpers/mount'
import type { Mounted } from './helpers/mount'

let m: Mounted | undefined
afterEach(() => {
  m?.wrapper.unmount()
  m = undefined
  document.body.innerHTML = ''
})

describe('Import bounds in the window', () => {
  it('a dropped file over the sheet limit is refused before it is read, naming the limit', async () => {
    m = await mountView(ImportView)
    const file = new File(['TITLE\nA\n'], 'huge.csv', { type: 'text/csv' })
    // Claims 1.9 GB: the window must not load it to find out.
    Object.defineProperty(file, 'size', { value: Math.round(1.9 * 1024 ** 3) })
    let read = false
    Object.defineProperty(file, 'arrayBuffer', { value: async () => ((read = true), new ArrayBuffer(0)) })
    const drop = new Event('drop', { bubbles: true, cancelable: true }) as DragEvent
    Object.defineProperty(drop, 'dataTransfer', { value: { files: [file] } })
    byTestId('import-view')!.dispatchEvent(drop)
    await settle()
    expect(read).toBe(false)
    expect(m.fake.callsTo('sheets.import')).toEqual([])
    expect(bodyText()).toContain('huge.csv: The file is 1945.6 MB; the limit is 50.0 MB. Split it into smaller sheets.')
  })
})
