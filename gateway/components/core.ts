/**
 * What every component needs: the loaded config, the logger, the state store
 * with the state it loaded, the router over it, the metrics registry, and the
 * chains that the request path and the health checker report into.
 */
import { Registry } from 'prom-client'
import type { GatewayConfig } from '../config/load.js'
import type { StateStore } from '../control/store.js'
import { createStateStore } from '../control/create-store.js'
import { HealthSinkChain } from '../health/result.js'
import { logHealthSink } from '../health/log-sink.js'
import type { Logger } from '../observe/log.js'
import { ObserverChain } from '../observe/outcome.js'
import { Router } from '../proxy/router.js'

export interface Core {
  readonly config: GatewayConfig
  readonly logger: Logger
  readonly store: StateStore
  readonly router: Router
  readonly registry: Registry
  /** Every answered request is reported here; components add their observers. */
  readonly observer: ObserverChain
  /** Every active health-check result goes here (the local log sink is always there). */
  readonly healthSinks: HealthSinkChain
}

export async function startCore (config: GatewayConfig, logger: Logger): Promise<Core> {
  const store = await createStateStore(config, logger)
  // The stored state (state file or Redis) wins over the config's: it is what operators set last.
  const initial = await store.init(config.initialState)
  const observer = new ObserverChain()
  observer.onError = (err) => { logger.error({ err }, 'request observer failed') }
  const healthSinks = new HealthSinkChain()
  healthSinks.onError = (err) => { logger.error({ err }, 'health result sink failed') }
  healthSinks.add(logHealthSink(logger))
  return { config, logger, store, router: new Router(config.models, initial), registry: new Registry(), observer, healthSinks }
}
