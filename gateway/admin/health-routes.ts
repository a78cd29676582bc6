/**
 * GET /admin/health (role "read"): per model, version and replica, whether it
 * is healthy (active checks), ejected (passive), its failure counters and its
 * last check. `?model=` narrows it to one model.
 */
import { Type, type Static } from '@sinclair/typebox'
import type { AdminModule } from './listener.js'
import { QueryValue } from './validation.js'
import { errors } from '../errors.js'
import type { HealthChecker } from '../health/checker.js'

const HealthQuery = Type.Object({ model: QueryValue })

export function healthAdminModule (checker: HealthChecker): AdminModule {
  return (app) => {
    app.get<{ Querystring: Static<typeof HealthQuery> }>('/admin/health', { schema: { querystring: HealthQuery } }, async (request) => {
      const model = request.query.model
      let replicas = checker.status()
      if (model !== undefined) {
        replicas = replicas.filter(r => r.model === model)
        if (replicas.length === 0) throw errors.unknownModel(model.slice(0, 200))
      }
      return { replicas }
    })
  }
}
