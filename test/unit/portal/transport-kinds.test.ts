/**
 * How the client reads the bounded transport's failures (issue 13): a refusal before anything was written is
 * resent; after it, a creating call is never resent and its outcome is unknown, with the transport's own message.
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../electron/core/clock'
import { createPortalClient, OutcomeUnknown } from '../../../electron/core/portal/client'
import { preflight } from '../../../electron/core/portal/preflight'
import { TransportError } from '../../../electron/core/portal/transport'
import { AppFailure } from '../../../electron/shared/result'
import type { HttpRequest, HttpResponse, TransportFailureKind } from '../../../electron/core/portal/transport'

const HOOK = 'https://portal.test/rest/1/s3cr3tW3bh00k/'

function clientFailingWith(kind: TransportFailureKind, message: string, times = 1) {
  const sent: string[] = []
  let left = times
  const transport = async (req: HttpRequest): Promise<HttpResponse> => {
    sent.push(req.url.slice(HOOK.length))
    if (left-- > 0) throw new TransportError(kind, message)
    return { status: 200, headers: {}, body: JSON.stringify({ result: { ID: '1' } }) }
  }
  const client = createPortalClient({ kind: 'webhook', url: HOOK }, { clock: new ManualClock(1_700_000_000_000, true), transport })
  return { client, sent }
}

async function outcome(p: Promise<unknown>): Promise<OutcomeUnknown> {
  try {
    await p
  } catch (e) {
    if (e instanceof OutcomeUnknown) return e
    throw e
  }
  throw new Error('expected an unknown outcome')
}

describe('client × bounded transport', () => {
  it('an answer over the size cap: outcome unknown, settled (the portal finished with it), never resent', async () => {
    const { client, sent } = clientFailingWith('too-large', "The portal's answer is larger than the 32 MB this app reads; it was not read")
    const e = await outcome(client.call('im.chat.add', { TITLE: 'x' }))
    expect(e.settled).toBe(true)
    expect(e.message).toContain('larger than the 32 MB')
    expect(sent).toEqual(['im.chat.add'])
  })

  it('a first-byte timeout or a deadline after the request was written: unknown, not settled, the transport\'s message', async () => {
    const { client, sent } = clientFailingWith('timeout', 'The portal did not start answering within 75 s after the request was sent')
    const e = await outcome(client.call('im.chat.add', { TITLE: 'x' }))
    expect(e.settled).toBe(false)
    expect(e.message).toBe('The portal did not start answering within 75 s after the request was sent')
    expect(sent).toEqual(['im.chat.add'])
  })

  it('a connect or TLS-handshake timeout (nothing sent) is resent, even for a creating call', async () => {
    const { client, sent } = clientFailingWith('connect', 'The TLS handshake with portal.test did not finish within 10 s', 2)
    expect((await client.call('im.chat.add', { TITLE: 'x' })).result).toEqual({ ID: '1' })
    expect(sent).toEqual(['im.chat.add', 'im.chat.add', 'im.chat.add'])
  })

  it('read-only calls are resent after a too-large answer', async () => {
    const { client, sent } = clientFailingWith('too-large', 'too large')
    expect((await client.call('profile')).result).toEqual({ ID: '1' })
    expect(sent).toEqual(['profile', 'profile'])
  })
})

describe('preflight takes a signal', () => {
  it('stops at once when the signal aborts, while the portal has not answered', async () => {
    const transport = (req: HttpRequest): Promise<HttpResponse> =>
      new Promise((_, reject) => req.signal?.addEventListener('abort', () => reject(new TransportError('aborted', 'Request aborted')), { once: true }))
    const client = createPortalClient({ kind: 'webhook', url: HOOK }, { clock: new ManualClock(1_700_000_000_000, true), transport })
    const ac = new AbortController()
    const p = preflight(client, 'Main', { signal: ac.signal })
    await new Promise((r) => setTimeout(r, 10))
    ac.abort(new AppFailure('CANCELLED', 'Interrupted (SIGINT).'))
    await expect(p).rejects.toMatchObject({ appError: { code: 'CANCELLED' } })
  })
})
