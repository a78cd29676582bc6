/**
 * Active health checks of every replica and passive outlier ejection. The
 * outlier detector is also the data plane's replica feedback: it hears of each
 * upstream result.
 */
import { healthAdminModule } from '../admin/health-routes.js'
import { HealthChecker } from '../health/checker.js'
import { OutlierDetector } from '../health/outlier.js'
import type { GatewayMetrics } from '../observe/metrics.js'
import type { ReplicaFeedback } from '../proxy/feedback.js'
import type { Component } from './component.js'
import type { Core } from './core.js'

export interface HealthComponent extends Component {
  readonly feedback: ReplicaFeedback
}

export function healthComponent (core: Core, metrics: GatewayMetrics): HealthComponent {
  const { router, config, logger } = core
  const outlier = new OutlierDetector((model) => router.configs[model]?.outlierDetection, logger)
  outlier.onEjection((e) => { metrics.ejected(e) })
  const checker = new HealthChecker({
    router,
    instanceId: config.instanceId,
    sink: core.healthSinks,
    logger,
    onCheckSuccess: (r) => { outlier.checkSucceeded(r) },
    ejectedUntil: (r) => outlier.ejectedUntil(r)
  })
  checker.start()
  return {
    name: 'health',
    feedback: outlier,
    adminModules: [healthAdminModule(checker)],
    async stop () {
      outlier.close()
      await checker.close()
    }
  }
}
