/**
 * The default health-result sink: one structured log line per probe, at debug
 * when it passed and at warn when it failed (state changes are logged by the
 * checker itself).
 */
import type { Logger } from 'pino'
import type { HealthCheckResult, HealthResultSink } from './result.js'

export function logHealthSink (logger: Logger): HealthResultSink {
  const log = logger.child({ component: 'health' })
  return {
    record (r: HealthCheckResult): void {
      if (r.ok) {
        if (log.isLevelEnabled('debug')) log.debug({ healthCheck: r }, 'health check passed')
      } else {
        log.warn({ healthCheck: r }, 'health check failed')
      }
    }
  }
}
