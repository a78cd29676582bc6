/**
 * The release lifecycle on /metrics, beside the rollout gauges of metrics.ts:
 * the release queue, holdbacks, rollback drills and per-segment check
 * verdicts. Read from the routing state at each scrape (every instance reports
 * the fleet alike), segment verdicts from this instance's latest analysis.
 *   model_gateway_rollout_segment_check_verdict{model,check,segment}  1 pass, 0 inconclusive, -1 fail
 *   model_gateway_rollouts_in_progress, model_gateway_rollouts_queued
 *   model_gateway_holdback_remaining_seconds{model,version}
 *   model_gateway_drill_last_success_timestamp_seconds{model}, model_gateway_drill_seconds_since_last_success{model}
 *   model_gateway_drill_last_passed{model}                            1 when the model's last drill passed
 */
import { Gauge, type Registry } from 'prom-client'
import type { StateStore } from '../control/store.js'
import { METRICS_PREFIX } from '../observe/metrics.js'
import type { RolloutCheckView } from '../state/rollout-record.js'
import type { ModelState } from '../state/routing-state.js'
import { VERDICT_VALUE } from './metrics.js'
import { inProgress, queued } from './queue.js'

export function registerLifecycleMetrics (registry: Registry, store: StateStore, latest: ReadonlyMap<string, { rolloutId: string, checks: readonly RolloutCheckView[] }>, now: () => number): void {
  const registers = [registry]
  const each = (fn: (model: string, ms: ModelState) => void): void => {
    for (const [model, ms] of Object.entries(store.get().models)) fn(model, ms)
  }
  new Gauge({
    name: `${METRICS_PREFIX}rollout_segment_check_verdict`, help: 'Each check of the latest analysis of a rollout, per segment of users: 1 pass, 0 inconclusive, -1 fail', labelNames: ['model', 'check', 'segment'], registers,
    collect () {
      this.reset()
      each((m, ms) => {
        const r = ms.rollout
        if (r == null) return
        const own = latest.get(m)
        for (const c of own?.rolloutId === r.id && own.checks.length > 0 ? own.checks : r.checks) if (c.segment !== undefined) this.set({ model: m, check: c.check, segment: c.segment }, VERDICT_VALUE[c.verdict] ?? 0)
      })
    }
  })
  new Gauge({ name: `${METRICS_PREFIX}rollouts_in_progress`, help: 'Rollouts holding a slot of the release queue', registers, collect () { this.set(inProgress(store.get())) } })
  new Gauge({ name: `${METRICS_PREFIX}rollouts_queued`, help: 'Rollouts waiting in the release queue', registers, collect () { this.set(queued(store.get()).length) } })
  new Gauge({
    name: `${METRICS_PREFIX}holdback_remaining_seconds`, help: 'How long the previous version stays held back after a promotion (rollback returns to it)', labelNames: ['model', 'version'], registers,
    collect () { this.reset(); each((m, ms) => { if (ms.holdback != null && ms.holdback.until > now()) this.set({ model: m, version: ms.holdback.version }, (ms.holdback.until - now()) / 1000) }) }
  })
  new Gauge({
    name: `${METRICS_PREFIX}drill_last_success_timestamp_seconds`, help: 'When the model\'s last successful rollback drill began (epoch seconds)', labelNames: ['model'], registers,
    collect () { this.reset(); each((m, ms) => { if (ms.lastSuccessfulDrill != null) this.set({ model: m }, ms.lastSuccessfulDrill / 1000) }) }
  })
  new Gauge({
    name: `${METRICS_PREFIX}drill_seconds_since_last_success`, help: 'Time since the model\'s last successful rollback drill began', labelNames: ['model'], registers,
    collect () { this.reset(); each((m, ms) => { if (ms.lastSuccessfulDrill != null) this.set({ model: m }, (now() - ms.lastSuccessfulDrill) / 1000) }) }
  })
  new Gauge({
    name: `${METRICS_PREFIX}drill_last_passed`, help: '1 when the model\'s last rollback drill passed, 0 when it failed', labelNames: ['model'], registers,
    collect () { this.reset(); each((m, ms) => { if (ms.lastDrill != null) this.set({ model: m }, ms.lastDrill.passed ? 1 : 0) }) }
  })
}
