import { describe, expect, it } from 'vitest'
import { addSums, auc, calibration, delays, emptySums, finish, sampleOf, wilson, type OutcomeSums } from '../../gateway/outcomes/metrics.js'
import { PREDICTION_BINS } from '../../gateway/outcomes/metrics-sql.js'
import { seeded } from '../support/seeded-random.js'

/** What the query sums for one version, computed here from (prediction, label, value) rows. */
function sumsOf (rows: ReadonlyArray<{ p: number, y?: number, v?: number, delayS?: number }>, threshold = 0.5): OutcomeSums {
  const s = emptySums()
  for (const r of rows) {
    s.requests++
    s.predicted++
    if (r.y !== undefined) {
      const pc = Math.min(Math.max(r.p, 1e-15), 1 - 1e-15)
      const ll = -(r.y * Math.log(pc) + (1 - r.y) * Math.log(1 - pc))
      s.labelled++
      s.scored++
      if ((r.p >= threshold) === (r.y >= 0.5)) s.correct++
      s.llSum += ll
      s.llSq += ll * ll
      s.sqSum += (r.p - r.y) ** 2
      s.sqSq += (r.p - r.y) ** 4
      s.absSum += Math.abs(r.p - r.y)
      if (r.y !== 0 && r.y !== 1) s.nonBinary++
      const k = Math.round(r.p * PREDICTION_BINS) * 2 + (r.y >= 0.5 ? 1 : 0)
      s.hist.set(k, (s.hist.get(k) ?? 0) + 1)
      const d = Math.floor(Math.log2((r.delayS ?? 0) + 1) * 4)
      s.labelDelay.set(d, (s.labelDelay.get(d) ?? 0) + 1)
    }
    if (r.v !== undefined) {
      s.valued++
      s.vSum += r.v
      s.vSq += r.v * r.v
      if (r.v > 0) s.positive++
    }
  }
  return s
}

function bruteAuc (rows: ReadonlyArray<{ p: number, y?: number }>): number {
  const pos = rows.filter(r => r.y === 1).map(r => r.p)
  const neg = rows.filter(r => r.y === 0).map(r => r.p)
  let u = 0
  for (const a of pos) for (const b of neg) u += a > b ? 1 : a === b ? 0.5 : 0
  return u / (pos.length * neg.length)
}

describe('outcome metrics', () => {
  const rnd = seeded(3)
  const rows = Array.from({ length: 2000 }, () => {
    const p = Math.round(rnd() * 1000) / 1000
    return { p, y: rnd() < p ? 1 : 0, v: rnd() < 0.3 ? Math.round(rnd() * 1000) / 10 : undefined, delayS: 3600 * (1 + 23 * rnd()) }
  })
  const m = finish(sumsOf(rows))

  it('accuracy, log loss and Brier are the means of the per-request values', () => {
    const scored = rows.filter(r => r.y !== undefined)
    expect(m.accuracy).toBeCloseTo(scored.filter(r => (r.p >= 0.5) === (r.y === 1)).length / scored.length, 12)
    expect(m.brier).toBeCloseTo(scored.reduce((a, r) => a + (r.p - r.y) ** 2, 0) / scored.length, 12)
    expect(m.labels).toBe('binary')
    expect(m.mae).toBeNull()
  })

  it('ROC AUC from the binned histogram equals the pairwise count when predictions sit on the bins', () => {
    expect(m.auc).toBeCloseTo(bruteAuc(rows), 12)
    expect(auc(new Map([[10, 3]]))).toBeNull()
  })

  it('calibration bins count every labelled request; a well calibrated model is near the diagonal', () => {
    const bins = calibration(sumsOf(rows).hist)
    expect(bins.reduce((a, b) => a + b.n, 0)).toBe(rows.length)
    for (const b of bins) expect(Math.abs(b.meanPrediction - b.positiveRate)).toBeLessThan(0.12)
  })

  it('the business value counts every request: the mean is over requests, a missing value being 0', () => {
    const values = rows.map(r => r.v ?? 0)
    expect(m.valueMean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / rows.length, 12)
    expect(m.valueRate).toBe(values.filter(v => v > 0).length / rows.length)
    expect(m.valueMeanCi!.low).toBeLessThan(m.valueMean!)
    expect(m.valueMeanCi!.high).toBeGreaterThan(m.valueMean!)
  })

  it('numeric labels give MAE and RMSE instead', () => {
    const n = finish(sumsOf([{ p: 10, y: 12 }, { p: 5, y: 4 }, { p: 3, y: 3 }]))
    expect(n.labels).toBe('numeric')
    expect(n.mae).toBeCloseTo(1, 12)
    expect(n.rmse).toBeCloseTo(Math.sqrt(5 / 3), 12)
    expect(n.accuracy).toBeNull()
  })

  it('sampleOf gives each testable metric as a mean of per-request values with its variance', () => {
    const s = sumsOf(rows)
    const acc = sampleOf(s, 'accuracy')
    expect(acc.variance).toBeCloseTo(acc.mean * (1 - acc.mean), 12)
    const ll = sampleOf(s, 'log-loss')
    expect(ll.mean).toBeCloseTo(m.logLoss!, 12)
    expect(sampleOf(s, 'value-rate').n).toBe(rows.length)
  })

  it('sums of two halves add up to the sums of the whole', () => {
    const whole = sumsOf(rows)
    const halves = finish(addSums(sumsOf(rows.slice(0, 700)), sumsOf(rows.slice(700))))
    const all = finish(whole)
    expect({ requests: halves.requests, labelled: halves.labelled, accuracy: halves.accuracy, auc: halves.auc, calibration: halves.calibration.map(b => b.n) })
      .toEqual({ requests: all.requests, labelled: all.labelled, accuracy: all.accuracy, auc: all.auc, calibration: all.calibration.map(b => b.n) })
    expect(halves.logLoss).toBeCloseTo(all.logLoss!, 12)
    expect(halves.valueMean).toBeCloseTo(all.valueMean!, 12)
  })

  it('the Wilson interval stays inside [0, 1] and covers the rate', () => {
    expect(wilson(0, 10)!.low).toBe(0)
    expect(wilson(10, 10)!.high).toBeCloseTo(1, 12)
    const w = wilson(30, 100)!
    expect(w.low).toBeLessThan(0.3)
    expect(w.high).toBeGreaterThan(0.3)
    expect(wilson(0, 0)).toBeNull()
  })

  it('delay quantiles fall in the range of the delays', () => {
    const d = delays(sumsOf(rows).labelDelay)!
    expect(d.p50).toBeGreaterThan(3600)
    expect(d.p90).toBeGreaterThan(d.p50)
    expect(d.p90).toBeLessThan(24 * 3600 * 1.2)
    expect(delays(new Map())).toBeNull()
  })
})
