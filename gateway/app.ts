/**
 * Wires a gateway instance together from a loaded config: routing state, data
 * plane, admin plane and the components around them. `main.ts` calls this; so
 * can tests.
 */
import type { FastifyInstance } from 'fastify'
import type { GatewayConfig } from './config/load.js'
import type { Logger } from './observe/log.js'
import { Router } from './proxy/router.js'
import { ObserverChain } from './observe/outcome.js'
import { buildDataPlane, type Lifecycle } from './server/data-plane.js'
import { buildAdminPlane, type AdminModule } from './admin/listener.js'
import { createStateStore } from './control/create-store.js'
import { controlAdminModule } from './admin/control-routes.js'
import { Registry } from 'prom-client'
import { HealthSinkChain } from './health/result.js'
import { logHealthSink } from './health/log-sink.js'
import { OutlierDetector } from './health/outlier.js'
import { HealthChecker } from './health/checker.js'
import { healthAdminModule } from './admin/health-routes.js'
import { GatewayMetrics } from './observe/metrics.js'
import { metricsAdminModule } from './admin/metrics-routes.js'
import { closeListener, sleep } from './server/drain.js'
import { buildPipeline } from './observe/pipeline.js'
import { releaseAdminModule } from './admin/release-routes.js'
import { ShadowMirror } from './proxy/shadow.js'
import { registerShadowMetrics } from './observe/shadow-metrics.js'
import { ShadowTally } from './observe/shadow-tally.js'
import { requireVerificationDrift, syncRequireVerification } from './control/release-gate.js'
import { ReplicaDiscovery } from './discovery/discovery.js'
import { discoveryAdminModule } from './admin/discovery-routes.js'
import { createReloader, type ReloadResult } from './reload.js'
import { reloadAdminModule } from './admin/reload-routes.js'
import { readEnv, type GatewayEnv } from './config/env.js'
import { startRelease } from './release/component.js'
import { loadSuites } from './verify/suites.js'
import { recordedFromConfig } from './sink/recorded.js'

export interface StartOptions {
  /** Overrides the config's data-plane port (0 = any free port). */
  port?: number
  /** Overrides the config's admin port. */
  adminPort?: number
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
  /** This instance's shadow results (issue 11): pre-traffic evidence without a pipeline. */
  readonly shadowTally: ShadowTally
  /** Re-reads the config file (SIGHUP, POST /admin/reload); rejects with GW_CONFIG_INVALID and keeps the running config when the file is bad. */
  reload (): Promise<ReloadResult>
  /** Graceful stop: readiness off, stop accepting, finish in-flight requests, flush, close pools. */
  close (): Promise<void>
}

export async function startGateway (config: GatewayConfig, logger: Logger, opts: StartOptions = {}): Promise<Gateway> {
  // The stored state (state file or Redis) wins over the config's: it is what operators set last.
  const store = await createStateStore(config, logger)
  const initialState = await store.init(config.initialState)
  const router = new Router(config.models, initialState)
  const observer = new ObserverChain()
  observer.onError = (err) => { logger.error({ err }, 'request observer failed') }
  const lifecycle: Lifecycle = { draining: false, closing: false }
  const adminModules: AdminModule[] = []
  /** Run in order on shutdown, after the data plane has drained. */
  const closers: Array<() => Promise<void>> = []
  /** Where active health-check results go; components add theirs (the local log sink is always there). */
  const healthSinks = new HealthSinkChain()
  healthSinks.onError = (err) => { logger.error({ err }, 'health result sink failed') }
  healthSinks.add(logHealthSink(logger))

  // --- components (each adds its observers, admin routes and closers here) ---

  // Control plane: every newer state (from this instance or another) swaps the routing snapshot.
  store.subscribe((state) => { router.apply(state) })
  adminModules.push(controlAdminModule({ store, router, instanceId: config.instanceId, holdbackMs: config.rollouts.holdbackMs, now: opts.now }))
  closers.push(() => store.close())
  // Verification gate and shadow traffic (issue 11); release.requireVerification comes from the config.
  const shadowTally = new ShadowTally()
  // Named verification suites (golden files read now; a bad one stops the start) and recorded traffic for replay suites.
  const suites = loadSuites(config)
  const recorded = recordedFromConfig(config.rollouts)
  if (recorded !== null) closers.push(recorded.close)
  adminModules.push(releaseAdminModule({ store, router, shadowTally, suites, recorded: recorded?.source ?? null }))
  const drift = requireVerificationDrift(store.get(), config.initialState)
  if (drift.length > 0) await store.update(undefined, syncRequireVerification(config.initialState), { actor: 'config', action: 'sync-require-verification', detail: { models: drift } })

  // Metrics, health checks and outlier ejection.
  const registry = new Registry()
  const metrics = new GatewayMetrics(registry, router)
  observer.add(metrics)
  healthSinks.add(metrics)
  adminModules.push(metricsAdminModule(registry, config.admin.metricsPublic))
  const outlier = new OutlierDetector((model) => router.configs[model]?.outlierDetection, logger)
  outlier.onEjection((e) => { metrics.ejected(e) })
  const feedback = outlier
  const checker = new HealthChecker({
    router,
    instanceId: config.instanceId,
    sink: healthSinks,
    logger,
    onCheckSuccess: (r) => { outlier.checkSucceeded(r) },
    ejectedUntil: (r) => outlier.ejectedUntil(r)
  })
  adminModules.push(healthAdminModule(checker))
  checker.start()
  closers.push(async () => {
    outlier.close()
    await checker.close()
  })

  // Replica discovery: versions that follow a DNS name get what this instance resolves, as an overlay.
  const discovery = new ReplicaDiscovery({ router, settings: config.discovery, logger, registry })
  discovery.sync(config.models)
  adminModules.push(discoveryAdminModule(discovery))
  closers.push(async () => { discovery.close() })

  // Config reload: new models and versions from the file; stored release state wins for what it has.
  const reload = createReloader({
    file: config.file,
    env: opts.env ?? readEnv(),
    running: config,
    store,
    logger,
    apply: (models) => {
      router.setConfigs(models)
      discovery.sync(models)
    }
  })
  adminModules.push(reloadAdminModule(reload))

  // Scoring logs: exact per-minute rollups and sampled records to Kafka or a file (logging.sink).
  const pipeline = buildPipeline({ config, logger, registry })
  if (pipeline !== null) {
    observer.add(pipeline)
    healthSinks.add(pipeline)
    // Per-version sampling rates set at runtime live in the routing state.
    pipeline.applyState(initialState)
    store.subscribe((state) => { pipeline.applyState(state) })
    closers.push(() => pipeline.close())
  }

  // Shadow traffic: mirrored requests, pairs into the pipeline (issue 11).
  // Pairs go to the pipeline (ClickHouse, fleet-wide) and to this instance's tally (no pipeline needed).
  const shadow = new ShadowMirror({
    maxInFlight: config.shadow.maxInFlight,
    timeoutMs: config.shadow.timeoutMs,
    sink: { pair: (p) => { shadowTally.pair(p); pipeline?.pair(p) } },
    logger
  })
  shadow.apply(store.get())
  store.subscribe((state) => { shadow.apply(state) })
  registerShadowMetrics(registry, shadow)
  // First on shutdown, so the pairs of cut-off shadow calls still reach the pipeline before it flushes.
  closers.unshift(async () => { shadow.close() })
  // Release controller: canary analysis, automatic promote and rollback (one lease holder per model across a fleet).
  const release = startRelease(config, store, logger, { now: opts.now, router, shadowTally, suites, recorded: recorded?.source ?? null })
  if (release.observer !== null) observer.add(release.observer)
  adminModules.push(release.adminModule)
  closers.unshift(() => release.close())

  // -----------------------------------------------------------------------------

  const dataPlane = await buildDataPlane({ config, router, observer, feedback, logger, lifecycle, shadow })
  await dataPlane.listen({ host: config.host, port: opts.port ?? config.port })
  const port = (dataPlane.server.address() as { port: number }).port
  logger.info({ host: config.host, port, instanceId: config.instanceId, models: Object.keys(config.models) }, 'data plane listening')

  let adminPlane: FastifyInstance | null = null
  let adminPort: number | null = null
  if (config.admin.enabled) {
    adminPlane = await buildAdminPlane(config.admin.tokens, logger, adminModules)
    await adminPlane.listen({ host: config.admin.host, port: opts.adminPort ?? config.admin.port })
    adminPort = (adminPlane.server.address() as { port: number }).port
    logger.info({ host: config.admin.host, port: adminPort, tokens: config.admin.tokens.length }, 'admin plane listening')
  }

  let closing: Promise<void> | undefined
  return {
    config,
    router,
    dataPlane,
    adminPlane,
    port,
    adminPort,
    shadowTally,
    reload,
    close () {
      closing ??= (async () => {
        // Readiness fails first; a load balancer stops sending during drainDelayMs while requests are still served.
        lifecycle.draining = true
        if (config.drainDelayMs > 0) {
          logger.info({ drainDelayMs: config.drainDelayMs }, 'readiness off; still serving while load balancers deregister')
          await sleep(config.drainDelayMs)
        }
        await closeListener(dataPlane, lifecycle, config.shutdownTimeoutMs, logger)
        for (const c of closers) {
          try {
            await c()
          } catch (err) {
            logger.error({ err }, 'error while shutting down a component')
          }
        }
        await adminPlane?.close()
        await router.close()
      })()
      return closing
    }
  }
}
