/**
 * Config reload (SIGHUP, POST /admin/reload): new models and versions from the
 * file; stored release state wins for what it has. The listeners' certificate
 * files are read again too, whether or not the config loads, and the
 * applications a reloaded config adds join the access state.
 */
import { reloadAdminModule } from '../admin/reload-routes.js'
import type { GatewayEnv } from '../config/env.js'
import type { AccessComponent } from '../access/component.js'
import type { ReplicaDiscovery } from '../discovery/discovery.js'
import { createReloader, type ReloadResult } from '../reload.js'
import type { Component } from './component.js'
import type { Core } from './core.js'
import type { TlsComponent } from './tls.js'

export interface ReloadComponent extends Component {
  readonly reload: () => Promise<ReloadResult>
}

export function reloadComponent (core: Core, discovery: ReplicaDiscovery, env: Readonly<GatewayEnv>, tls: TlsComponent, access: AccessComponent | null): ReloadComponent {
  const { config, store, logger, router } = core
  const reloadConfig = createReloader({
    file: config.file,
    env,
    running: config,
    store,
    logger,
    apply: (models, next) => {
      router.setConfigs(models)
      discovery.sync(models)
      access?.seed(next.access.applications).catch((err: unknown) => { logger.error({ err }, 'adding the reloaded config\'s applications failed') })
    }
  })
  const reload = async (): Promise<ReloadResult> => {
    await tls.reload()
    return reloadConfig()
  }
  return { name: 'reload', reload, adminModules: [reloadAdminModule(reload)] }
}
