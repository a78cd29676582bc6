/** Prometheus metrics of requests, replicas and health checks, served on the admin API's /metrics. */
import { metricsAdminModule } from '../admin/metrics-routes.js'
import { GatewayMetrics } from '../observe/metrics.js'
import type { Component } from './component.js'
import type { Core } from './core.js'

export interface MetricsComponent extends Component {
  readonly metrics: GatewayMetrics
}

export function metricsComponent (core: Core): MetricsComponent {
  const metrics = new GatewayMetrics(core.registry, core.router)
  return {
    name: 'metrics',
    metrics,
    observer: metrics,
    healthSink: metrics,
    adminModules: [metricsAdminModule(core.registry, core.config.admin.metricsPublic)]
  }
}
