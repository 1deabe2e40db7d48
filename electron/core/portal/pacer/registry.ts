/**
 * One pacer per portal: every client created with the same registry for the same portal shares its bucket,
 * concurrency limiter and cost model, while the budget stays per credential (notes §3). The app and the CLI keep
 * one registry for their lifetime; a client created without one paces alone (tests, one-off tools).
 */
import { createHash } from 'node:crypto'
import type { Clock } from '../../clock'
import { Pacer } from './pacer'
import { PortalPacer } from './portal'
import type { PortalPacerConfig } from './portal'

export class PacerRegistry {
  private readonly portals = new Map<string, PortalPacer>()

  constructor(private readonly clock: Clock) {}

  /**
   * The pacer of `portal` (its origin, e.g. https://x.bitrix24.ru/) for one credential. A later call with other
   * limits or settings reconfigures the shared pacing: the newest settings win for every client of the portal.
   */
  pacerFor(portal: string, credential: string, cfg: PortalPacerConfig): Pacer {
    const key = portalKey(portal)
    let p = this.portals.get(key)
    if (!p) {
      p = new PortalPacer(this.clock, cfg)
      this.portals.set(key, p)
    } else p.configure(cfg)
    return new Pacer({ portal: p, credential })
  }

  /** How many portals are paced (diagnostics). */
  get size(): number {
    return this.portals.size
  }
}

/** The portal's origin, lower case: one bucket per host and port. */
export function portalKey(portal: string): string {
  try {
    return new URL(portal).origin.toLowerCase()
  } catch {
    return portal.toLowerCase()
  }
}

/** A stable, secret-free name for a credential (the budget is per credential): never the secret itself. */
export function credentialKey(kind: 'webhook' | 'oauth', id: string): string {
  return kind === 'oauth' ? `oauth:${id}` : `webhook:${createHash('sha256').update(id).digest('hex').slice(0, 16)}`
}
