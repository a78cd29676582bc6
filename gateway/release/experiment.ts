/**
 * The decisions of an experiment (experiment-plan.ts), a pure function like
 * steps.ts's decide: after each analysis, promote the candidate when the
 * outcomes check says it wins, keep stable when stable wins or any guard check
 * fails, keep stable at maxDuration without a decision, else hold the split.
 * Missing or stale data is handled as in a rollout (decide): the split holds,
 * nothing is promoted, and it ends with stable after noDataRollbackAfter.
 */
import type { RolloutRecord } from '../state/rollout-record.js'
import type { RolloutPlan } from './plan.js'
import { formatBp } from './plan.js'
import { decide, seconds, type Decision, type Evaluation } from './steps.js'

export function decideExperiment (r: RolloutRecord, plan: RolloutPlan, ev: Evaluation): Decision {
  const e = plan.experiment!
  const at = ev.at
  const failed = ev.checks.filter(c => c.verdict === 'fail')
  if (ev.source === 'down' || (r.status !== 'running' && r.status !== 'held')) return decide(r, plan, ev)
  const views = ev.checks.map(c => ({ check: c.check, verdict: c.verdict, summary: c.summary, figures: c.figures }))
  const out = (action: Decision['action'], reason: string, next: RolloutRecord | null, weight = e.split): Decision =>
    ({ at, action, step: r.step, weight, reason, checks: ev.checks, next })
  const keepStable = (reason: string): Decision =>
    out('rollback', reason, { ...r, status: 'rolled-back', reason, endedAt: at, checks: views }, 0)
  const outcomes = ev.checks.find(c => c.check === 'outcomes')
  if (failed.length > 0) {
    const guards = failed.filter(c => c.check !== 'outcomes')
    if (guards.length > 0) return keepStable(`experiment stopped, stable kept: ${guards.map(c => `${c.check} failed: ${c.summary}`).join('; ')}`)
    return keepStable(`experiment decided: stable wins, ${r.version} loses (${outcomes!.summary}); stable kept`)
  }
  if (outcomes?.verdict === 'pass') {
    const reason = `experiment decided: ${r.version} wins (${outcomes.summary}); promoted`
    return out('promote', reason, { ...r, noDataSince: null, checks: views, status: 'promoted', step: r.step + 1, stepStartedAt: at, reason, endedAt: at }, 10_000)
  }
  const elapsed = at - r.startedAt
  if (elapsed >= e.maxDurationMs) return keepStable(`experiment reached its maximum duration (${seconds(e.maxDurationMs)}) without a decision: stable kept (${outcomes?.summary ?? 'no outcome data'})`)
  const cleared = r.noDataSince !== null ? { ...r, noDataSince: null } : null
  return out('wait', `experiment at ${formatBp(e.split)}: no winner yet, ${seconds(e.maxDurationMs - elapsed)} left at most`, cleared)
}
