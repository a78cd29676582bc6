/**
 * Rollout state on /metrics, read from the routing state at each scrape (so
 * every instance reports the fleet's rollouts alike), with the check verdicts
 * of this instance's latest analysis where it ran one:
 *   model_gateway_rollout_phase{model,phase}                1 for the rollout's status
 *   model_gateway_rollout_step{model}                       1-based step
 *   model_gateway_rollout_weight_ratio{model}               the candidate's share of traffic (0..1)
 *   model_gateway_rollout_check_verdict{model,check,segment} 1 pass, 0 inconclusive, -1 fail
 *   model_gateway_rollouts_in_progress, model_gateway_rollouts_queued
 *   model_gateway_holdback_remaining_seconds{model,version}
 *   model_gateway_drill_last_success_timestamp_seconds{model}, model_gateway_drill_seconds_since_last_success{model}
 *   model_gateway_drill_last_passed{model}                  1 when the model's last drill passed
 */
import { Gauge, type Registry } from 'prom-client'
import type { StateStore } from '../control/store.js'
import { METRICS_PREFIX } from '../observe/metrics.js'
import type { RolloutCheckView } from '../state/rollout-record.js'
import { rolloutView } from './status.js'
import { inProgress, queued } from './queue.js'

const VERDICT = { pass: 1, inconclusive: 0, fail: -1 } as const

export function registerReleaseMetrics (registry: Registry, store: StateStore, latest: ReadonlyMap<string, { rolloutId: string, checks: readonly RolloutCheckView[] }>, now: () => number): void {
  const registers = [registry]
  const each = (fn: (model: string, ms: ReturnType<StateStore['get']>['models'][string]) => void): void => {
    for (const [model, ms] of Object.entries(store.get().models)) fn(model, ms)
  }
  new Gauge({
    name: `${METRICS_PREFIX}rollout_phase`, help: 'The status of each model\'s current or last rollout (1 for the one it is in)', labelNames: ['model', 'phase'], registers,
    collect () { this.reset(); each((m, ms) => { if (ms.rollout != null) this.set({ model: m, phase: ms.rollout.status }, 1) }) }
  })
  new Gauge({
    name: `${METRICS_PREFIX}rollout_step`, help: 'The 1-based step of each model\'s rollout', labelNames: ['model'], registers,
    collect () { this.reset(); each((m, ms) => { if (ms.rollout != null) this.set({ model: m }, rolloutView(m, ms.rollout, null, now()).step) }) }
  })
  new Gauge({
    name: `${METRICS_PREFIX}rollout_weight_ratio`, help: 'The rollout candidate\'s share of traffic (0..1)', labelNames: ['model'], registers,
    collect () { this.reset(); each((m, ms) => { if (ms.rollout != null) this.set({ model: m }, rolloutView(m, ms.rollout, null, now()).weight / 10_000) }) }
  })
  new Gauge({
    name: `${METRICS_PREFIX}rollout_check_verdict`, help: 'Each check of the latest analysis of a rollout: 1 pass, 0 inconclusive, -1 fail', labelNames: ['model', 'check', 'segment'], registers,
    collect () {
      this.reset()
      each((m, ms) => {
        const r = ms.rollout
        if (r == null) return
        const own = latest.get(m)
        for (const c of own?.rolloutId === r.id && own.checks.length > 0 ? own.checks : r.checks) this.set({ model: m, check: c.check, segment: c.segment ?? 'all' }, VERDICT[c.verdict])
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
