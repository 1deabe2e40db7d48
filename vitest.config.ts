import { resolve } from 'node:path'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

const r = (p: string): string => resolve(import.meta.dirname, p)

// Unit and renderer tests never load Electron or the native keychain module: both are mocked by alias.
const mockNative = {
  electron: r('test/helpers/mocks/electron.ts'),
  keytar: r('test/helpers/mocks/keytar.ts'),
}

export default defineConfig({
  test: {
    // Every run gets a temp folder of its own and fails if a test leaves anything in it.
    globalSetup: ['test/helpers/temp-guard.ts'],
    projects: [
      {
        resolve: { alias: mockNative },
        test: {
          name: 'unit',
          environment: 'node',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        plugins: [vue()],
        resolve: { alias: { ...mockNative, '@': r('renderer/src') } },
        test: {
          name: 'renderer',
          environment: 'happy-dom',
          include: ['test/renderer/**/*.test.ts'],
          setupFiles: ['test/renderer/helpers/timers.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          environment: 'node',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
