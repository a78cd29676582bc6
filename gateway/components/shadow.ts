/**
 * Verification and shadow traffic: mirrored requests off the response path,
 * their pairs into the pipeline (ClickHouse, fleet-wide) and into this
 * instance's tally (no pipeline needed), and the admin routes of both.
 */
import { releaseAdminModule } from '../admin/release-routes.js'
import { registerShadowMetrics } from '../observe/shadow-metrics.js'
import { ShadowTally } from '../observe/shadow-tally.js'
import type { ScoringPipeline } from '../observe/pipeline.js'
import { ShadowMirror } from '../proxy/shadow.js'
import type { Component } from './component.js'
import type { Core } from './core.js'

export interface ShadowComponent extends Component {
  readonly mirror: ShadowMirror
  readonly tally: ShadowTally
}

export function shadowComponent (core: Core, pipeline: ScoringPipeline | null): ShadowComponent {
  const { config, store, router, logger } = core
  const tally = new ShadowTally()
  const mirror = new ShadowMirror({
    maxInFlight: config.shadow.maxInFlight,
    timeoutMs: config.shadow.timeoutMs,
    sink: { pair: (p) => { tally.pair(p); pipeline?.pair(p) } },
    logger
  })
  mirror.apply(store.get())
  registerShadowMetrics(core.registry, mirror)
  return {
    name: 'shadow',
    mirror,
    tally,
    adminModules: [releaseAdminModule({ store, router, shadowTally: tally })],
    applyState: (state) => { mirror.apply(state) },
    // Stops before the pipeline, so the pairs of cut-off shadow calls still reach it before it flushes.
    stop: async () => { mirror.close() }
  }
}
