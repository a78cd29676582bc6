/**
 * GET /admin/health (role "read"): per model, version and replica, whether it
 * is healthy (active checks), ejected (passive), its failure counters and its
 * last check. `?model=` narrows it to one model.
 */
import type { AdminModule } from '../server/admin-plane.js'
import { adminError } from '../server/admin-plane.js'
import type { HealthChecker } from './checker.js'

export function healthAdminModule (checker: HealthChecker): AdminModule {
  return (app) => {
    app.get<{ Querystring: { model?: string } }>('/admin/health', async (request) => {
      const model = request.query.model
      let replicas = checker.status()
      if (model !== undefined) {
        replicas = replicas.filter(r => r.model === model)
        if (replicas.length === 0) throw adminError('GW_UNKNOWN_MODEL', `model "${model.slice(0, 200)}" is not served by this gateway`, { model: model.slice(0, 200) })
      }
      return { replicas }
    })
  }
}
