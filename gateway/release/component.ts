/**
 * The release plane of one gateway instance: checks the config's rollout plans,
 * picks the analysis source (local window or ClickHouse), the coordination
 * (memory, or Redis when the state is shared), runs the controller loop and
 * provides the admin routes. app.ts adds it like any other component.
 */
import type { GatewayConfig } from '../config/load.js'
import { ConfigError, OTHER_SEGMENT } from '../config/load.js'
import type { Logger } from '../observe/log.js'
import type { RequestObserver } from '../observe/outcome.js'
import type { StateStore } from '../control/store.js'
import type { Registry } from 'prom-client'
import { ControlLog } from '../control/control-log.js'
import { redisTarget } from '../control/create-store.js'
import type { AdminModule } from '../admin/listener.js'
import { DEFAULT_DATABASE } from '../sink/clickhouse.js'
import { configPlans } from './config-plans.js'
import { LocalWindow } from './local-source.js'
import { ClickHouseSource } from './clickhouse-source.js'
import type { AnalysisSource } from './source.js'
import { MemoryCoordination, RedisCoordination, type Coordination } from './coordination.js'
import { RolloutController } from './controller.js'
import { rolloutAdminModule } from './admin-routes.js'
import { templateAdminModule } from './template-routes.js'
import type { Router } from '../proxy/router.js'
import type { ShadowTally } from '../observe/shadow-tally.js'
import type { SuitesByModel } from '../verify/suites.js'
import type { RecordedSource } from '../verify/replay.js'
import { clickHouseEvidence, tallyEvidence, type ShadowEvidence } from './shadow-step.js'
import { suiteVerifier } from './verifier.js'
import { suiteWarmer } from './warmup.js'
import { NO_EVENTS, WebhookSender, type EventSink } from './events.js'
import { registerLifecycleMetrics } from './lifecycle-metrics.js'
import { DrillService } from './drill-service.js'
import { drillAdminModule } from './drill-routes.js'
import type { RolloutCheckView, RolloutRecord } from '../state/rollout-record.js'
import { checkViews, type Decision } from './steps.js'
import { ReleaseMetrics } from './metrics.js'
import { registerRolloutMetrics } from './controller-metrics.js'
import { ClickHouseSeries } from './series-clickhouse.js'
import type { SeriesReader } from '../admin/series-routes.js'

export interface ReleaseComponent {
  /** The local window's observer (null with the ClickHouse source). */
  observer: RequestObserver | null
  adminModules: AdminModule[]
  /** The fleet's per-version series for the console (ClickHouse source), or null to use this instance's. */
  series: SeriesReader | null
  close (): Promise<void>
}

export interface ReleaseOptions {
  /** The clock of plans, holdbacks and the queue (tests move it; default Date.now). */
  now?: () => number
  /** Verify steps run the model's suites against the replicas this instance routes to. */
  router: Router
  /** This instance's shadow pairs (shadow steps with the local source). */
  shadowTally: ShadowTally
  suites: SuitesByModel
  recorded: RecordedSource | null
  /** Where the rollout and drill metrics register. */
  registry: Registry
  /** The durable record the journal also goes to (and is read back from). */
  controlLog?: ControlLog
}

export function startRelease (config: GatewayConfig, store: StateStore, logger: Logger, opts: ReleaseOptions): ReleaseComponent {
  const now = opts.now ?? Date.now
  const ro = config.rollouts
  const plans = configPlans(config)
  let source: AnalysisSource
  let shadow: ShadowEvidence
  let observer: RequestObserver | null = null
  let series: ClickHouseSeries | null = null
  if (ro.source === 'clickhouse') {
    if (ro.clickhouseUrl === undefined) throw new ConfigError(config.file, 'rollouts.clickhouseUrl', 'is required with source "clickhouse" (or set CLICKHOUSE_URL)')
    const ch = { url: ro.clickhouseUrl, database: ro.clickhouseDatabase ?? DEFAULT_DATABASE, username: ro.clickhouse.username, password: ro.clickhouse.password, tls: ro.clickhouse.tls }
    source = new ClickHouseSource(ch)
    shadow = clickHouseEvidence(ch)
    series = new ClickHouseSeries(ch)
  } else {
    const local = new LocalWindow(now)
    source = local
    observer = local
    shadow = tallyEvidence(opts.shadowTally)
  }
  const verifier = suiteVerifier(opts.router, opts.suites, opts.recorded, now)
  const warmer = suiteWarmer(opts.router, opts.suites, opts.recorded, now)
  const log = opts.controlLog ?? ControlLog.none(logger)
  const coordination: Coordination = new ReleaseMetrics(opts.registry, store).watch(store.kind === 'redis'
    ? new RedisCoordination(redisTarget(config), config.state.keyPrefix, ro.leaseTtlMs, config.instanceId, logger, log)
    : new MemoryCoordination(config.instanceId, log))
  const webhooks = ro.webhooks.length === 0 ? null : new WebhookSender(ro.webhooks, { logger, registry: opts.registry })
  const events: EventSink = webhooks ?? NO_EVENTS
  // The verdicts of this instance's latest analysis of each rollout, for /metrics.
  const latest = new Map<string, { rolloutId: string, checks: RolloutCheckView[] }>()
  const onDecision = (model: string, r: RolloutRecord, d: Decision): void => { latest.set(model, { rolloutId: r.id, checks: checkViews(d.checks) }) }
  registerLifecycleMetrics(opts.registry, store, latest, now)
  const controller = ro.enabled
    ? new RolloutController({ store, source, coordination, instanceId: config.instanceId, logger, tickMs: ro.tickMs, staleAfterMs: ro.staleAfterMs, holdbackMs: ro.holdbackMs, maxInProgress: ro.maxInProgress, now, shadow, verifier, warmer, events, onDecision, segmentCount: (m) => config.models[m]?.segments == null ? 0 : config.models[m]!.segments!.values.length + 1 }).start()
    : null
  const drills = new DrillService({ config, store, coordination, events, logger, now })
  drills.start()
  registerRolloutMetrics(opts.registry, store, coordination, controller)
  logger.info({ source: source.name, controller: ro.enabled, coordination: store.kind }, 'release controller ready')
  return {
    observer,
    adminModules: [templateAdminModule(store, ro.templates, now), drillAdminModule(store, drills), rolloutAdminModule({ store, coordination, plans, instanceId: config.instanceId, holdbackMs: ro.holdbackMs, maxInProgress: ro.maxInProgress, now, suiteNames: verifier.suiteNames, templates: ro.templates, policies: ro.policies, labelsOf: (m) => config.models[m]?.labels ?? {}, segmentsOf: (m) => { const s = config.models[m]?.segments; return s == null ? null : [...s.values, OTHER_SEGMENT] }, events, controller, source: source.name })],
    series,
    async close () {
      await drills.close()
      await controller?.close()
      webhooks?.close()
      await coordination.close()
      await source.close()
      await shadow.close()
      await series?.close()
    }
  }
}
