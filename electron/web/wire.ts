/**
 * JSON cannot carry bytes: bridges that replace Electron's IPC (the browser shell, the e2e harness) send each
 * Uint8Array as { __u8: base64 }. This restores them before the payload reaches the gatekeeper's schemas.
 */
export function decodeWire(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decodeWire)
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>
    if (typeof o.__u8 === 'string' && Object.keys(o).length === 1) return new Uint8Array(Buffer.from(o.__u8, 'base64'))
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decodeWire(x)]))
  }
  return v
}
