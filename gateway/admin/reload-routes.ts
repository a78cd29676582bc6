/** POST /admin/reload (role "admin"): the gateway re-reads its config file, as on SIGHUP (gateway/reload.ts). */
import type { AdminModule } from './listener.js'
import type { ReloadResult } from '../reload.js'

export function reloadAdminModule (reload: () => Promise<ReloadResult>): AdminModule {
  return (app) => {
    app.post('/admin/reload', async () => reload())
  }
}
