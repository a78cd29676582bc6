/** Who may score what (access.enabled): keys, JWTs, scopes and quotas shared by the instances alive; the gate the data plane asks before decide. */
import { accessAdminModule } from '../admin/access-routes.js'
import { startAccess, type AccessComponent as Access } from '../access/component.js'
import type { Component } from './component.js'
import type { Core } from './core.js'

export interface AccessComponent extends Component {
  /** null when access control is off. */
  readonly access: Access | null
}

export async function accessComponent (core: Core): Promise<AccessComponent> {
  const { config, logger, registry, store, router } = core
  // The instance registry counts the instances alive; each enforces its share of a fleet quota.
  const access = await startAccess({ config, logger, registry, instances: async () => (await store.instances()).length })
  if (access === null) return { name: 'access', access }
  return {
    name: 'access',
    access,
    adminModules: [accessAdminModule({ access, models: () => Object.keys(router.configs) })],
    stop: () => access.close()
  }
}
