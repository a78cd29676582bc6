import { describe, expect, it } from 'vitest'
import { validatePlan } from '../../gateway/release/plan.js'
import { decide, resumed, type Evaluation } from '../../gateway/release/steps.js'
import type { CheckResult } from '../../gateway/release/analysis.js'
import type { RolloutRecord } from '../../gateway/state/rollout-record.js'

const plan = validatePlan({
  steps: [{ weight: '10%', bake: '10s' }, { gate: 'manual' }, { weight: '50%', bake: '10s' }],
  maxExtension: '5s',
  noDataRollbackAfter: '20s',
  checks: { errors: {} }
})
const T0 = 1_000_000

function record (over: Partial<RolloutRecord> = {}): RolloutRecord {
  return { id: 'r1', version: 'v2', stable: 'v1', plan, status: 'running', step: 0, stepStartedAt: T0, startedAt: T0, startedBy: 'ops', noDataSince: null, reason: null, endedAt: null, checks: [], ...over }
}
const check = (verdict: CheckResult['verdict']): CheckResult => ({ check: 'errors', verdict, summary: verdict, figures: {} })
const ok = (at: number, verdict: CheckResult['verdict'] = 'pass'): Evaluation => ({ at, source: 'ok', checks: [check(verdict)] })
const down = (at: number): Evaluation => ({ at, source: 'down', error: 'ClickHouse refused', checks: [] })

describe('rollout step decisions', () => {
  it('a failing check rolls back at once, before the bake time is over', () => {
    const d = decide(record(), plan, ok(T0 + 1000, 'fail'))
    expect(d.action).toBe('rollback')
    expect(d.next?.status).toBe('rolled-back')
    expect(d.weight).toBe(0)
  })

  it('passing checks wait out the bake time, then reach the manual gate', () => {
    expect(decide(record(), plan, ok(T0 + 9_000)).action).toBe('wait')
    const d = decide(record(), plan, ok(T0 + 10_000))
    expect(d.action).toBe('gate')
    expect(d.next).toMatchObject({ status: 'paused', step: 1 })
    expect(d.weight).toBe(1000)
  })

  it('resume opens the gate onto the next weight step; passing the last step promotes', () => {
    const gated = record({ status: 'paused', step: 1 })
    const r = resumed(gated, plan, T0 + 20_000, 'ops')
    expect(r).toMatchObject({ weight: 5000, action: 'advance', next: { status: 'running', step: 2, stepStartedAt: T0 + 20_000 } })
    const d = decide(r.next!, plan, ok(T0 + 30_000))
    expect(d.action).toBe('promote')
    expect(d.next?.status).toBe('promoted')
  })

  it('inconclusive checks extend the step up to maxExtension, then hold (onNoData hold)', () => {
    expect(decide(record(), plan, ok(T0 + 12_000, 'inconclusive')).action).toBe('extend')
    const d = decide(record(), plan, ok(T0 + 15_000, 'inconclusive'))
    expect(d.action).toBe('hold')
    expect(d.next).toMatchObject({ status: 'held', noDataSince: T0 + 15_000 })
  })

  it('with onNoData fail, inconclusive after the longest extension rolls back', () => {
    const strict = { ...plan, onNoData: 'fail' as const }
    expect(decide(record({ plan: strict }), strict, ok(T0 + 15_000, 'inconclusive')).action).toBe('rollback')
  })

  it('a source that is down never advances, even past the bake time, and rolls back after noDataRollbackAfter', () => {
    const first = decide(record(), plan, down(T0 + 11_000))
    expect(first.action).toBe('no-data')
    expect(first.next?.noDataSince).toBe(T0 + 11_000)
    const later = decide(first.next!, plan, down(T0 + 30_000))
    expect(later.action).toBe('no-data')
    expect(later.next).toBeNull()
    expect(decide(first.next!, plan, down(T0 + 31_000)).action).toBe('rollback')
  })

  it('data back after an outage clears the no-data mark and the step goes on', () => {
    const d = decide(record({ noDataSince: T0 + 1000 }), plan, ok(T0 + 10_000))
    expect(d.action).toBe('gate')
    expect(d.next?.noDataSince).toBeNull()
  })

  it('a paused rollout is not acted on', () => {
    expect(decide(record({ status: 'paused' }), plan, ok(T0 + 60_000, 'fail')).action).toBe('wait')
  })
})
