/** Replica discovery: versions that follow a DNS name get what this instance resolves, as an overlay. */
import { discoveryAdminModule } from '../admin/discovery-routes.js'
import { ReplicaDiscovery } from '../discovery/discovery.js'
import type { Component } from './component.js'
import type { Core } from './core.js'

export interface DiscoveryComponent extends Component {
  readonly discovery: ReplicaDiscovery
}

export function discoveryComponent (core: Core): DiscoveryComponent {
  const discovery = new ReplicaDiscovery({ router: core.router, settings: core.config.discovery, logger: core.logger, registry: core.registry })
  discovery.sync(core.config.models)
  return {
    name: 'discovery',
    discovery,
    adminModules: [discoveryAdminModule(discovery)],
    stop: async () => { discovery.close() }
  }
}
