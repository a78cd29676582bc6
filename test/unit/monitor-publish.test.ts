import { describe, expect, it } from 'vitest'
import { prometheusText } from '../../gateway/monitor/publish.js'
import { psiOfCounts, type MonitorRow } from '../../gateway/monitor/monitor.js'
import { featureValues, parseFeatureNames } from '../../gateway/monitor/features.js'
import { psi } from '../../gateway/release/stats.js'

const row = (over: Partial<MonitorRow> = {}): MonitorRow => ({
  runAt: 1_800_000_000_000,
  model: 'fraud',
  version: 'v2',
  window: { from: 0, to: 1 },
  reference: { from: 0, to: 1 },
  requests: 1200,
  metric: 'accuracy',
  value: 0.71,
  referenceValue: 0.83,
  change: -0.12,
  outputPsi: 0.4,
  inputPsi: { amount: 1.2, 'features[1]': 0.01 },
  matchRate: 0.98,
  coverage: 0.9,
  stale: true,
  reasons: ['accuracy decayed'],
  ...over
})

describe('monitor gauges', () => {
  it('one family per gauge, labelled by model and version, stale as 0 or 1, missing figures left out', () => {
    const text = prometheusText([row(), row({ version: 'v"1', stale: false, outputPsi: null, inputPsi: {}, metric: null })], 1_800_000_000_500)
    expect(text).toContain('# TYPE model_gateway_monitor_stale gauge\nmodel_gateway_monitor_stale{model="fraud",version="v2"} 1\nmodel_gateway_monitor_stale{model="fraud",version="v\\"1"} 0\n')
    expect(text).toContain('model_gateway_monitor_input_psi{model="fraud",version="v2",feature="features[1]"} 0.01')
    expect(text).toContain('model_gateway_monitor_metric_change{model="fraud",version="v2",metric="accuracy"} -0.12')
    expect(text).toContain('model_gateway_monitor_last_run_timestamp_seconds 1800000000\n')
    expect(text.match(/^# TYPE model_gateway_monitor_output_psi /gm)).toHaveLength(1)
    expect(text).not.toContain('version="v\\"1"} 0.4')
  })
})

describe('drift figures', () => {
  it('PSI of counts is 0 for the same shares and grows with the shift', () => {
    expect(psiOfCounts([10, 20, 30], [20, 40, 60])).toBeCloseTo(0, 12)
    expect(psiOfCounts([100, 100, 100], [50, 100, 150])).toBeGreaterThan(psiOfCounts([100, 100, 100], [90, 100, 110]))
  })

  it('agrees with the sample PSI over the same deciles', () => {
    const e = Array.from({ length: 1000 }, (_, i) => i / 1000)
    const a = Array.from({ length: 1000 }, (_, i) => (i / 1000) ** 2)
    const edges = Array.from({ length: 9 }, (_, k) => e[Math.floor((k + 1) * 100)]!)
    const count = (xs: number[]): number[] => { const c = new Array<number>(10).fill(0); for (const x of xs) c[edges.filter(b => b <= x).length]!++; return c }
    expect(psiOfCounts(count(e), count(a))).toBeCloseTo(psi(e, a), 9)
  })

  it('features are the columns of each input tensor\'s rows, named when names are given', () => {
    const bodies = [
      JSON.stringify({ inputs: [{ name: 'features', shape: [2, 3], datatype: 'FP64', data: [1, 2, 3, 4, 5, 6] }, { name: 'flag', shape: [2], datatype: 'INT32', data: [0, 1] }] }),
      JSON.stringify({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP64', data: [[7, 8, 9]] }] }),
      'not json'
    ]
    const f = featureValues(bodies, parseFeatureNames(['features=a,b']))
    expect(Object.fromEntries(f)).toEqual({ a: [1, 4, 7], b: [2, 5, 8], 'features[2]': [3, 6, 9], flag: [0, 1] })
  })

  it('--feature-names must be input=name,…', () => {
    expect(() => parseFeatureNames(['features'])).toThrow(/input=name/)
    expect(() => parseFeatureNames(['features=a,,b'])).toThrow(/input=name/)
  })
})
