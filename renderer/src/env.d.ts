/// <reference types="vite/client" />
import type { AppApi } from '../../electron/shared/ipc'

declare global {
  interface Window {
    /** The preload bridge (or the e2e bridge). Only `src/api.ts` may touch it. */
    api: AppApi
  }
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}

export {}
