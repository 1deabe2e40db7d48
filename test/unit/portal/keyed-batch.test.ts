import { describe, expect, it } from 'vitest'
import { keyedBatch } from '../../../electron/core/portal/keyed-batch'
import type { BatchCaller } from '../../../electron/core/portal/keyed-batch'
import { normaliseBatch } from '../../../electron/core/portal/client'

/** A portal that answers every command with its own params' N, refuses N = 13 and forgets N = 7. */
function portal(): BatchCaller & { sizes: number[] } {
  const sizes: number[] = []
  return {
    sizes,
    async batch(cmd) {
      sizes.push(Object.keys(cmd).length)
      const result: Record<string, unknown> = {}
      const result_error: Record<string, unknown> = {}
      for (const [k, [, p]] of Object.entries(cmd)) {
        const n = Number(p.N)
        if (n === 13) result_error[k] = { error: 'WRONG_REQUEST', error_description: 'thirteen' }
        else if (n !== 7) result[k] = n * 2
      }
      return { result: normaliseBatch({ result, result_error }) }
    },
  }
}

describe('keyedBatch', () => {
  it('sends at most 50 commands a request and gives every outcome back by the caller’s key', async () => {
    const p = portal()
    const keys = Array.from({ length: 120 }, (_, i) => ({ row: i }))
    const chunks: number[] = []
    const out = await keyedBatch(p, keys.map((k) => [k, ['im.chat.get', { N: k.row }]] as const), { onChunk: (m) => void chunks.push(m.size) })
    expect(p.sizes).toEqual([50, 50, 20])
    expect(chunks).toEqual([50, 50, 20])
    expect(out.get(keys[3]!)).toEqual({ kind: 'ok', result: 6 })
    expect(out.get(keys[13]!)).toEqual({ kind: 'error', error: 'WRONG_REQUEST', description: 'thirteen' })
    expect(out.get(keys[7]!)).toEqual({ kind: 'missing' })
    expect(out.size).toBe(120)
  })

  it('honours a smaller chunk and stops before the next request once aborted', async () => {
    const p = portal()
    const ac = new AbortController()
    const calls = Array.from({ length: 30 }, (_, i) => [i, ['user.get', { N: i }]] as const)
    await expect(keyedBatch(p, calls, { chunk: 10, signal: ac.signal, onChunk: () => ac.abort(new Error('stop')) })).rejects.toThrow('stop')
    expect(p.sizes).toEqual([10])
  })
})
