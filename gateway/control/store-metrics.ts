/**
 * The state store on /metrics: whether it answers this instance, since when it
 * does not, and how many writes await their outcome. Read at scrape time.
 */
import { Gauge, type Registry } from 'prom-client'
import type { StateStore } from './store.js'

export function registerStoreMetrics (registry: Registry, store: StateStore): void {
  new Gauge({
    name: 'model_gateway_state_store_available',
    help: 'Whether the routing state store answers this instance (1) or not (0: changes are refused, the data plane serves the last state)',
    labelNames: ['store'] as const,
    registers: [registry],
    collect () { const h = store.health(); this.set({ store: h.kind }, h.available ? 1 : 0) }
  })
  new Gauge({
    name: 'model_gateway_state_store_unavailable_since_seconds',
    help: 'Unix time since when the routing state store has not answered this instance; 0 while it answers',
    registers: [registry],
    collect () { const s = store.health().unavailableSince; this.set(s === null ? 0 : Date.parse(s) / 1000) }
  })
  new Gauge({
    name: 'model_gateway_state_pending_operations',
    help: 'Admin writes answered GW_WRITE_OUTCOME_UNKNOWN whose outcome this instance has not read back yet',
    registers: [registry],
    collect () { this.set(store.health().pendingOperations.length) }
  })
}
