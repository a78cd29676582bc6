/**
 * The rollout controller on /metrics: which models' leases this instance holds
 * (fleet-wide, exactly one instance shows 1 per model with a rollout) and when
 * its controller last analysed each model. Read at scrape time.
 */
import { Gauge, type Registry } from 'prom-client'
import type { StateStore } from '../control/store.js'
import { isActive } from '../state/rollout-record.js'
import type { Coordination } from './coordination.js'
import type { RolloutController } from './controller.js'

export function registerRolloutMetrics (registry: Registry, store: StateStore, coordination: Coordination, controller: RolloutController | null): void {
  const activeModels = (): string[] => Object.entries(store.get().models).filter(([, ms]) => isActive(ms.rollout)).map(([m]) => m)
  new Gauge({
    name: 'model_gateway_rollout_lease_held',
    help: 'Whether this instance holds the model\'s rollout lease (its controller is the one that acts), for models with a rollout in progress',
    labelNames: ['model'] as const,
    registers: [registry],
    collect () {
      this.reset()
      const held = new Set(coordination.held())
      for (const m of activeModels()) this.set({ model: m }, held.has(m) ? 1 : 0)
    }
  })
  new Gauge({
    name: 'model_gateway_rollout_last_analysis_timestamp_seconds',
    help: 'Unix time of this instance\'s last canary analysis of the model (its controller acted then)',
    labelNames: ['model'] as const,
    registers: [registry],
    collect () {
      this.reset()
      for (const m of activeModels()) {
        const at = controller?.lastAnalysisAt(m) ?? null
        if (at !== null) this.set({ model: m }, at / 1000)
      }
    }
  })
}
