/**
 * Where the secret part of a profile lives: the OS keychain (electron/keychain) in the app, the CLI and the
 * integration tests; unit tests use an in-memory store kept in test/helpers, never shipped. There is deliberately
 * no file-backed implementation: no keychain means a clear KEYCHAIN_UNAVAILABLE error and nothing stored, never a
 * plaintext fallback.
 */
export interface SecretStore {
  /** A short description for messages, e.g. "OS keychain (Secret Service)". */
  readonly label: string
  get(account: string): Promise<string | null>
  set(account: string, secret: string): Promise<void>
  delete(account: string): Promise<boolean>
  /** Resolves when the store works; rejects with AppFailure(KEYCHAIN_UNAVAILABLE, what is missing) otherwise. */
  check(): Promise<void>
}

export const KEYCHAIN_SERVICE = 'b24-chat-admin'
