/** A SecretStore in memory for tests and bench drivers that never need the OS keychain. */
import type { SecretStore } from '../../electron/core/profiles/secret-store'

export class NoSecrets implements SecretStore {
  readonly label = 'in memory (test)'
  private readonly m = new Map<string, string>()
  async get(a: string): Promise<string | null> {
    return this.m.get(a) ?? null
  }
  async set(a: string, s: string): Promise<void> {
    this.m.set(a, s)
  }
  async delete(a: string): Promise<boolean> {
    return this.m.delete(a)
  }
  async check(): Promise<void> {}
}
