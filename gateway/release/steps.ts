/**
 * What the controller does after one analysis: a pure function from the stored
 * rollout, its plan and the evaluation to a decision (wait, extend, advance,
 * gate, promote, roll back, hold, no data) and, when the rollout changes, the
 * record to store. Missing or stale data never advances a step.
 */
import type { RolloutRecord } from '../state/rollout-record.js'
import type { CheckResult } from './analysis.js'
import type { RolloutPlan } from './plan.js'
import { formatBp } from './plan.js'

export interface Evaluation {
  at: number
  /** 'down': the source failed or is stale (error says why); checks are then empty. */
  source: 'ok' | 'down'
  error?: string
  checks: CheckResult[]
}

export type ActionKind = 'wait' | 'extend' | 'advance' | 'gate' | 'promote' | 'rollback' | 'hold' | 'no-data'

export interface Decision {
  at: number
  action: ActionKind
  /** Step index and canary weight (bp) the decision leaves the rollout at. */
  step: number
  weight: number
  reason: string
  checks: CheckResult[]
  /** The record to store, or null when the stored one stays as it is. */
  next: RolloutRecord | null
}

/** Canary weight in force at step `i`: the weight of the last weight step at or before it (0 before any). */
export function weightAt (plan: RolloutPlan, i: number): number {
  for (let k = Math.min(i, plan.steps.length - 1); k >= 0; k--) {
    const s = plan.steps[k]!
    if (s.kind === 'weight') return s.weight
  }
  return 0
}

export function decide (r: RolloutRecord, plan: RolloutPlan, ev: Evaluation): Decision {
  const at = ev.at
  const step = plan.steps[r.step]
  const weight = weightAt(plan, r.step)
  const out = (action: ActionKind, reason: string, next: RolloutRecord | null, s = r.step, w = weight): Decision =>
    ({ at, action, step: s, weight: w, reason, checks: ev.checks, next })
  const views = ev.checks.map(c => ({ check: c.check, verdict: c.verdict, summary: c.summary, figures: c.figures }))

  if (step === undefined || step.kind !== 'weight' || (r.status !== 'running' && r.status !== 'held')) {
    return out('wait', `rollout is ${r.status}`, null)
  }

  const rollback = (reason: string): Decision =>
    out('rollback', reason, { ...r, status: 'rolled-back', reason, endedAt: at, checks: views }, r.step, 0)

  if (ev.source === 'down') {
    const since = r.noDataSince ?? at
    if (at - since >= plan.noDataRollbackAfterMs) return rollback(`no usable data for ${seconds(at - since)} (${ev.error ?? 'source down'}); noDataRollbackAfter is ${seconds(plan.noDataRollbackAfterMs)}`)
    return out('no-data', `source unavailable (${ev.error ?? 'down'}): holding at ${formatBp(weight)}, never promoting; rolls back after ${seconds(plan.noDataRollbackAfterMs - (at - since))} more`,
      r.noDataSince === null ? { ...r, noDataSince: since } : null)
  }

  const failed = ev.checks.filter(c => c.verdict === 'fail')
  if (failed.length > 0) return rollback(`${failed.map(c => `${c.check} failed: ${c.summary}`).join('; ')}`)

  const elapsed = at - r.stepStartedAt
  const cleared: RolloutRecord | null = r.noDataSince !== null && r.status === 'running' ? { ...r, noDataSince: null } : null
  if (elapsed < step.bakeMs) return out('wait', `baking at ${formatBp(weight)}: ${seconds(step.bakeMs - elapsed)} left`, cleared)

  const inconclusive = ev.checks.filter(c => c.verdict === 'inconclusive')
  if (inconclusive.length === 0) return advance(r, plan, at, views, out)

  const names = inconclusive.map(c => c.check).join(', ')
  if (elapsed < step.bakeMs + plan.maxExtensionMs) {
    return out('extend', `${names} inconclusive: step extended (up to ${seconds(step.bakeMs + plan.maxExtensionMs - elapsed)} more)`, cleared)
  }
  if (plan.onNoData === 'fail') return rollback(`${names} still inconclusive after the longest extension (${seconds(plan.maxExtensionMs)}); onNoData is fail`)
  const since = r.noDataSince ?? at
  if (at - since >= plan.noDataRollbackAfterMs) return rollback(`${names} inconclusive for ${seconds(at - since)} past the longest extension; noDataRollbackAfter is ${seconds(plan.noDataRollbackAfterMs)}`)
  const reason = `${names} inconclusive after the longest extension: holding at ${formatBp(weight)} (onNoData hold)`
  return out('hold', reason, r.status === 'held' ? null : { ...r, status: 'held', noDataSince: since, reason, checks: views })
}

/** Every check passed at the end of the bake: the next step, a manual gate, or promotion. */
function advance (r: RolloutRecord, plan: RolloutPlan, at: number, views: RolloutRecord['checks'], out: (a: ActionKind, reason: string, next: RolloutRecord | null, s?: number, w?: number) => Decision): Decision {
  const nextIndex = r.step + 1
  const base = { ...r, noDataSince: null, checks: views }
  if (nextIndex >= plan.steps.length) {
    const reason = `all checks passed through ${plan.steps.length} steps`
    return out('promote', reason, { ...base, status: 'promoted', step: nextIndex, stepStartedAt: at, reason, endedAt: at }, nextIndex, 10_000)
  }
  const s = plan.steps[nextIndex]!
  if (s.kind === 'gate') {
    const reason = `manual gate after ${formatBp(weightAt(plan, r.step))}: waiting for "rollout resume"`
    return out('gate', reason, { ...base, status: 'paused', step: nextIndex, stepStartedAt: at, reason }, nextIndex, weightAt(plan, r.step))
  }
  const reason = `all checks passed at ${formatBp(weightAt(plan, r.step))}: step ${nextIndex + 1} at ${formatBp(s.weight)}`
  return out('advance', reason, { ...base, status: 'running', step: nextIndex, stepStartedAt: at, reason }, nextIndex, s.weight)
}

/**
 * After `rollout resume`: a gate opens onto the next weight step (or promotion);
 * a paused or held step starts its bake again with fresh data.
 */
export function resumed (r: RolloutRecord, plan: RolloutPlan, at: number, actor: string): { next: RolloutRecord, weight: number, promote: boolean } {
  let i = r.step
  if (plan.steps[i]?.kind === 'gate') i++
  while (plan.steps[i]?.kind === 'gate') i++
  const reason = `resumed by ${actor}`
  if (i >= plan.steps.length) return { next: { ...r, status: 'promoted', step: i, stepStartedAt: at, noDataSince: null, reason, endedAt: at }, weight: 10_000, promote: true }
  return { next: { ...r, status: 'running', step: i, stepStartedAt: at, noDataSince: null, reason }, weight: weightAt(plan, i), promote: false }
}

export function seconds (ms: number): string {
  const s = Math.max(0, ms) / 1000
  return s >= 120 ? `${(s / 60).toFixed(1)}m` : `${s.toFixed(1)}s`
}
