/**
 * GET /admin/discovery (role "read"): per version followed by DNS, the replicas
 * of the last good answer, its TTL, failures in a row and when the next lookup
 * is due. POST /admin/discovery/refresh resolves every name now.
 */
import type { AdminModule } from './listener.js'
import type { ReplicaDiscovery } from '../discovery/discovery.js'

export function discoveryAdminModule (discovery: ReplicaDiscovery): AdminModule {
  return (app) => {
    app.get('/admin/discovery', async () => ({ versions: discovery.status() }))
    app.post('/admin/discovery/refresh', async () => {
      await discovery.refreshAll()
      return { versions: discovery.status() }
    })
  }
}
