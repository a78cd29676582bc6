/**
 * GET /admin/whoami (role "read"): the name and role of the calling token, so
 * a client (the console) can show what the token may do before it tries. The
 * token itself is never echoed.
 */
import type { AdminModule } from './listener.js'

export function whoamiAdminModule (): AdminModule {
  return (app) => {
    app.get('/admin/whoami', async (request) => ({ name: request.principal?.name ?? null, role: request.principal?.role ?? null }))
  }
}
