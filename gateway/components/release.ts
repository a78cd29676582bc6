/** The release controller: canary analysis, automatic promote and rollback (one lease holder per model across a fleet). */
import { startRelease } from '../release/component.js'
import type { Component } from './component.js'
import type { Core } from './core.js'
import type { ShadowComponent } from './shadow.js'

export function releaseComponent (core: Core, shadow: ShadowComponent, now: () => number): Component {
  const release = startRelease(core.config, core.store, core.logger, { now, router: core.router, shadowTally: shadow.tally, suites: shadow.suites, recorded: shadow.recorded, registry: core.registry })
  return {
    name: 'release',
    observer: release.observer,
    adminModules: release.adminModules,
    stop: () => release.close()
  }
}
