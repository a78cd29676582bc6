/**
 * Wires a gateway instance together from a loaded config: routing state, data
 * plane, and the components around it. `main.ts` calls this; so can tests.
 */
import type { FastifyInstance } from 'fastify'
import type { GatewayConfig } from './config/load.js'
import type { Logger } from './observe/log.js'
import { Router } from './routing/router.js'
import { ObserverChain } from './observe/outcome.js'
import { countingFeedback } from './health/feedback.js'
import { buildDataPlane, type Lifecycle } from './server/data-plane.js'

export interface StartOptions {
  /** Overrides the config's data-plane port (0 = any free port). */
  port?: number
  /** Overrides the config's admin port. */
  adminPort?: number
}

export interface Gateway {
  readonly config: GatewayConfig
  readonly router: Router
  readonly dataPlane: FastifyInstance
  readonly port: number
  readonly adminPort: number | null
  /** Graceful stop: readiness off, stop accepting, finish in-flight requests, close pools. */
  close (): Promise<void>
}

export async function startGateway (config: GatewayConfig, logger: Logger, opts: StartOptions = {}): Promise<Gateway> {
  const router = new Router(config.models, config.initialState)
  const observer = new ObserverChain()
  observer.onError = (err) => { logger.error({ err }, 'request observer failed') }
  const lifecycle: Lifecycle = { draining: false }

  const dataPlane = await buildDataPlane({ config, router, observer, feedback: countingFeedback, logger, lifecycle })
  await dataPlane.listen({ host: config.host, port: opts.port ?? config.port })
  const port = (dataPlane.server.address() as { port: number }).port
  logger.info({ host: config.host, port, instanceId: config.instanceId, models: Object.keys(config.models) }, 'data plane listening')

  let closing: Promise<void> | undefined
  return {
    config,
    router,
    dataPlane,
    port,
    adminPort: null,
    close () {
      closing ??= (async () => {
        lifecycle.draining = true
        await dataPlane.close()
        await router.close()
      })()
      return closing
    }
  }
}
