/**
 * The listeners: the data plane (scoring traffic over REST, and over gRPC on
 * its own port when grpc.enabled) and, apart from it, the admin plane with
 * every component's admin routes. They open after every
 * component has started and the data plane drains before any component stops.
 */
import type { FastifyInstance } from 'fastify'
import { Counter } from 'prom-client'
import { buildAdminPlane } from '../admin/listener.js'
import { METRICS_PREFIX } from '../observe/metrics.js'
import type { ReplicaFeedback } from '../proxy/feedback.js'
import type { ShadowMirror } from '../proxy/shadow.js'
import { buildDataPlane, type Lifecycle } from '../server/data-plane.js'
import { closeListener, sleep } from '../server/drain.js'
import { OverloadGuard } from '../server/overload.js'
import type { AccessGate } from '../access/gate.js'
import type { Component } from './component.js'
import type { Core } from './core.js'
import { startGrpcListener, type GrpcListener } from '../grpc/listener.js'
import type { TlsComponent } from './tls.js'
import type { OutcomeIntake } from '../server/outcome-intake.js'

export interface ListenerOptions {
  /** Overrides the config's data-plane port (0 = any free port). */
  port?: number | undefined
  /** Overrides the config's admin port. */
  adminPort?: number | undefined
  /** Overrides the config's gRPC port (when grpc.enabled). */
  grpcPort?: number | undefined
}

/** Who may call (the access gate, absent when access control is off) and the listeners' certificates. */
export interface ListenerSecurity {
  access: AccessGate | undefined
  tls: TlsComponent
}

export interface Listeners {
  readonly dataPlane: FastifyInstance
  readonly adminPlane: FastifyInstance | null
  readonly port: number
  readonly adminPort: number | null
  /** The gRPC listener's port; null when grpc is not enabled. */
  readonly grpcPort: number | null
  /** Readiness off, a pause for load balancers to notice, then stop accepting and finish in-flight requests. */
  drain (): Promise<void>
  close (): Promise<void>
}

export async function startListeners (core: Core, components: readonly Component[], feedback: ReplicaFeedback, shadow: ShadowMirror, opts: ListenerOptions, security: ListenerSecurity, outcomes: OutcomeIntake | null = null): Promise<Listeners> {
  const { config, router, observer, logger } = core
  const lifecycle: Lifecycle = { draining: false, closing: false }
  const guard = new OverloadGuard(config.overload)
  const overload = guard.enabled ? guard : undefined
  if (overload !== undefined) {
    new Counter({
      name: `${METRICS_PREFIX}requests_shed_total`,
      help: 'Scoring requests refused with 503 GW_OVERLOADED (gateway.overload)',
      registers: [core.registry],
      collect () { this.reset(); this.inc(guard.shed) }
    })
  }
  guard.onTransition = (shedding, delayMs) => {
    if (shedding) logger.warn({ eventLoopDelayMs: Math.round(delayMs), limitMs: config.overload.maxEventLoopDelayMs }, 'event loop lags: shedding scoring requests with 503 GW_OVERLOADED')
    else logger.info({ eventLoopDelayMs: Math.round(delayMs), shed: guard.shed }, 'event loop caught up: admitting scoring requests again')
  }
  const dataPlane = await buildDataPlane({ config, router, observer, feedback, logger, lifecycle, shadow, overload, access: security.access, tls: security.tls.data, outcomes: outcomes ?? undefined })
  await dataPlane.listen({ host: config.host, port: opts.port ?? config.port })
  const port = (dataPlane.server.address() as { port: number }).port
  logger.info({ host: config.host, port, instanceId: config.instanceId, models: Object.keys(config.models) }, 'data plane listening')
  // gRPC shares the data plane's router, observers, health feedback and lifecycle.
  let grpc: GrpcListener | null = null
  if (config.grpc.enabled) {
    grpc = await startGrpcListener({ config, router, observer, feedback, logger, lifecycle, access: security.access }, opts.grpcPort ?? config.grpc.port)
    logger.info({ host: config.grpc.host, port: grpc.port, tls: config.grpc.tls !== undefined }, 'gRPC listener serving')
  }

  let adminPlane: FastifyInstance | null = null
  let adminPort: number | null = null
  if (config.admin.enabled) {
    adminPlane = await buildAdminPlane(config.admin.tokens, logger, components.flatMap(c => c.adminModules ?? []), security.tls.admin, { labelsOf: (m) => config.models[m]?.labels })
    await adminPlane.listen({ host: config.admin.host, port: opts.adminPort ?? config.admin.port })
    adminPort = (adminPlane.server.address() as { port: number }).port
    logger.info({ host: config.admin.host, port: adminPort, tokens: config.admin.tokens.length }, 'admin plane listening')
  }

  return {
    dataPlane,
    adminPlane,
    port,
    adminPort,
    grpcPort: grpc?.port ?? null,
    async drain () {
      // Readiness fails first; a load balancer stops sending during drainDelayMs while requests are still served.
      lifecycle.draining = true
      if (config.drainDelayMs > 0) {
        logger.info({ drainDelayMs: config.drainDelayMs }, 'readiness off; still serving while load balancers deregister')
        await sleep(config.drainDelayMs)
      }
      await Promise.all([closeListener(dataPlane, lifecycle, config.shutdownTimeoutMs, logger), grpc?.close(config.shutdownTimeoutMs)])
    },
    async close () {
      guard.close()
      await adminPlane?.close()
    }
  }
}
