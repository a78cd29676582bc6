/**
 * The release plane of one gateway instance: checks the config's rollout plans,
 * picks the analysis source (local window or ClickHouse), the coordination
 * (memory, or Redis when the state is shared), runs the controller loop and
 * provides the admin routes. app.ts adds it like any other component.
 */
import type { GatewayConfig } from '../config/load.js'
import { ConfigError } from '../config/load.js'
import type { Logger } from '../observe/log.js'
import type { RequestObserver } from '../observe/outcome.js'
import type { StateStore } from '../control/store.js'
import type { Registry } from 'prom-client'
import { ControlLog } from '../control/control-log.js'
import { redisTarget } from '../control/create-store.js'
import type { AdminModule } from '../admin/listener.js'
import { DEFAULT_DATABASE } from '../sink/clickhouse.js'
import { PlanError, validatePlan, type RolloutPlan } from './plan.js'
import { LocalWindow } from './local-source.js'
import { ClickHouseSource } from './clickhouse-source.js'
import type { AnalysisSource } from './source.js'
import { MemoryCoordination, RedisCoordination, type Coordination } from './coordination.js'
import { RolloutController } from './controller.js'
import { rolloutAdminModule } from './admin-routes.js'
import { outcomesSourceProblem } from './outcomes-check.js'
import { ReleaseMetrics } from './metrics.js'
import { registerRolloutMetrics } from './controller-metrics.js'
import { ClickHouseSeries } from './series-clickhouse.js'
import type { SeriesReader } from '../admin/series-routes.js'

export interface ReleaseComponent {
  /** The local window's observer (null with the ClickHouse source). */
  observer: RequestObserver | null
  adminModule: AdminModule
  /** The fleet's per-version series for the console (ClickHouse source), or null to use this instance's. */
  series: SeriesReader | null
  close (): Promise<void>
}

/** Validated `release.rollout` plans; a bad one is a config error naming the file and path. */
export function configPlans (config: GatewayConfig): Record<string, RolloutPlan> {
  const out: Record<string, RolloutPlan> = {}
  for (const [model, raw] of Object.entries(config.rollouts.plans)) {
    const base = `models.${model}.release.rollout`
    try {
      out[model] = validatePlan(raw, config.file)
    } catch (err) {
      if (err instanceof PlanError) throw new ConfigError(config.file, err.path === '' ? base : `${base}.${err.path}`, err.reason)
      throw err
    }
    const problem = outcomesSourceProblem(out[model].checks.outcomes, config.rollouts.source)
    if (problem !== null) throw new ConfigError(config.file, `${base}.checks.outcomes`, problem)
  }
  return out
}

export interface ReleaseExtras {
  /** The durable record the journal also goes to (and is read back from). */
  controlLog?: ControlLog
}

export function startRelease (config: GatewayConfig, store: StateStore, logger: Logger, registry: Registry, extras: ReleaseExtras = {}): ReleaseComponent {
  const ro = config.rollouts
  const plans = configPlans(config)
  let source: AnalysisSource
  let observer: RequestObserver | null = null
  let series: ClickHouseSeries | null = null
  if (ro.source === 'clickhouse') {
    if (ro.clickhouseUrl === undefined) throw new ConfigError(config.file, 'rollouts.clickhouseUrl', 'is required with source "clickhouse" (or set CLICKHOUSE_URL)')
    const ch = { url: ro.clickhouseUrl, database: ro.clickhouseDatabase ?? DEFAULT_DATABASE, username: ro.clickhouse.username, password: ro.clickhouse.password, tls: ro.clickhouse.tls }
    source = new ClickHouseSource(ch)
    series = new ClickHouseSeries(ch)
  } else {
    const local = new LocalWindow()
    source = local
    observer = local
  }
  const log = extras.controlLog ?? ControlLog.none(logger)
  const coordination: Coordination = new ReleaseMetrics(registry, store).watch(store.kind === 'redis'
    ? new RedisCoordination(redisTarget(config), config.state.keyPrefix, ro.leaseTtlMs, config.instanceId, logger, log)
    : new MemoryCoordination(config.instanceId, log))
  const controller = ro.enabled
    ? new RolloutController({ store, source, coordination, instanceId: config.instanceId, logger, tickMs: ro.tickMs, staleAfterMs: ro.staleAfterMs }).start()
    : null
  registerRolloutMetrics(registry, store, coordination, controller)
  logger.info({ source: source.name, controller: ro.enabled, coordination: store.kind }, 'release controller ready')
  return {
    observer,
    adminModule: rolloutAdminModule({ store, coordination, plans, instanceId: config.instanceId, controller, source: source.name }),
    series,
    async close () {
      await controller?.close()
      await coordination.close()
      await source.close()
      await series?.close()
    }
  }
}
