/**
 * What the controller does after one analysis: a pure function from the stored
 * rollout, its plan and the evaluation to a decision (wait, extend, advance,
 * gate, promote, roll back, hold, no data) and, when the rollout changes, the
 * record to store. Missing or stale data never advances a step. After
 * promotion, the watch (decideWatch) judges the new version against the
 * previous one until its time is up, and rolls back on a failed check.
 */
import type { RolloutRecord } from '../state/rollout-record.js'
import type { CheckResult } from './check-registry.js'
import type { RolloutPlan } from './plan.js'
import { formatBp } from './plan-fields.js'
import { isJudged } from './plan-steps.js'

export interface Evaluation {
  at: number
  /** 'down': the source failed or is stale (error says why); checks are then empty. */
  source: 'ok' | 'down'
  error?: string
  checks: CheckResult[]
}

export type ActionKind = 'wait' | 'extend' | 'advance' | 'gate' | 'approval' | 'promote' | 'rollback' | 'hold' | 'no-data' | 'watch-passed'

export interface Decision {
  at: number
  action: ActionKind
  /** Step index and candidate weight (bp) the decision leaves the rollout at. */
  step: number
  weight: number
  reason: string
  checks: CheckResult[]
  /** The record to store, or null when the stored one stays as it is. */
  next: RolloutRecord | null
}

/** Canary weight in force at step `i`: the weight of the last weight step at or before it (0 before any, and always 0 for blue-green). */
export function weightAt (plan: RolloutPlan, i: number): number {
  for (let k = Math.min(i, plan.steps.length - 1); k >= 0; k--) {
    const s = plan.steps[k]!
    if (s.kind === 'weight') return s.weight
  }
  return 0
}

type Out = (action: ActionKind, reason: string, next: RolloutRecord | null, s?: number, w?: number) => Decision

export function decide (r: RolloutRecord, plan: RolloutPlan, ev: Evaluation): Decision {
  const at = ev.at
  const step = plan.steps[r.step]
  const weight = weightAt(plan, r.step)
  const out: Out = (action, reason, next, s = r.step, w = weight) => ({ at, action, step: s, weight: w, reason, checks: ev.checks, next })
  const views = checkViews(ev.checks)

  if (r.status === 'watching') return decideWatch(r, plan, ev, out)
  if ((step?.kind === 'verify' || step?.kind === 'warmup') && r.status === 'running') return decideTask(r, plan, step.kind, ev, out)
  if (!isJudged(step) || (r.status !== 'running' && r.status !== 'held')) return out('wait', `rollout is ${r.status}`, null)

  const rollback = (reason: string): Decision =>
    out('rollback', reason, { ...r, status: 'rolled-back', reason, endedAt: at, checks: views }, r.step, 0)

  if (ev.source === 'down') {
    const since = r.noDataSince ?? at
    if (at - since >= plan.noDataRollbackAfterMs) return rollback(`no usable data for ${seconds(at - since)} (${ev.error ?? 'source down'}); noDataRollbackAfter is ${seconds(plan.noDataRollbackAfterMs)}`)
    return out('no-data', `source unavailable (${ev.error ?? 'down'}): holding at ${where(plan, r.step)}, never promoting; rolls back after ${seconds(plan.noDataRollbackAfterMs - (at - since))} more`,
      r.noDataSince === null ? { ...r, noDataSince: since } : null)
  }

  const failed = ev.checks.filter(c => c.verdict === 'fail')
  if (failed.length > 0) return rollback(failedReason(failed))

  const elapsed = at - r.stepStartedAt
  const cleared: RolloutRecord | null = r.noDataSince !== null && r.status === 'running' ? { ...r, noDataSince: null } : null
  if (elapsed < step.bakeMs) return out('wait', `baking at ${where(plan, r.step)}: ${seconds(step.bakeMs - elapsed)} left`, cleared)

  // A segment short of data does not hold the step: the checks over all traffic decide when to go on.
  const inconclusive = ev.checks.filter(c => c.verdict === 'inconclusive' && c.segment === undefined)
  if (inconclusive.length === 0) {
    const passed = `all checks passed at ${where(plan, r.step)}`
    return enter(r, plan, r.step + 1, at, { ...r, noDataSince: null, checks: views }, passed, out)
  }

  const names = [...new Set(inconclusive.map(c => c.check))].join(', ')
  if (elapsed < step.bakeMs + plan.maxExtensionMs) {
    return out('extend', `${names} inconclusive: step extended (up to ${seconds(step.bakeMs + plan.maxExtensionMs - elapsed)} more)`, cleared)
  }
  if (plan.onNoData === 'fail') return rollback(`${names} still inconclusive after the longest extension (${seconds(plan.maxExtensionMs)}); onNoData is fail`)
  const since = r.noDataSince ?? at
  if (at - since >= plan.noDataRollbackAfterMs) return rollback(`${names} inconclusive for ${seconds(at - since)} past the longest extension; noDataRollbackAfter is ${seconds(plan.noDataRollbackAfterMs)}`)
  const reason = `${names} inconclusive after the longest extension: holding at ${where(plan, r.step)} (onNoData hold)`
  return out('hold', reason, r.status === 'held' ? null : { ...r, status: 'held', noDataSince: since, reason, checks: views })
}

/**
 * The rollout moves onto step `i`: a judged step runs, a gate or an approval
 * pauses, past the last step the candidate is promoted (and watched, when the
 * plan has a watch). `why` says what led here.
 */
export function enter (r: RolloutRecord, plan: RolloutPlan, i: number, at: number, base: RolloutRecord, why: string, out: Out): Decision {
  const w = weightAt(plan, i)
  if (i >= plan.steps.length) {
    const verb = plan.strategy === 'blue-green' ? 'switched to' : 'promoted'
    if (plan.watch != null) {
      const reason = `${why}: ${verb} ${r.version}; watching it against ${r.stable} for ${seconds(plan.watch.durationMs)}`
      // The previous version over the step just passed, when both ran side by side.
      const baseline = { version: r.stable, from: r.stepStartedAt, to: at }
      return out('promote', reason, { ...base, status: 'watching', step: i, stepStartedAt: at, promotedAt: at, baseline, reason }, i, 10_000)
    }
    const reason = `${why}: ${verb} ${r.version} (${plan.steps.length} steps)`
    return out('promote', reason, { ...base, status: 'promoted', step: i, stepStartedAt: at, promotedAt: at, reason, endedAt: at }, i, 10_000)
  }
  const s = plan.steps[i]!
  if (s.kind === 'gate') {
    const reason = `${why}: manual gate ${i === 0 ? 'before the first step' : `at ${formatBp(w)}`}: waiting for "rollout resume"`
    return out('gate', reason, { ...base, status: 'paused', step: i, stepStartedAt: at, reason }, i, w)
  }
  if (s.kind === 'approval') {
    const reason = `${why}: waiting for "rollout approve"${s.distinct ? ` by another token than ${r.startedBy}'s` : ''}`
    return out('approval', reason, { ...base, status: 'paused', step: i, stepStartedAt: at, reason }, i, w)
  }
  const what = s.kind === 'weight'
    ? `at ${formatBp(s.weight)}`
    : s.kind === 'preview' ? `previewing ${r.version} for ${seconds(s.bakeMs)}` : s.kind === 'shadow'
        ? `mirroring ${formatBp(s.share)} of live requests to ${r.version} for ${seconds(s.bakeMs)}`
        : s.kind === 'verify' ? `verifying ${r.version} with suites ${s.suites.join(', ')}` : `warming ${r.version} up with ${s.requests} requests of suite ${s.suite} per replica`
  const reason = `${why}: step ${i + 1} ${what}`
  const trafficSince = base.trafficSince ?? (s.kind === 'weight' || s.kind === 'preview' ? at : null)
  return out('advance', reason, { ...base, status: 'running', step: i, stepStartedAt: at, noDataSince: null, reason, trafficSince }, i, w)
}

/**
 * A verify or warm-up step: the evaluation carries the task's checks once it
 * has run (none while it runs). Pass: on to the next step; fail: roll back; the
 * task unable to run (e.g. ClickHouse down for a replay suite): as missing data.
 */
function decideTask (r: RolloutRecord, plan: RolloutPlan, kind: 'verify' | 'warmup', ev: Evaluation, out: Out): Decision {
  const at = ev.at
  const views = checkViews(ev.checks)
  const what = kind === 'verify' ? 'verification' : 'warm-up'
  if (ev.source === 'down') {
    const since = r.noDataSince ?? at
    const reason = `${what} could not run (${ev.error ?? 'down'})`
    if (at - since >= plan.noDataRollbackAfterMs) return out('rollback', `${reason} for ${seconds(at - since)}`, { ...r, status: 'rolled-back', reason, endedAt: at, checks: views }, r.step, 0)
    return out('no-data', `${reason}; retrying`, r.noDataSince === null ? { ...r, noDataSince: since } : null)
  }
  if (ev.checks.length === 0) return out('wait', `${what} of ${r.version} running`, null)
  const failed = ev.checks.filter(c => c.verdict !== 'pass')
  if (failed.length > 0) {
    const reason = `${what} failed: ${failed.map(c => `${c.check}: ${c.summary}`).join('; ')}`
    return out('rollback', reason, { ...r, status: 'rolled-back', reason, endedAt: at, checks: views }, r.step, 0)
  }
  return enter(r, plan, r.step + 1, at, { ...r, noDataSince: null, checks: views }, `${what} passed (${kind === 'verify' ? `${ev.checks.length} checks` : ev.checks.map(c => c.summary).join('; ')})`, out)
}

/** After promotion: roll back on a failed check; the watch is over when its time is up. */
function decideWatch (r: RolloutRecord, plan: RolloutPlan, ev: Evaluation, out: Out): Decision {
  const at = ev.at
  const views = checkViews(ev.checks)
  const total = plan.watch?.durationMs ?? 0
  const elapsed = at - (r.promotedAt ?? r.stepStartedAt)
  const failed = ev.checks.filter(c => c.verdict === 'fail')
  if (failed.length > 0) {
    const reason = `post-promotion watch: ${failedReason(failed)}`
    return out('rollback', reason, { ...r, status: 'rolled-back', reason, endedAt: at, checks: views }, r.step, 0)
  }
  if (elapsed < total) {
    const why = ev.source === 'down' ? `no data (${ev.error ?? 'source down'}); ` : ''
    return out(ev.source === 'down' ? 'no-data' : 'wait', `${why}watching ${r.version}: ${seconds(total - elapsed)} left`, null)
  }
  const open = ev.source === 'down' ? `without data at the end (${ev.error ?? 'source down'})` : ev.checks.some(c => c.verdict === 'inconclusive') ? 'with some checks inconclusive' : 'every check passing'
  const reason = `watch of ${r.version} over after ${seconds(total)}, ${open}`
  return out('watch-passed', reason, { ...r, status: 'promoted', reason, endedAt: at, checks: views }, r.step, 10_000)
}

/**
 * After `rollout resume`: a gate opens onto the next step (or promotion); a
 * paused or held judged step starts its bake again with fresh data. An approval
 * step is passed only by `rollout approve` (approved()).
 */
export function resumed (r: RolloutRecord, plan: RolloutPlan, at: number, actor: string): Decision {
  const out: Out = (action, reason, next, s = r.step, w = weightAt(plan, r.step)) => ({ at, action, step: s, weight: w, reason, checks: [], next })
  const why = `resumed by ${actor}`
  const base = { ...r, noDataSince: null }
  if (plan.steps[r.step]?.kind === 'gate') return enter(r, plan, r.step + 1, at, base, why, out)
  return enter(r, plan, r.step, at, base, why, out)
}

/** After `rollout approve`: the approval step is passed, onto the next step (or promotion). */
export function approved (r: RolloutRecord, plan: RolloutPlan, at: number, actor: string): Decision {
  const out: Out = (action, reason, next, s = r.step, w = weightAt(plan, r.step)) => ({ at, action, step: s, weight: w, reason, checks: [], next })
  const base = { ...r, noDataSince: null, approvals: [...(r.approvals ?? []), { step: r.step, by: actor, at }] }
  return enter(r, plan, r.step + 1, at, base, `approved by ${actor}`, out)
}

/** Where the candidate is at step i, in words: its weight, or "preview" for blue-green. */
function where (plan: RolloutPlan, i: number): string {
  const k = plan.steps[i]?.kind
  return k === 'preview' ? 'preview (explicit-version traffic)' : k === 'shadow' ? `shadow at ${formatBp(weightAt(plan, i))} of users` : formatBp(weightAt(plan, i))
}

function failedReason (failed: CheckResult[]): string {
  return failed.map(c => `${c.check}${c.segment === undefined ? '' : ` in segment ${c.segment}`} failed: ${c.summary}`).join('; ')
}

export function checkViews (checks: readonly CheckResult[]): RolloutRecord['checks'] {
  return checks.map(c => ({ check: c.check, verdict: c.verdict, summary: c.summary, figures: c.figures, ...(c.segment === undefined ? {} : { segment: c.segment }) }))
}

export function seconds (ms: number): string {
  const s = Math.max(0, ms) / 1000
  if (s >= 7200) return `${(s / 3600).toFixed(1)}h`
  return s >= 120 ? `${(s / 60).toFixed(1)}m` : `${s.toFixed(1)}s`
}
