// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'
import vueParser from 'vue-eslint-parser'
import globals from 'globals'

const noElectron = [
  { name: 'electron', message: 'Only electron/main and electron/preload may import electron.' },
  { name: 'keytar', message: 'Only electron/keychain (the OS keychain adapter) may import keytar.' },
]
const nodePatterns = [{ group: ['node:*'], message: 'This layer is shared with the renderer: no Node built-ins.' }]
const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'http', 'https', 'net', 'crypto', 'url', 'stream', 'util', 'zlib']
  .map((name) => ({ name, message: 'This layer is shared with the renderer: no Node built-ins.' }))

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'coverage/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.mjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, sourceType: 'module' } },
    rules: { 'vue/multi-word-component-names': 'off', 'vue/max-attributes-per-line': 'off', 'vue/singleline-html-element-content-newline': 'off', 'vue/html-self-closing': 'off' },
  },
  // Boundaries (house-style habit 6).
  {
    files: ['electron/core/**/*.ts', 'electron/cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: noElectron }] },
  },
  {
    // The sandbox is an independent server implementation: it must not borrow the client's pacing or sync code.
    files: ['electron/sandbox/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: noElectron,
        patterns: [{ group: ['**/core/**', '**/core'], message: 'The sandbox must not import the client core.' }],
      }],
    },
  },
  {
    // The browser shell puts the same transport-neutral gate (core/app/gate.ts) in front of the backend: no Electron.
    files: ['electron/web/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: noElectron }] },
  },
  {
    files: ['electron/keychain/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron[0]] }] },
  },
  {
    files: ['electron/main/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron[1]] }] },
  },
  {
    files: ['electron/shared/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [...noElectron, ...nodeBuiltins], patterns: nodePatterns }] },
  },
  {
    files: ['renderer/**/*.{ts,vue}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { 'no-restricted-imports': ['error', { paths: [...noElectron, ...nodeBuiltins], patterns: nodePatterns }] },
  },
  {
    files: ['electron/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noElectron[1], ...nodeBuiltins],
        patterns: [...nodePatterns, { group: ['../core/*', '../main/*', '../sandbox/*', '../cli/*'], message: 'preload imports only electron and shared/.' }],
      }],
    },
  },
)
