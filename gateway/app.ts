/**
 * Wires a gateway instance together from a loaded config: the core (state
 * store, router, metrics registry), the components in start order, then the
 * listeners. Shutdown is the same list backwards. `main.ts` calls this; so can
 * tests.
 */
import type { FastifyInstance } from 'fastify'
import type { GatewayConfig } from './config/load.js'
import { readEnv, type GatewayEnv } from './config/env.js'
import type { Logger } from './observe/log.js'
import type { ShadowTally } from './observe/shadow-tally.js'
import type { Router } from './proxy/router.js'
import type { ReloadResult } from './reload.js'
import { stopAll, type Component } from './components/component.js'
import { startCore } from './components/core.js'
import { controlComponent } from './components/control.js'
import { metricsComponent } from './components/metrics.js'
import { healthComponent } from './components/health.js'
import { discoveryComponent } from './components/discovery.js'
import { reloadComponent } from './components/reload.js'
import { pipelineComponent } from './components/pipeline.js'
import { shadowComponent } from './components/shadow.js'
import { releaseComponent } from './components/release.js'
import { consoleComponent } from './components/console.js'
import { tlsComponent } from './components/tls.js'
import { accessComponent } from './components/access.js'
import { outcomesComponent } from './components/outcomes.js'
import type { AccessComponent } from './access/component.js'
import { startListeners, type ListenerOptions } from './components/listeners.js'

export interface StartOptions extends ListenerOptions {
  /** Environment for config reloads (default: the process's). */
  env?: Readonly<GatewayEnv>
  /** The control and release plane's clock: holdbacks, rollout steps, the queue (default Date.now; tests move it). */
  now?: () => number
}

export interface Gateway {
  readonly config: GatewayConfig
  readonly router: Router
  readonly dataPlane: FastifyInstance
  readonly adminPlane: FastifyInstance | null
  readonly port: number
  readonly adminPort: number | null
  /** The gRPC listener's port; null when grpc is not enabled. */
  readonly grpcPort: number | null
  /** This instance's shadow results: pre-traffic evidence without a pipeline. */
  readonly shadowTally: ShadowTally
  /** Data-plane access control; null when access.enabled is off. */
  readonly access: AccessComponent | null
  /** Re-reads the config file (SIGHUP, POST /admin/reload); rejects with GW_CONFIG_INVALID and keeps the running config when the file is bad. */
  reload (): Promise<ReloadResult>
  /** Graceful stop: readiness off, stop accepting, finish in-flight requests, stop the components, close pools. */
  close (): Promise<void>
}

export async function startGateway (config: GatewayConfig, logger: Logger, opts: StartOptions = {}): Promise<Gateway> {
  // Certificate files first: one that does not load is a config error before anything starts.
  const tls = await tlsComponent(config, logger)
  const core = await startCore(config, logger)
  const access = await accessComponent(core)
  const metrics = metricsComponent(core)
  const health = healthComponent(core, metrics.metrics)
  const discovery = discoveryComponent(core)
  const reload = reloadComponent(core, discovery.discovery, opts.env ?? readEnv(), tls, access.access)
  const pipeline = pipelineComponent(core)
  const shadow = shadowComponent(core, pipeline.pipeline)
  const now = opts.now ?? Date.now
  const release = releaseComponent(core, shadow, now)
  const outcomes = outcomesComponent(core)
  const components: Component[] = [tls, controlComponent(core, now), access, metrics, health, discovery, reload, pipeline, shadow, release, outcomes, consoleComponent(core, metrics, release.series)]
  for (const c of components) {
    if (c.observer) core.observer.add(c.observer)
    if (c.healthSink) core.healthSinks.add(c.healthSink)
  }
  core.store.subscribe((state) => { for (const c of components) c.applyState?.(state) })
  for (const c of components) await c.start?.()
  const listeners = await startListeners(core, components, health.feedback, shadow.mirror, opts, { access: access.access?.gate, tls }, outcomes.intake)

  let closing: Promise<void> | undefined
  return {
    config,
    router: core.router,
    dataPlane: listeners.dataPlane,
    adminPlane: listeners.adminPlane,
    port: listeners.port,
    adminPort: listeners.adminPort,
    grpcPort: listeners.grpcPort,
    shadowTally: shadow.tally,
    access: access.access,
    reload: reload.reload,
    close () {
      closing ??= (async () => {
        await listeners.drain()
        await stopAll(components, logger)
        await listeners.close()
        await core.router.close()
      })()
      return closing
    }
  }
}
