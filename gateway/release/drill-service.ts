/**
 * Runs rollback drills (drill.ts) on request and on a schedule, and records
 * each result: with the model in the routing state (an audited write, read by
 * every instance's "time since the last successful drill" metric), as a row of
 * ClickHouse's drills table (with rollouts.clickhouseUrl), and as a webhook
 * event. On a schedule, one instance drills a model at a time (a lease), and
 * only when the model's last drill is older than rollouts.drills.everyMs.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { GatewayConfig } from '../config/load.js'
import type { StateStore } from '../control/store.js'
import type { Logger } from '../observe/log.js'
import { ClickHouse, DEFAULT_DATABASE } from '../sink/clickhouse.js'
import { isActive } from '../state/rollout-record.js'
import type { DrillRecord } from '../state/routing-state.js'
import type { Coordination } from './coordination.js'
import { recordDrill, runDrill, type DrillSettings } from './drill.js'
import type { EventSink } from './events.js'

/** How often the schedule looks for models due a drill, at most. */
export const DRILL_SCHEDULE_TICK_MS = 60_000

export interface DrillServiceOptions {
  config: GatewayConfig
  store: StateStore
  coordination: Coordination
  events: EventSink
  logger: Logger
  now: () => number
}

export class DrillService {
  readonly #o: DrillServiceOptions
  readonly #ch: ClickHouse | null
  readonly #running = new Set<string>()
  #timer: NodeJS.Timeout | null = null

  constructor (o: DrillServiceOptions) {
    this.#o = o
    const ro = o.config.rollouts
    this.#ch = ro.clickhouseUrl === undefined ? null : new ClickHouse({ url: ro.clickhouseUrl, database: ro.clickhouseDatabase ?? DEFAULT_DATABASE, requestTimeoutMs: 5_000 })
  }

  get defaults (): DrillSettings {
    return { boundMs: this.#o.config.rollouts.drills.boundMs, weight: this.#o.config.rollouts.drills.weight }
  }

  /** Runs one drill and records it; throws (409) when the model is not quiet enough for one. */
  async run (model: string, settings: DrillSettings, actor: string): Promise<DrillRecord> {
    if (this.#running.has(model)) throw new Error(`a drill of "${model}" is already running here`)
    this.#running.add(model)
    try {
      const { config, store, logger, now } = this.#o
      const r = await runDrill(model, { store, now, holdbackMs: config.rollouts.holdbackMs, sleep: (ms) => sleep(ms) }, settings, actor)
      await store.update(undefined, recordDrill(model, r), { actor, action: 'drill', model, detail: { ...r } })
      logger[r.passed ? 'info' : 'warn']({ model, ...r }, r.passed ? 'rollback drill passed' : 'rollback drill failed')
      this.#o.events.emit({ event: 'drill', type: r.passed ? 'drill.passed' : 'drill.failed', model, instanceId: config.instanceId, ...r, at: new Date(r.at).toISOString() })
      await this.#insert(model, r)
      return r
    } finally {
      this.#running.delete(model)
    }
  }

  start (): void {
    const every = this.#o.config.rollouts.drills.everyMs
    if (every === null) return
    this.#timer = setInterval(() => { void this.#due(every) }, Math.min(DRILL_SCHEDULE_TICK_MS, Math.max(1_000, every / 10)))
    this.#timer.unref()
  }

  async close (): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer)
    await this.#ch?.close()
  }

  async #due (every: number): Promise<void> {
    const { config, store, coordination, logger, now } = this.#o
    const models = config.rollouts.drills.models ?? Object.keys(config.models)
    for (const model of models) {
      const ms = store.get().models[model]
      if (ms === undefined || isActive(ms.rollout) || ms.candidate !== null || (ms.lastDrill?.at ?? 0) + every > now()) continue
      const lease = `${model}#drill`
      if (!(await coordination.lease(lease))) continue
      try {
        // Re-read under the lease: another instance may have drilled it meanwhile.
        if ((store.get().models[model]?.lastDrill?.at ?? 0) + every > now()) continue
        await this.run(model, this.defaults, `drill-schedule@${config.instanceId}`)
      } catch (err) {
        logger.warn({ err: (err as Error).message, model }, 'scheduled rollback drill did not run')
      } finally {
        await coordination.release(lease)
      }
    }
  }

  async #insert (model: string, r: DrillRecord): Promise<void> {
    if (this.#ch === null) return
    try {
      await this.#ch.insert('drills', [{
        time: Math.floor(r.at / 1000), model, instance_id: this.#o.config.instanceId, actor: r.by, passed: r.passed ? 1 : 0,
        rollback_ms: r.rollbackMs ?? 0, converged_ms: r.convergedMs ?? 0, bound_ms: r.boundMs, instances: r.instances, reason: r.reason
      }])
    } catch (err) {
      // The result is in the audit log and the state already; ClickHouse is the analysts' copy.
      this.#o.logger.warn({ err: (err as Error).message, model }, 'drill result not written to ClickHouse')
    }
  }
}
