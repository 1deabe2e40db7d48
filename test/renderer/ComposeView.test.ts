import './helpers/resizeObserver'
import { afterEach, describe, expect, it, vi } from 'vitest'
import ComposeView from '../../renderer/src/views/ComposeView.vue'
import { useAppStore } from '../../renderer/src/stores/app'
import { useComposeStore } from '../../renderer/src/stores/compose'
import { bodyText, byTestId, click, mountView, settle, typeInto } from './helpers/mount'
import type { Mounted } from './helpers/mount'

let m: Mounted | undefined
afterEach(() => {
  m?.wrapper.unmount()
  m = undefined
  document.body.innerHTML = ''
})

const wait = async (ms: number): Promise<void> => {
  await new Promise((r) => setTimeout(r, ms))
  await settle()
}

describe('Compose', () => {
  it('previews the auto title while the title is empty and the typed title once there is one', async () => {
    m = await mountView(ComposeView)
    expect(byTestId('chat-card-title')?.textContent).toBe('Chat #… — the portal picks the colour and the name')
    expect(byTestId('chat-card-title')?.classList.contains('generated-title')).toBe(true)
    expect(byTestId('chat-card-generated')?.textContent).toBe('generated')
    await click(byTestId('color-PURPLE'))
    expect(byTestId('chat-card-title')?.textContent).toBe('Purple Chat #… — named by the portal')
    expect(bodyText()).toContain('If left empty: Purple Chat #… — named by the portal')
    await typeInto(byTestId('compose-title'), 'Sales team')
    expect(byTestId('chat-card-title')?.textContent).toBe('Sales team')
    expect(byTestId('chat-card')?.textContent).toContain('ST')
    expect(byTestId('chat-card-generated')).toBeNull()
    // The check is debounced (300 ms): it comes by itself, however late a loaded machine runs the timer.
    await vi.waitFor(() => expect(m?.fake.callsTo('compose.validate').at(-1)?.arg).toMatchObject({ form: { title: 'Sales team', type: 'CHAT' } }), { timeout: 5_000, interval: 50 })
  })

  it('in Russian the generated title is Russian', async () => {
    m = await mountView(ComposeView, { lang: 'ru' })
    expect(byTestId('chat-card-title')?.textContent).toBe('Чат №… — цвет и название выберет портал')
    await click(byTestId('color-GREEN'))
    expect(byTestId('chat-card-title')?.textContent).toBe('Зелёный чат №… — название даст портал')
    expect(bodyText()).not.toContain('round-robin')
  })

  it('entity inputs have meaningful placeholders (the id one follows the type)', async () => {
    m = await mountView(ComposeView)
    const type = byTestId('compose-entity-type') as HTMLInputElement
    const id = byTestId('compose-entity-id') as HTMLInputElement
    expect(type.placeholder).toBe('e.g. CRM')
    expect(id.placeholder).toBe('')
    await typeInto(type, 'CRM')
    expect(id.placeholder).toBe('e.g. DEAL|1663')
    await typeInto(type, 'TASKS')
    expect(id.placeholder).toBe('e.g. 1663')
  })

  it('the colour picker sets one of the 16 colours and the card shows its real hex', async () => {
    m = await mountView(ComposeView)
    expect(document.querySelectorAll('[data-testid=color-picker] [role=radio]')).toHaveLength(17)
    await click(byTestId('color-PURPLE'))
    expect(byTestId('color-PURPLE')?.getAttribute('aria-checked')).toBe('true')
    expect(byTestId('chat-card')?.querySelector('[data-hex]')?.getAttribute('data-hex')).toBe('#8474c8')
    expect(byTestId('chat-card')?.textContent).toContain('Purple')
  })

  it('hints the entity format and blocks Create on the backend’s SONET_GROUP error', async () => {
    m = await mountView(ComposeView)
    await typeInto(byTestId('compose-entity-type'), 'CRM')
    expect(byTestId('compose-entity-hint')?.textContent).toContain('DEAL|1663')
    await typeInto(byTestId('compose-entity-type'), 'SONET_GROUP')
    expect(byTestId('compose-entity-hint')?.dataset.level).toBe('warning')
    await vi.waitFor(() => expect(bodyText()).toContain('SONET_GROUP is reserved.'), { timeout: 5_000, interval: 50 })
    expect((byTestId('compose-create') as HTMLButtonElement).disabled).toBe(true)
    expect(byTestId('compose-blocked-reason')?.textContent).toBe('Fix the problems marked in red first.')
    expect(bodyText()).toContain('SONET_GROUP is reserved.')
  })

  it('Create now on the sandbox shows the chat id and opens it inside the app (no certificate warning in a browser)', async () => {
    m = await mountView(ComposeView)
    const compose = useComposeStore()
    compose.fields.users = [2, 'vera@example.com']
    await typeInto(byTestId('compose-title'), 'Launch')
    await click(byTestId('compose-create'))
    expect(m.fake.callsTo('compose.create')[0]?.arg).toMatchObject({ profile: 'Sandbox portal', form: { title: 'Launch', users: [2, 'vera@example.com'] } })
    expect(byTestId('compose-result')?.dataset.chatId).toBe('100')
    expect(byTestId('compose-result')?.textContent).toContain('Chat 100 created.')
    expect(byTestId('compose-chat-link')?.textContent).toBe('Open chat 100 in Sandbox chats')
    await click(byTestId('compose-chat-link'))
    expect(m.fake.callsTo('shell.openChat')).toHaveLength(0)
    expect(useAppStore().view).toBe('sandboxChats')
    expect(useAppStore().focusChatId).toBe(100)
  })

  it('Enter in the title submits (creates)', async () => {
    m = await mountView(ComposeView)
    await typeInto(byTestId('compose-title'), 'Via keyboard')
    const form = byTestId('compose-form') as HTMLFormElement
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }))
    await settle()
    expect(m.fake.callsTo('compose.create')).toHaveLength(1)
  })

  it('Add to outbox queues the chat for the current profile', async () => {
    m = await mountView(ComposeView)
    await typeInto(byTestId('compose-title'), 'Later')
    await click(byTestId('compose-outbox'))
    expect(m.fake.callsTo('jobs.addCompose')[0]?.arg).toMatchObject({ profile: 'Sandbox portal', form: { title: 'Later' } })
    expect(bodyText()).toContain('Added to the outbox of Sandbox portal.')
  })

  it('Create is disabled with the reason while the sandbox is stopped; the outbox still takes it', async () => {
    m = await mountView(ComposeView, { sandboxRunning: false })
    expect((byTestId('compose-create') as HTMLButtonElement).disabled).toBe(true)
    expect(byTestId('compose-blocked-reason')?.textContent).toBe('The sandbox portal is stopped. Start it to sync.')
    expect((byTestId('compose-outbox') as HTMLButtonElement).disabled).toBe(false)
  })

  it('an avatar is prepared by the backend and shown with its downscale note', async () => {
    m = await mountView(ComposeView)
    const input = byTestId('compose-avatar-input') as HTMLInputElement
    Object.defineProperty(input, 'files', { value: [new File([new Uint8Array([137, 80, 78, 71])], 'logo.png', { type: 'image/png' })] })
    input.dispatchEvent(new Event('change'))
    await wait(20)
    expect(m.fake.callsTo('compose.prepareAvatar')[0]?.arg).toEqual({ name: 'logo.png' })
    expect(byTestId('compose-avatar-info')?.textContent).toContain('1024×768 px')
    expect(byTestId('compose-avatar-downscaled')?.textContent).toContain('downscaled to 1024 px')
    expect(byTestId('chat-card-avatar')?.getAttribute('src')).toBe('data:image/png;base64,AAAA')
    await click(byTestId('compose-create'))
    expect(m.fake.callsTo('compose.create')[0]?.arg).toMatchObject({ form: { avatar: 'AAAA' } })
  })

  it('is one-shot: a double click creates one chat; the created chat shows with Create another', async () => {
    m = await mountView(ComposeView)
    await typeInto(byTestId('compose-title'), 'Night shift')
    const create = byTestId('compose-create') as HTMLButtonElement
    create.click()
    create.click()
    await settle()
    expect(m.fake.callsTo('compose.create')).toHaveLength(1)
    expect(byTestId('compose-result')?.dataset.already).toBe('no')
    expect(byTestId('compose-result')?.textContent).toContain('Chat 100 created.')
    // The same form cannot be sent again from here: the button says why.
    expect((byTestId('compose-create') as HTMLButtonElement).disabled).toBe(true)
    expect(byTestId('compose-blocked-reason')?.textContent).toBe('This chat is created (chat 100). Change the form, or press Create another.')
    const form = byTestId('compose-form') as HTMLFormElement
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }))
    await settle()
    expect(m.fake.callsTo('compose.create')).toHaveLength(1)
    // Create another: an empty form for a new chat.
    await click(byTestId('compose-another'))
    expect(byTestId('compose-result')).toBeNull()
    expect((byTestId('compose-title') as HTMLInputElement).value).toBe('')
  })

  it('the same chat again says "Already created → chat N" with when and what differs; a copy only on request', async () => {
    m = await mountView(ComposeView)
    const compose = useComposeStore()
    await typeInto(byTestId('compose-title'), 'Night shift')
    await click(byTestId('compose-create'))
    await click(byTestId('compose-another'))
    // Typed again (another day, another window): the backend finds the chat.
    compose.fields.users = [3]
    await typeInto(byTestId('compose-title'), 'Night shift')
    await click(byTestId('compose-create'))
    expect(m.fake.callsTo('compose.create')).toHaveLength(2)
    const result = byTestId('compose-result')
    expect(result?.dataset.already).toBe('yes')
    expect(result?.dataset.chatId).toBe('100')
    expect(byTestId('compose-already')?.textContent).toBe('Already created → chat 100')
    expect(byTestId('compose-differs')?.textContent).toBe('It was created with other values: Members.')
    expect(result?.textContent).toContain('Nothing was created now.')
    expect(result?.textContent).toMatch(/Created \w{3} \d{1,2}, 2023/)
    expect(byTestId('compose-chat-link')?.textContent).toBe('Open chat 100 in Sandbox chats')
    expect((byTestId('compose-create') as HTMLButtonElement).disabled).toBe(true)
    await click(byTestId('compose-copy'))
    expect(m.fake.callsTo('compose.create')[2]?.arg).toMatchObject({ profile: 'Sandbox portal', form: { title: 'Night shift' }, copy: true })
    expect(byTestId('compose-result')?.dataset.already).toBe('no')
    expect(byTestId('compose-result')?.dataset.chatId).toBe('101')
    expect(byTestId('compose-copy')).toBeNull()
  })

  it('in Russian: already created, and the one-shot reason', async () => {
    m = await mountView(ComposeView, { lang: 'ru' })
    await typeInto(byTestId('compose-title'), 'Ночная смена')
    await click(byTestId('compose-create'))
    expect(byTestId('compose-blocked-reason')?.textContent).toBe('Этот чат создан (чат 100). Измените форму или нажмите «Создать ещё».')
    await click(byTestId('compose-another'))
    await typeInto(byTestId('compose-title'), 'Ночная смена')
    await click(byTestId('compose-create'))
    expect(byTestId('compose-already')?.textContent).toBe('Уже создан → чат 100')
    expect(byTestId('compose-copy')?.textContent?.trim()).toBe('Всё равно создать копию')
    expect(byTestId('compose-another')?.textContent?.trim()).toBe('Создать ещё')
  })
})
