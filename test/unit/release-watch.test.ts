import { describe, expect, it } from 'vitest'
import { validatePlan } from '../../gateway/release/plan.js'
import { decide, type Evaluation } from '../../gateway/release/steps.js'
import { applyDecision, startRollout, type WriteContext } from '../../gateway/release/operations.js'
import type { CheckResult } from '../../gateway/release/analysis.js'
import type { RoutingState } from '../../gateway/state/routing-state.js'

const T0 = 1_000_000
const plan = validatePlan({ steps: [{ weight: '10%', bake: '10s' }], watch: { duration: '1m' }, holdback: '1h', checks: { errors: {} } })
const ctx = (now: number): WriteContext => ({ now, holdbackMs: 86_400_000, actor: 'rollout-controller@a' })
const ev = (at: number, verdict: CheckResult['verdict'] | 'down'): Evaluation => verdict === 'down'
  ? { at, source: 'down', error: 'ClickHouse refused', checks: [] }
  : { at, source: 'ok', checks: [{ check: 'errors', verdict, summary: verdict, figures: {} }] }

function state (): RoutingState {
  return {
    revision: 1,
    models: { fraud: { versions: { v1: { replicas: ['http://a'] }, v3: { replicas: ['http://b'] } }, strategy: 'canary', split: [{ version: 'v1', weight: 10_000 }], stable: 'v1', candidate: null, release: 1, seed: 1 } }
  }
}

/** Runs the rollout to its promotion: the state and the stored record then. */
function promoted (): RoutingState {
  let s = startRollout('fraud', 'v3', plan, ctx(T0))(state())
  const r = s.models.fraud!.rollout!
  const d = decide(r, plan, ev(T0 + 10_000, 'pass'))
  s = applyDecision('fraud', r, d.next!, ctx(T0 + 10_000))(s)
  return s
}

describe('post-promotion watch', () => {
  it('promotion with a watch makes the candidate stable, holds v1 back for the plan\'s holdback and keeps the last step as the baseline', () => {
    const s = promoted().models.fraud!
    expect(s).toMatchObject({ stable: 'v3', candidate: null, split: [{ version: 'v3', weight: 10_000 }], holdback: { version: 'v1', since: T0 + 10_000, until: T0 + 10_000 + 3_600_000 } })
    expect(s.rollout).toMatchObject({ status: 'watching', promotedAt: T0 + 10_000, baseline: { version: 'v1', from: T0, to: T0 + 10_000 } })
  })

  it('a failed check during the watch rolls back to the held-back version at 100% in the same revision', () => {
    const s = promoted()
    const r = s.models.fraud!.rollout!
    const d = decide(r, plan, ev(T0 + 30_000, 'fail'))
    expect(d.action).toBe('rollback')
    expect(d.next?.reason).toBe('post-promotion watch: errors failed: fail')
    const after = applyDecision('fraud', r, d.next!, ctx(T0 + 30_000))(s)
    expect(after.revision).toBe(s.revision + 1)
    expect(after.models.fraud).toMatchObject({ stable: 'v1', split: [{ version: 'v1', weight: 10_000 }], holdback: null, rollout: { status: 'rolled-back' } })
  })

  it('the watch waits while checks pass or the source is down, and ends promoted when its time is up', () => {
    const r = promoted().models.fraud!.rollout!
    expect(decide(r, plan, ev(T0 + 40_000, 'pass'))).toMatchObject({ action: 'wait', next: null })
    expect(decide(r, plan, ev(T0 + 40_000, 'down'))).toMatchObject({ action: 'no-data', next: null })
    const end = decide(r, plan, ev(T0 + 70_000, 'pass'))
    expect(end.action).toBe('watch-passed')
    expect(end.next).toMatchObject({ status: 'promoted', endedAt: T0 + 70_000, reason: 'watch of v3 over after 60.0s, every check passing' })
  })

  it('a plan whose watch outlasts the holdback is refused at start', () => {
    const long = validatePlan({ steps: [{ weight: '10%', bake: '10s' }], watch: { duration: '2h' }, holdback: '1h' })
    expect(() => startRollout('fraud', 'v3', long, ctx(T0))(state())).toThrow(/the watch \(2\.0h\) outlasts the holdback \(60\.0m\)/)
  })
})
