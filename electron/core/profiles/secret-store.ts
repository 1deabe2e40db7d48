import { AppFailure } from '../../shared/result'

/**
 * Where the secret part of a profile lives. The app and the CLI use the OS keychain (electron/keychain);
 * unit tests use MemorySecretStore. There is deliberately no file-backed implementation: no keychain means a
 * clear KEYCHAIN_UNAVAILABLE error and nothing stored, never a plaintext fallback.
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

export class MemorySecretStore implements SecretStore {
  readonly label = 'in-memory store (tests only)'
  readonly entries = new Map<string, string>()
  /** Set to a message to simulate a keychain that is not available. */
  unavailable: string | null = null
  async get(account: string): Promise<string | null> {
    this.guard()
    return this.entries.get(account) ?? null
  }
  async set(account: string, secret: string): Promise<void> {
    this.guard()
    this.entries.set(account, secret)
  }
  async delete(account: string): Promise<boolean> {
    this.guard()
    return this.entries.delete(account)
  }
  async check(): Promise<void> {
    this.guard()
  }
  private guard(): void {
    if (this.unavailable) throw new AppFailure('KEYCHAIN_UNAVAILABLE', this.unavailable)
  }
}
