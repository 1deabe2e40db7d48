/**
 * Toasts for outcomes and errors (naive-ui message provider). A toast's text is a getter, read each time the toast
 * renders: a toast still on screen when the language changes follows it, like the rest of the window.
 */
import { useMessage } from 'naive-ui'
import { useText } from './useText'

/** The text of a toast, in the current language (e.g. `() => t('outbox.removed')`). */
export type ToastText = () => string

export function useNotify() {
  const message = useMessage()
  const text = useText()
  return {
    ok: (msg: ToastText): void => {
      message.success(msg, { duration: 4000, closable: true })
    },
    info: (msg: ToastText): void => {
      message.info(msg, { duration: 4000, closable: true })
    },
    error: (e: unknown): void => {
      message.error(() => text.err(e), { duration: 8000, closable: true, keepAliveOnHover: true })
    },
  }
}
