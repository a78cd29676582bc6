/**
 * What every component needs: the loaded config, the logger, the state store
 * with the state it loaded, the router over it, the metrics registry, and the
 * chains that the request path and the health checker report into.
 */
import { Registry } from 'prom-client'
import type { GatewayConfig } from '../config/load.js'
import type { StateStore } from '../control/store.js'
import { createControlLog, createStateStore } from '../control/create-store.js'
import type { ControlLog } from '../control/control-log.js'
import { HealthSinkChain } from '../health/result.js'
import { logHealthSink } from '../health/log-sink.js'
import type { Logger } from '../observe/log.js'
import { ObserverChain } from '../observe/outcome.js'
import { Router } from '../proxy/router.js'

export interface Core {
  readonly config: GatewayConfig
  readonly logger: Logger
  readonly store: StateStore
  /** The durable record of audit entries and rollout decisions (file, and the scoring pipeline once it runs). */
  readonly controlLog: ControlLog
  readonly router: Router
  readonly registry: Registry
  /** Every answered request is reported here; components add their observers. */
  readonly observer: ObserverChain
  /** Every active health-check result goes here (the local log sink is always there). */
  readonly healthSinks: HealthSinkChain
}

export async function startCore (config: GatewayConfig, logger: Logger): Promise<Core> {
  const controlLog = await createControlLog(config, logger)
  const store = await createStateStore(config, logger, controlLog)
  // The stored state (state file or Redis) wins over the config's: it is what operators set last.
  const initial = await store.init(config.initialState)
  const observer = new ObserverChain()
  observer.onError = (err) => { logger.error({ err }, 'request observer failed') }
  const healthSinks = new HealthSinkChain()
  healthSinks.onError = (err) => { logger.error({ err }, 'health result sink failed') }
  healthSinks.add(logHealthSink(logger))
  return { config, logger, store, controlLog, router: new Router(config.models, initial), registry: new Registry(), observer, healthSinks }
}
