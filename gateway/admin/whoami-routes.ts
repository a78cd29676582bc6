/**
 * GET /admin/whoami (role "read"): the name and role of the calling token, and
 * for a release token or a scoped one its rollout actions and the models or
 * labels it may change, so a client (the console) can show what the token may
 * do before it tries. The token itself is never echoed.
 */
import type { AdminModule } from './listener.js'

export function whoamiAdminModule (): AdminModule {
  return (app) => {
    app.get('/admin/whoami', async (request) => {
      const p = request.principal
      return { name: p?.name ?? null, role: p?.role ?? null, actions: p?.actions ?? null, models: p?.models ?? null, labels: p?.labels ?? null }
    })
  }
}
