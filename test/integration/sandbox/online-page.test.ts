import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { httpsRequest, startTestSandbox } from '../../helpers/sandbox'
import type { TestSandbox } from '../../helpers/sandbox'

describe('sandbox chat page (/online/?IM_DIALOG=chatN)', () => {
  let t: TestSandbox
  beforeAll(async () => {
    t = await startTestSandbox({ latencyMs: 0 })
  })
  afterAll(() => t.close())

  it('shows the chat a link points to, with hostile text escaped and no script allowed', async () => {
    const created = await t.call('im.chat.add', { TITLE: '<script>alert(1)</script> Sales', USERS: [2, 3], COLOR: 'PINK', TYPE: 'OPEN', DESCRIPTION: '"quoted" & <b>bold</b>' })
    const id = created.json.result as number
    const page = await httpsRequest(t.sb, { path: `/online/?IM_DIALOG=chat${id}` })
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toMatch(/text\/html/)
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/)
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Sales')
    expect(page.text).not.toMatch(/<script/i)
    expect(page.text).toContain('&quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;')
    expect(page.text).toContain('Open chat')
    expect(page.text).toMatch(/\(2\)[\s\S]*\(3\)/)
    expect(page.text).toMatch(/\(1\) — owner/)
  })

  it('answers 404 for a chat that does not exist', async () => {
    const page = await httpsRequest(t.sb, { path: '/online/?IM_DIALOG=chat99999' })
    expect(page.status).toBe(404)
    expect(page.text).toContain('Chat not found')
  })
})
