import { describe, expect, it } from 'vitest'
import { analyse } from '../../gateway/release/analysis.js'
import { stepAlphas, validatePlan } from '../../gateway/release/plan.js'
import { outputValue, type VersionWindow, type WindowData } from '../../gateway/release/source.js'
import { LATENCY_CELLS, latencyCell } from '../../gateway/observe/records.js'
import { seeded } from '../support/seeded-random.js'

const plan = validatePlan({
  steps: [{ weight: '10%', bake: '30s' }, { weight: '50%', bake: '30s' }],
  interval: '5s',
  alpha: 0.05,
  checks: { errors: { minRequests: 100 }, latency: { minRequests: 100, maxRatio: { p50: 1.5 } }, outputs: { minSamples: 100 } }
})

function version (n: number, errorRate: number, ms: number, predictionMean: number, rnd: () => number): VersionWindow {
  const latency = new Array<number>(LATENCY_CELLS).fill(0)
  const outputs: number[] = []
  let errors = 0
  for (let i = 0; i < n; i++) {
    if (rnd() < errorRate) errors++
    latency[latencyCell(ms * (0.7 + 0.6 * rnd()))]!++
    outputs.push(Math.min(1, Math.max(0, predictionMean + 0.1 * (rnd() - 0.5))))
  }
  return { requests: n, errors, latency, outputs }
}

function data (canary: Partial<{ errorRate: number, ms: number, mean: number, n: number }>, seed = 1): WindowData {
  const rnd = seeded(seed)
  return {
    stable: version(3000, 0.001, 20, 0.3, rnd),
    canary: version(canary.n ?? 800, canary.errorRate ?? 0.001, canary.ms ?? 20, canary.mean ?? 0.3, rnd),
    newestAt: 0
  }
}

const verdicts = (d: WindowData): Record<string, string> => Object.fromEntries(analyse(plan.checks, d, stepAlphas(plan)).map(c => [c.check, c.verdict]))

describe('canary analysis', () => {
  it('a canary like stable passes every check', () => {
    expect(verdicts(data({}))).toEqual({ errors: 'pass', latency: 'pass', outputs: 'pass' })
  })
  it('5% errors fail the errors check only', () => {
    expect(verdicts(data({ errorRate: 0.05, n: 1200 }))).toEqual({ errors: 'fail', latency: 'pass', outputs: 'pass' })
  })
  it('3x latency fails the latency check only', () => {
    expect(verdicts(data({ ms: 60 }))).toEqual({ errors: 'pass', latency: 'fail', outputs: 'pass' })
  })
  it('shifted predictions fail the outputs check only', () => {
    expect(verdicts(data({ mean: 0.45 }))).toEqual({ errors: 'pass', latency: 'pass', outputs: 'fail' })
  })
  it('too few canary requests are inconclusive, not pass', () => {
    expect(verdicts(data({ n: 50 }))).toEqual({ errors: 'inconclusive', latency: 'inconclusive', outputs: 'inconclusive' })
  })
  it('each result carries its figures', () => {
    const errors = analyse(plan.checks, data({ errorRate: 0.05, n: 1200 }), stepAlphas(plan)).find(c => c.check === 'errors')!
    expect(errors.figures.canaryRequests).toBe(1200)
    expect(errors.figures.canaryErrorRate).toBeGreaterThan(0.03)
    expect(errors.summary).toContain('canary errors more')
  })
  it('outputValue reads outputs[].data by name or the first output', () => {
    const body = { outputs: [{ name: 'a', data: [1, 2] }, { name: 'fraud_probability', data: [0.25, 0.5] }] }
    expect(outputValue(body, 'fraud_probability', 1)).toBe(0.5)
    expect(outputValue(body, null, 0)).toBe(1)
    expect(outputValue(body, 'missing', 0)).toBeNull()
    expect(outputValue({ error: 'x' }, null, 0)).toBeNull()
  })
})
