/** Stand-in for the native keytar module in unit tests: an in-memory map (integration tests use the real one). */
const store = new Map<string, string>()
const key = (s: string, a: string): string => `${s}\u0000${a}`
export async function getPassword(service: string, account: string): Promise<string | null> {
  return store.get(key(service, account)) ?? null
}
export async function setPassword(service: string, account: string, password: string): Promise<void> {
  store.set(key(service, account), password)
}
export async function deletePassword(service: string, account: string): Promise<boolean> {
  return store.delete(key(service, account))
}
export default { getPassword, setPassword, deletePassword }
