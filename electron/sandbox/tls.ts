/** The self-signed certificate (its own CA) for 127.0.0.1 / localhost, generated once per process. */
import { generate } from 'selfsigned'

export interface TlsMaterial {
  key: string
  cert: string
}

let cached: Promise<TlsMaterial> | null = null

export function sandboxCertificate(): Promise<TlsMaterial> {
  if (!cached) {
    const notBeforeDate = new Date(Date.now() - 86_400_000)
    const notAfterDate = new Date(Date.now() + 5 * 365 * 86_400_000)
    cached = generate([{ name: 'commonName', value: 'b24chat sandbox portal' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate,
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
      ],
    }).then((r) => ({ key: r.private, cert: r.cert }))
    cached.catch(() => {
      cached = null
    })
  }
  return cached
}
