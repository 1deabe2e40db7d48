/** Seeded, runtime-changeable fault injection: one draw per REST request picks at most one fault. */
import { seededRng } from './clock'
import type { Rng } from './clock'
import { FAULT_KINDS } from './types'
import type { FaultKind, Faults } from './types'

export class FaultInjector {
  private rng: Rng
  private probs: Faults = {}
  constructor(private seed: number, faults?: Faults) {
    this.rng = seededRng(seed ^ 0x5eed_fa17)
    this.set(faults)
  }

  set(f: Faults | undefined): void {
    const next: Faults = {}
    for (const k of FAULT_KINDS) {
      const p = f?.[k]
      if (p === undefined) continue
      if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`fault probability for ${k} must be within 0..1`)
      if (p > 0) next[k] = p
    }
    const sum = Object.values(next).reduce((a, b) => a + b, 0)
    if (sum > 1 + 1e-9) throw new RangeError('fault probabilities add up to more than 1')
    this.probs = next
  }

  get(): Faults {
    return { ...this.probs }
  }

  reseed(): void {
    this.rng = seededRng(this.seed ^ 0x5eed_fa17)
  }

  /** The fault for this request, if any (the order of kinds is fixed so a seed gives one sequence). */
  draw(): FaultKind | null {
    const kinds = FAULT_KINDS.filter((k) => this.probs[k])
    if (kinds.length === 0) return null
    const u = this.rng()
    let acc = 0
    for (const k of kinds) {
      acc += this.probs[k] as number
      if (u < acc) return k
    }
    return null
  }

  /** A second seeded draw in [0,1) (e.g. whether an http500/html fault committed the work, or 502 vs 504). */
  coin(): number {
    return this.rng()
  }
}

/** Parses `http500=0.1,html=0.05` (the CLI's --faults). */
export function parseFaults(s: string): Faults {
  const out: Faults = {}
  for (const part of s.split(',')) {
    const t = part.trim()
    if (!t) continue
    const [k, v] = t.split('=')
    if (!k || v === undefined || !(FAULT_KINDS as readonly string[]).includes(k.trim())) throw new RangeError(`unknown fault "${t}" (use ${FAULT_KINDS.join(', ')})`)
    const p = Number(v)
    if (!Number.isFinite(p) || p < 0 || p > 1) throw new RangeError(`fault probability "${v}" must be within 0..1`)
    out[k.trim() as FaultKind] = p
  }
  return out
}
