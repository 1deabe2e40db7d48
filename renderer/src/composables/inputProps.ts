import type { InputHTMLAttributes } from 'vue'

/** Attributes for the native <input> inside a naive-ui input: an accessible label and a stable test id. */
export function ip(label: string, testid: string, extra: Record<string, string> = {}): InputHTMLAttributes {
  return { 'aria-label': label, 'data-testid': testid, ...extra } as InputHTMLAttributes
}
