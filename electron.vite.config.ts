import { resolve } from 'node:path'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'electron-vite'

const r = (p: string): string => resolve(import.meta.dirname, p)

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        // The CLI and the browser shell are built with the main process: same core, no Electron at run time.
        input: { index: r('electron/main/index.ts'), cli: r('electron/cli/index.ts'), web: r('electron/web/index.ts') },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: r('electron/preload/index.ts') },
        // Sandboxed preloads must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: r('renderer'),
    resolve: { alias: { '@': r('renderer/src') } },
    plugins: [vue()],
    // vue-i18n's feature flags: composition API only, no legacy API, no devtools in production.
    define: { __VUE_I18N_FULL_INSTALL__: true, __VUE_I18N_LEGACY_API__: false, __INTLIFY_PROD_DEVTOOLS__: false },
    build: {
      outDir: r('out/renderer'),
      rollupOptions: { input: { index: r('renderer/index.html') } },
    },
  },
})
