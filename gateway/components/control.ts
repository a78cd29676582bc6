/**
 * The control plane's admin routes (traffic split, promote, rollback, register,
 * audit, fleet) over the state store. It starts first and stops last of the
 * components, so every other one can still write while it stops.
 */
import { controlAdminModule } from '../admin/control-routes.js'
import { requireVerificationDrift, syncRequireVerification } from '../control/release-gate.js'
import { registerStoreMetrics } from '../control/store-metrics.js'
import type { Component } from './component.js'
import type { Core } from './core.js'

export function controlComponent (core: Core, now: () => number): Component {
  const { config, store, router } = core
  registerStoreMetrics(core.registry, store)
  return {
    name: 'control',
    // release.requireVerification comes from the config; the stored state follows it.
    async start () {
      const drift = requireVerificationDrift(store.get(), config.initialState)
      if (drift.length > 0) await store.update(undefined, syncRequireVerification(config.initialState), { actor: 'config', action: 'sync-require-verification', detail: { models: drift } })
    },
    adminModules: [controlAdminModule({ store, router, instanceId: config.instanceId, holdbackMs: config.rollouts.holdbackMs, now })],
    applyState: (state) => { router.apply(state) },
    stop: async () => {
      await store.close()
      await core.controlLog.close()
    }
  }
}
