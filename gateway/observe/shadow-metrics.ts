/**
 * Prometheus view of the shadow mirror. The mirror counts in plain
 * fields on the request path; these read them when scraped.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { ShadowMirror, ShadowStats } from '../proxy/shadow.js'

const OUTCOMES = { mirrored: 'mirrored', dropped: 'dropped', failed: 'failed', sameVersion: 'same_version' } as const

export function registerShadowMetrics (registry: Registry, mirror: ShadowMirror): void {
  const seen: Omit<ShadowStats, 'inFlight'> = { mirrored: 0, dropped: 0, failed: 0, sameVersion: 0 }
  const requests = new Counter({
    name: 'model_gateway_shadow_requests_total',
    help: 'Shadow calls by outcome: mirrored (sent), dropped (over shadow.maxInFlight), failed (no answer or 5xx), same_version (primary was the shadow version; no pair)',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect: () => {
      const s = mirror.stats()
      for (const k of Object.keys(OUTCOMES) as Array<keyof typeof OUTCOMES>) {
        if (s[k] > seen[k]) requests.inc({ outcome: OUTCOMES[k] }, s[k] - seen[k])
        seen[k] = s[k]
      }
    }
  })
  new Gauge({ name: 'model_gateway_shadow_inflight', help: 'Shadow calls in flight on this instance', registers: [registry], collect () { this.set(mirror.stats().inFlight) } })
}
