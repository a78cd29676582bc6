/** Config reload (SIGHUP, POST /admin/reload): new models and versions from the file; stored release state wins for what it has. */
import { reloadAdminModule } from '../admin/reload-routes.js'
import type { GatewayEnv } from '../config/env.js'
import type { ReplicaDiscovery } from '../discovery/discovery.js'
import { createReloader, type ReloadResult } from '../reload.js'
import type { Component } from './component.js'
import type { Core } from './core.js'

export interface ReloadComponent extends Component {
  readonly reload: () => Promise<ReloadResult>
}

export function reloadComponent (core: Core, discovery: ReplicaDiscovery, env: Readonly<GatewayEnv>): ReloadComponent {
  const { config, store, logger, router } = core
  const reload = createReloader({
    file: config.file,
    env,
    running: config,
    store,
    logger,
    apply: (models) => {
      router.setConfigs(models)
      discovery.sync(models)
    }
  })
  return { name: 'reload', reload, adminModules: [reloadAdminModule(reload)] }
}
