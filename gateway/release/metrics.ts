/**
 * Release figures on /metrics, for dashboards and alerts: every model's split
 * and, for its current or last rollout, the phase, step, canary weight and the
 * verdict of each check; plus a counter of rollouts that ended, by outcome.
 *
 * Gauges are read from the routing state at scrape time (every instance shows
 * the same phase and weight; a fleet's dashboards take max by model). Check
 * verdicts come from the newest analysis this instance journaled (the lease
 * holder's, the one that judges) and otherwise from the checks stored with the
 * rollout's last change, so every instance has a value.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import { METRICS_PREFIX } from '../observe/metrics.js'
import type { StateStore } from '../control/store.js'
import type { RoutingState } from '../state/routing-state.js'
import type { RolloutRecord, RolloutStatus } from '../state/rollout-record.js'
import { rolloutView, type RolloutView } from './status.js'
import type { Coordination, JournalEntry } from './coordination.js'

export const ROLLOUT_PHASES: readonly RolloutStatus[] = ['queued', 'running', 'paused', 'held', 'watching', 'promoted', 'rolled-back', 'aborted', 'superseded']
const ENDED: ReadonlySet<RolloutStatus> = new Set(['promoted', 'rolled-back', 'aborted', 'superseded'])
/** A verdict as a number a PromQL comparison can use: fail < inconclusive < pass. */
export const VERDICT_VALUE: Readonly<Record<string, number>> = { fail: -1, inconclusive: 0, pass: 1 }

type Checks = JournalEntry['checks']

export class ReleaseMetrics {
  /** model -> the newest journaled checks of its rollout (this instance's analyses). */
  readonly #journaled = new Map<string, { rolloutId: string, checks: Checks }>()
  /** Rollout ids already counted as ended, so a state replayed on subscribe is not counted twice. */
  readonly #counted = new Set<string>()

  constructor (registry: Registry, store: StateStore) {
    const registers = [registry]
    const state = (): RoutingState => store.get()
    const journaled = this.#journaled
    const ended = new Counter({ name: `${METRICS_PREFIX}rollouts_ended_total`, help: 'Rollouts that ended, by model and outcome (promoted, rolled-back, aborted, superseded), seen by this instance', labelNames: ['model', 'outcome'], registers })
    // Every (model, outcome) starts at 0, so the first rollback is an increase Prometheus can see (a series born at 1 is not).
    const zero = (s: RoutingState): void => { for (const model of Object.keys(s.models)) for (const o of ENDED) ended.labels(model, o).inc(0) }
    zero(state())
    // Rollouts that ended before this process started are not counted: the counter starts at this process.
    for (const [, ms] of Object.entries(state().models)) if (ms.rollout != null && ENDED.has(ms.rollout.status)) this.#counted.add(ms.rollout.id)
    store.subscribe((s) => {
      zero(s)
      for (const [model, ms] of Object.entries(s.models)) {
        const r = ms.rollout
        if (r == null || !ENDED.has(r.status) || this.#counted.has(r.id)) continue
        this.#counted.add(r.id)
        ended.labels(model, r.status).inc()
      }
    })
    new Gauge({
      name: `${METRICS_PREFIX}split_weight_bp`,
      help: 'Share of traffic of each version in the routing state, in basis points (10000 = 100%)',
      labelNames: ['model', 'version'],
      registers,
      collect () {
        this.reset()
        for (const [model, ms] of Object.entries(state().models)) for (const e of ms.split) this.labels(model, e.version).set(e.weight)
      }
    })
    new Gauge({
      name: `${METRICS_PREFIX}rollout_phase`,
      help: '1 for the phase the model\'s current or last rollout is in (queued, running, paused, held, watching, promoted, rolled-back, aborted, superseded), 0 for the others',
      labelNames: ['model', 'version', 'phase'],
      registers,
      collect () {
        this.reset()
        for (const [model, r] of rollouts(state())) for (const p of ROLLOUT_PHASES) this.labels(model, r.version, p).set(r.status === p ? 1 : 0)
      }
    })
    // Step and weight as the rollout status shows them (release/status.ts).
    const viewGauge = (name: string, help: string, pick: (v: RolloutView) => number): void => {
      new Gauge({
        name: `${METRICS_PREFIX}${name}`,
        help,
        labelNames: ['model', 'version'],
        registers,
        collect () {
          this.reset()
          for (const [model, r] of rollouts(state())) this.labels(model, r.version).set(pick(rolloutView(model, r, null, Date.now())))
        }
      })
    }
    viewGauge('rollout_step', 'The rollout\'s step, 1-based', v => v.step)
    viewGauge('rollout_weight_bp', 'The canary weight the rollout gives its version now, in basis points', v => v.weight)
    new Gauge({
      name: `${METRICS_PREFIX}rollout_check_verdict`,
      help: 'Verdict of each check of the rollout\'s newest analysis: 1 pass, 0 inconclusive, -1 fail',
      labelNames: ['model', 'version', 'check'],
      registers,
      collect () {
        this.reset()
        for (const [model, r] of rollouts(state())) {
          const j = journaled.get(model)
          const checks = j !== undefined && j.rolloutId === r.id ? j.checks : r.checks
          // Checks over all traffic; the per-segment ones are model_gateway_rollout_segment_check_verdict (lifecycle-metrics.ts).
          for (const c of checks) if (c.segment === undefined) this.labels(model, r.version, c.check).set(VERDICT_VALUE[c.verdict] ?? 0)
        }
      }
    })
  }

  /** The coordination, with every journaled analysis also kept here for the verdict gauge. */
  watch (coordination: Coordination): Coordination {
    const journaled = this.#journaled
    return {
      lease: (model) => coordination.lease(model),
      release: (model) => coordination.release(model),
      holder: (model) => coordination.holder(model),
      held: () => coordination.held(),
      journal: (model, limit, opts) => coordination.journal(model, limit, opts),
      close: () => coordination.close(),
      append: async (model, e) => {
        if (e.checks.length > 0) journaled.set(model, { rolloutId: e.rolloutId, checks: e.checks })
        await coordination.append(model, e)
      }
    }
  }
}

function * rollouts (s: RoutingState): Generator<[string, RolloutRecord]> {
  for (const [model, ms] of Object.entries(s.models)) if (ms.rollout != null) yield [model, ms.rollout]
}
