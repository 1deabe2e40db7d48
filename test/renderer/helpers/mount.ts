/** Mounts a view the way the app does: pinia, i18n, naive-ui providers, and a FakeApi behind the api seam. */
import { expect } from 'vitest'
import { defineComponent, h, nextTick } from 'vue'
import type { Component } from 'vue'
import { mount, flushPromises } from '@vue/test-utils'
import type { VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { NConfigProvider, NDialogProvider, NMessageProvider, NNotificationProvider, NLoadingBarProvider } from 'naive-ui'
import { setApiForTests } from '../../../renderer/src/api'
import { createAppI18n } from '../../../renderer/src/i18n'
import type { Lang } from '../../../renderer/src/i18n'
import { FakeApi } from './fakeApi'
import type { FakeOptions } from './fakeApi'

export interface Mounted {
  wrapper: VueWrapper
  fake: FakeApi
  i18n: ReturnType<typeof createAppI18n>
}

export async function mountView(view: Component, opts: FakeOptions & { fake?: FakeApi; lang?: Lang } = {}): Promise<Mounted> {
  const fake = opts.fake ?? new FakeApi(opts)
  setApiForTests(fake.api())
  const pinia = createPinia()
  setActivePinia(pinia)
  const i18n = createAppI18n(opts.lang ?? 'en')
  const Root = defineComponent({
    setup: () => () =>
      h(NConfigProvider, null, {
        default: () =>
          h(NLoadingBarProvider, null, {
            default: () => h(NDialogProvider, null, { default: () => h(NNotificationProvider, null, { default: () => h(NMessageProvider, null, { default: () => h(view) }) }) }),
          }),
      }),
  })
  const wrapper = mount(Root, { global: { plugins: [pinia, i18n] }, attachTo: document.body })
  await settle()
  return { wrapper, fake, i18n }
}

/** Lets promises, timers of 0 ms and Vue's render queue run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await flushPromises()
    await nextTick()
  }
}

/** The toasts on screen (naive-ui's message container). */
export const toastText = (): string => document.querySelector('.n-message-container')?.textContent ?? ''

/** A toast reads `en`; after the window switches to Russian, the same toast reads `ru` and no longer `en`. */
export async function expectToastFollowsRussian(m: Mounted, en: string, ru: string): Promise<void> {
  expect(toastText()).toContain(en)
  m.i18n.global.locale.value = 'ru'
  await settle()
  expect(toastText()).toContain(ru)
  expect(toastText()).not.toContain(en)
}

/** Text of the whole document (naive-ui teleports drawers, dialogs and messages to body). */
export const bodyText = (): string => document.body.textContent ?? ''
export const byTestId = (id: string): HTMLElement | null => document.querySelector(`[data-testid="${id}"]`)
export const allByTestId = (id: string): HTMLElement[] => Array.from(document.querySelectorAll(`[data-testid="${id}"]`))

/** Types into a native input (naive-ui listens to `input`). */
export async function typeInto(el: Element | null, value: string): Promise<void> {
  if (!el) throw new Error('no input')
  const input = el as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event('input', { bubbles: true }))
  await settle()
}

export async function click(el: Element | null): Promise<void> {
  if (!el) throw new Error('nothing to click')
  ;(el as HTMLElement).click()
  await settle()
}

/** The first button whose text contains `text` (dialogs and drawers live in body). */
export function buttonWithText(text: string): HTMLButtonElement | null {
  return (Array.from(document.querySelectorAll('button')).find((b) => (b.textContent ?? '').includes(text)) as HTMLButtonElement | undefined) ?? null
}
