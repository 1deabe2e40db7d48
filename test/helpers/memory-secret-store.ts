import type { SecretStore } from '../../electron/core/profiles/secret-store'
import { AppFailure } from '../../electron/shared/result'

/** An in-memory SecretStore for unit tests only (integration and e2e tests use the real OS keychain). */
export class MemorySecretStore implements SecretStore {
  readonly label = 'in-memory store (tests only)'
  readonly entries = new Map<string, string>()
  /** Set to a message to simulate a keychain that is not available. */
  unavailable: string | null = null
  /** Its Russian text, when set. */
  unavailableRu: string | null = null
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
    if (this.unavailable) throw new AppFailure('KEYCHAIN_UNAVAILABLE', this.unavailable, this.unavailableRu ? { messageRu: this.unavailableRu } : {})
  }
}
