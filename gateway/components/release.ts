/** The release controller: canary analysis, automatic promote and rollback (one lease holder per model across a fleet). */
import { startRelease } from '../release/component.js'
import type { SeriesReader } from '../admin/series-routes.js'
import type { Component } from './component.js'
import type { Core } from './core.js'
import type { ShadowComponent } from './shadow.js'

export interface ReleaseComponent extends Component {
  /** The fleet's per-version series when the release source is ClickHouse (the console draws them), else null. */
  readonly series: SeriesReader | null
}

export function releaseComponent (core: Core, shadow: ShadowComponent, now: () => number): ReleaseComponent {
  const release = startRelease(core.config, core.store, core.logger, {
    now, router: core.router, shadowTally: shadow.tally, suites: shadow.suites, recorded: shadow.recorded, registry: core.registry, controlLog: core.controlLog
  })
  return {
    name: 'release',
    observer: release.observer,
    adminModules: release.adminModules,
    series: release.series,
    stop: () => release.close()
  }
}
