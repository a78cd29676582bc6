/**
 * GET /metrics on the admin listener: role "read", or public when admin.metricsPublic is set.
 */
import type { Registry } from 'prom-client'
import type { AdminModule } from './listener.js'

export function metricsAdminModule (registry: Registry, isPublic: boolean): AdminModule {
  return (app) => {
    app.get('/metrics', { config: { role: isPublic ? 'public' : 'read' } }, async (_request, reply) => {
      const body = await registry.metrics()
      return reply.header('content-type', registry.contentType).send(body)
    })
  }
}
