import { describe, expect, it } from 'vitest'
import { PlanError, validatePlan, type RolloutPlan } from '../../gateway/release/plan.js'
import { outcomesCheck, outcomesSourceProblem } from '../../gateway/release/outcomes-check.js'
import { meanMsprt } from '../../gateway/release/outcome-stats.js'
import { decideExperiment } from '../../gateway/release/experiment.js'
import type { Evaluation } from '../../gateway/release/steps.js'
import type { CheckResult } from '../../gateway/release/analysis.js'
import type { WindowData } from '../../gateway/release/source.js'
import type { RolloutRecord } from '../../gateway/state/rollout-record.js'
import { emptySums, type OutcomeSums } from '../../gateway/outcomes/metrics.js'
import { seeded } from '../support/seeded-random.js'

const OUTCOMES = { metric: 'accuracy', maturity: '1h', minSamples: 100 }

function planError (raw: unknown): PlanError {
  try {
    validatePlan(raw, 'plan.yaml')
  } catch (err) {
    if (err instanceof PlanError) return err
    throw err
  }
  throw new Error('plan accepted')
}

describe('outcomes check and experiment plans', () => {
  it('an outcomes check takes the metric\'s own direction, a maturity in days, and defaults', () => {
    const p = validatePlan({ steps: [{ weight: '10%', bake: '2h' }], checks: { outcomes: { metric: 'log-loss', maturity: '2d' } } })
    expect(p.checks.outcomes).toEqual({ metric: 'log-loss', direction: 'lower', minEffect: 0, maturityMs: 2 * 86_400_000, minSamples: 500, threshold: 0.5, mixture: 0.05 })
  })

  it.each([
    [{ steps: [{ weight: '10%', bake: '1h' }], checks: { outcomes: { metric: 'auc' } } }, 'checks.outcomes.metric', /one of accuracy, log-loss/],
    [{ steps: [{ weight: '10%', bake: '1h' }], checks: { outcomes: { metric: 'accuracy', direction: 'up' } } }, 'checks.outcomes.direction', /higher" or "lower/],
    [{ steps: [{ weight: '10%', bake: '1h' }], checks: { outcomes: { metric: 'accuracy', maturity: 'a week' } } }, 'checks.outcomes.maturity', /7d/],
    [{ experiment: { split: '50%' }, checks: { outcomes: OUTCOMES } }, 'experiment.maxDuration', /is required/],
    [{ experiment: { split: '100%', maxDuration: '7d' }, checks: { outcomes: OUTCOMES } }, 'experiment.split', /less than 100%/],
    [{ experiment: { maxDuration: '7d' }, steps: [{ weight: '10%', bake: '1h' }], checks: { outcomes: OUTCOMES } }, 'steps', /not both/],
    [{ experiment: { maxDuration: '7d' }, checks: { errors: {} } }, 'checks.outcomes', /required in an experiment/]
  ])('refuses %j naming %s', (raw, path, reason) => {
    const e = planError(raw)
    expect(e.path).toBe(path)
    expect(e.reason).toMatch(reason)
    expect(e.message.startsWith(`plan.yaml: ${path}: `)).toBe(true)
  })

  it('an experiment is one weight step: the split, baked for maxDuration, with no extension', () => {
    const raw = { experiment: { split: '30%', maxDuration: '14d' }, checks: { outcomes: OUTCOMES } }
    const p = validatePlan(raw)
    expect(p.steps).toEqual([{ kind: 'weight', weight: 3000, bakeMs: 14 * 86_400_000 }])
    expect(p.maxExtensionMs).toBe(0)
    expect(p.experiment).toEqual({ split: 3000, maxDurationMs: 14 * 86_400_000 })
    expect(raw).toEqual({ experiment: { split: '30%', maxDuration: '14d' }, checks: { outcomes: OUTCOMES } })
  })

  it('the local source cannot serve an outcomes check', () => {
    const c = validatePlan({ steps: [{ weight: '10%', bake: '1h' }], checks: { outcomes: OUTCOMES } }).checks.outcomes
    expect(outcomesSourceProblem(c, 'local')).toMatch(/rollouts.source "clickhouse"/)
    expect(outcomesSourceProblem(c, 'clickhouse')).toBeNull()
    expect(outcomesSourceProblem(undefined, 'local')).toBeNull()
  })
})

function accuracySums (n: number, correct: number): OutcomeSums {
  return { ...emptySums(), requests: n, labelled: n, scored: n, correct }
}

function data (stable: OutcomeSums, canary: OutcomeSums): WindowData {
  const empty = { requests: 0, errors: 0, latency: [], outputs: [] }
  return { stable: empty, canary: empty, newestAt: 0, outcomes: { stable, canary, matureBefore: 0 } }
}

describe('outcomes check verdicts', () => {
  const c = validatePlan({ steps: [{ weight: '10%', bake: '1h' }], checks: { outcomes: { metric: 'accuracy', minSamples: 200, minEffect: 0.01 } } }).checks.outcomes!

  it('rollout: fails a canary significantly worse, passes an equal one with enough samples, waits below minSamples', () => {
    expect(outcomesCheck(c, data(accuracySums(2000, 1660), accuracySums(2000, 1360)), 0.01, false).verdict).toBe('fail')
    expect(outcomesCheck(c, data(accuracySums(2000, 1660), accuracySums(2000, 1655)), 0.01, false).verdict).toBe('pass')
    const few = outcomesCheck(c, data(accuracySums(2000, 1660), accuracySums(150, 60)), 0.01, false)
    expect(few.verdict).toBe('inconclusive')
    expect(few.summary).toMatch(/needs 200 matured samples per version/)
  })

  it('experiment: pass when the canary wins, fail when stable wins, inconclusive when neither', () => {
    expect(outcomesCheck(c, data(accuracySums(4000, 3000), accuracySums(4000, 3300)), 0.02, true).verdict).toBe('pass')
    expect(outcomesCheck(c, data(accuracySums(4000, 3300), accuracySums(4000, 3000)), 0.02, true).verdict).toBe('fail')
    expect(outcomesCheck(c, data(accuracySums(4000, 3000), accuracySums(4000, 3010)), 0.02, true).verdict).toBe('inconclusive')
  })

  it('a lower-is-better metric turns the comparison around', () => {
    const loss = validatePlan({ steps: [{ weight: '10%', bake: '1h' }], checks: { outcomes: { metric: 'brier', minSamples: 10 } } }).checks.outcomes!
    const s = { ...emptySums(), requests: 500, scored: 500, sqSum: 500 * 0.1, sqSq: 500 * 0.02 }
    const worse = { ...emptySums(), requests: 500, scored: 500, sqSum: 500 * 0.2, sqSq: 500 * 0.06 }
    expect(outcomesCheck(loss, data(s, worse), 0.01, false).verdict).toBe('fail')
    expect(outcomesCheck(loss, data(worse, s), 0.01, false).verdict).toBe('pass')
  })

  it('without outcome data it is inconclusive, never a pass', () => {
    const r = outcomesCheck(c, { ...data(emptySums(), emptySums()), outcomes: undefined }, 0.01, false)
    expect(r.verdict).toBe('inconclusive')
  })
})

describe('meanMsprt', () => {
  it('is one-sided: no evidence when a is not above b', () => {
    expect(meanMsprt({ n: 100, mean: 0.5, variance: 0.25 }, { n: 100, mean: 0.7, variance: 0.21 }, 0, 0.05, true).pValue).toBe(1)
  })

  it('looked at after every 50 samples up to 5000 of two equal versions, it crosses alpha in at most about alpha of runs', () => {
    const alpha = 0.05
    let crossed = 0
    const runs = 300
    for (let run = 0; run < runs; run++) {
      const rnd = seeded(1000 + run)
      let a = 0
      let b = 0
      for (let n = 1; n <= 5000; n++) {
        if (rnd() < 0.8) a++
        if (rnd() < 0.8) b++
        if (n % 50 !== 0) continue
        const p = meanMsprt({ n, mean: a / n, variance: 0 }, { n, mean: b / n, variance: 0 }, 0, 0.05, true).pValue
        if (p <= alpha) { crossed++; break }
      }
    }
    expect(crossed / runs).toBeLessThanOrEqual(alpha + 0.02)
  })
})

describe('experiment decisions', () => {
  const plan: RolloutPlan = validatePlan({ experiment: { split: '50%', maxDuration: '1h' }, interval: '1m', noDataRollbackAfter: '30m', checks: { outcomes: OUTCOMES, errors: {} } })
  const T0 = 1_000_000
  const record = (over: Partial<RolloutRecord> = {}): RolloutRecord => ({ id: 'x', version: 'v3', stable: 'v1', plan, status: 'running', step: 0, stepStartedAt: T0, startedAt: T0, startedBy: 'ops', noDataSince: null, reason: null, endedAt: null, checks: [], ...over })
  const ev = (at: number, outcomes: CheckResult['verdict'], errors: CheckResult['verdict'] = 'pass'): Evaluation => ({
    at,
    source: 'ok',
    checks: [{ check: 'outcomes', verdict: outcomes, summary: `outcomes ${outcomes}`, figures: {} }, { check: 'errors', verdict: errors, summary: `errors ${errors}`, figures: {} }]
  })

  it('promotes the candidate when the outcomes test says it wins', () => {
    const d = decideExperiment(record(), plan, ev(T0 + 60_000, 'pass'))
    expect(d).toMatchObject({ action: 'promote', weight: 10_000 })
    expect(d.next).toMatchObject({ status: 'promoted', endedAt: T0 + 60_000 })
    expect(d.reason).toMatch(/v3 wins/)
  })

  it('keeps stable when stable wins, or when a guard check fails', () => {
    const loses = decideExperiment(record(), plan, ev(T0 + 60_000, 'fail'))
    expect(loses).toMatchObject({ action: 'rollback', weight: 0 })
    expect(loses.reason).toMatch(/stable wins, v3 loses/)
    const guard = decideExperiment(record(), plan, ev(T0 + 60_000, 'inconclusive', 'fail'))
    expect(guard.next?.status).toBe('rolled-back')
    expect(guard.reason).toMatch(/errors failed/)
  })

  it('holds the split while undecided, and keeps stable at the maximum duration', () => {
    const wait = decideExperiment(record(), plan, ev(T0 + 59 * 60_000, 'inconclusive'))
    expect(wait).toMatchObject({ action: 'wait', weight: 5000, next: null })
    const end = decideExperiment(record(), plan, ev(T0 + 60 * 60_000, 'inconclusive'))
    expect(end.action).toBe('rollback')
    expect(end.reason).toMatch(/maximum duration \(60\.0m\) without a decision: stable kept/)
  })

  it('a source that is down holds the split and never promotes', () => {
    const d = decideExperiment(record(), plan, { at: T0 + 60_000, source: 'down', error: 'ClickHouse refused', checks: [] })
    expect(d.action).toBe('no-data')
    expect(d.next?.noDataSince).toBe(T0 + 60_000)
  })
})
