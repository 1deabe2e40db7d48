/** Toasts for outcomes and errors (naive-ui message provider), in the current language. */
import { useMessage } from 'naive-ui'
import { useText } from './useText'

export function useNotify() {
  const message = useMessage()
  const text = useText()
  return {
    ok: (msg: string): void => {
      message.success(msg, { duration: 4000, closable: true })
    },
    info: (msg: string): void => {
      message.info(msg, { duration: 4000, closable: true })
    },
    error: (e: unknown): void => {
      message.error(text.err(e), { duration: 8000, closable: true, keepAliveOnHover: true })
    },
  }
}
