/**
 * Verification and shadow traffic: mirrored requests off the response path,
 * their pairs into the pipeline (ClickHouse, fleet-wide) and into this
 * instance's tally (no pipeline needed), the named verification suites (golden
 * files read now: a bad one stops the start), recorded traffic for replay
 * suites, and the admin routes of both.
 */
import { releaseAdminModule } from '../admin/release-routes.js'
import { registerShadowMetrics } from '../observe/shadow-metrics.js'
import { ShadowTally } from '../observe/shadow-tally.js'
import type { ScoringPipeline } from '../observe/pipeline.js'
import { ShadowMirror } from '../proxy/shadow.js'
import type { Component } from './component.js'
import type { Core } from './core.js'
import { loadSuites, type SuitesByModel } from '../verify/suites.js'
import { recordedFromConfig } from '../sink/recorded.js'
import type { RecordedSource } from '../verify/replay.js'

export interface ShadowComponent extends Component {
  readonly mirror: ShadowMirror
  readonly tally: ShadowTally
  readonly suites: SuitesByModel
  /** Recorded traffic (ClickHouse, rollouts.clickhouseUrl) for replay suites, or null. */
  readonly recorded: RecordedSource | null
}

export function shadowComponent (core: Core, pipeline: ScoringPipeline | null): ShadowComponent {
  const { config, store, router, logger } = core
  const tally = new ShadowTally()
  const mirror = new ShadowMirror({
    maxInFlight: config.shadow.maxInFlight,
    timeoutMs: config.shadow.timeoutMs,
    pipelining: config.shadow.pipelining,
    sink: { pair: (p) => { tally.pair(p); pipeline?.pair(p) } },
    logger
  })
  mirror.apply(store.get())
  registerShadowMetrics(core.registry, mirror)
  const suites = loadSuites(config)
  const recorded = recordedFromConfig(config.rollouts)
  return {
    name: 'shadow',
    mirror,
    tally,
    suites,
    recorded: recorded?.source ?? null,
    adminModules: [releaseAdminModule({ store, router, shadowTally: tally, suites, recorded: recorded?.source ?? null })],
    applyState: (state) => { mirror.apply(state) },
    // Stops before the pipeline, so the pairs of cut-off shadow calls still reach it before it flushes.
    stop: async () => {
      mirror.close()
      await recorded?.close()
    }
  }
}
