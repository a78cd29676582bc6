/**
 * The browser console (admin.console): its files on the admin listener, the
 * per-version series its model page draws (this instance's, or the fleet's
 * from ClickHouse), and /admin/whoami, which its sign-in asks (served whether
 * or not the console is).
 */
import { consoleAdminModule } from '../admin/console-routes.js'
import { seriesAdminModule, type SeriesReader } from '../admin/series-routes.js'
import { whoamiAdminModule } from '../admin/whoami-routes.js'
import { TrafficSeries } from '../observe/series.js'
import type { Component } from './component.js'
import type { Core } from './core.js'
import type { MetricsComponent } from './metrics.js'

/** `metrics`: the local series are read from its per-version totals once a second. */
export function consoleComponent (core: Core, metrics: MetricsComponent, fleetSeries: SeriesReader | null): Component {
  if (!core.config.admin.console) return { name: 'console', adminModules: [whoamiAdminModule()] }
  const local = new TrafficSeries(core.router, metrics.metrics)
  return {
    name: 'console',
    observer: local,
    adminModules: [whoamiAdminModule(), consoleAdminModule(core.logger), seriesAdminModule({ store: core.store, local, clickhouse: fleetSeries })],
    start: async () => { local.start() },
    stop: async () => { local.stop() }
  }
}
