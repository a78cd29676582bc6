/** The release controller: canary analysis, automatic promote and rollback (one lease holder per model across a fleet). */
import { startRelease } from '../release/component.js'
import type { Component } from './component.js'
import type { Core } from './core.js'

export function releaseComponent (core: Core): Component {
  const release = startRelease(core.config, core.store, core.logger)
  return {
    name: 'release',
    observer: release.observer,
    adminModules: [release.adminModule],
    stop: () => release.close()
  }
}
