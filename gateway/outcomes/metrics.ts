/**
 * Outcome metrics of a version, finished from the additive sums the query
 * returns (metrics-sql.ts). Pure: the report, the rollout check, the
 * experiment and the monitor all read the same figures.
 *
 * - binary labels (0/1): accuracy at the threshold, ROC AUC (predictions binned
 *   to 0.001, ties in a bin counted half), log loss, Brier score, calibration
 *   in ten bins of predicted probability;
 * - numeric labels: MAE and RMSE of the prediction;
 * - business values: the mean per request (a request without a value counts
 *   0 — every request is on the ledger, so this is exact) and the rate of
 *   requests with a positive value, each with a 95% interval;
 * - coverage (labelled requests / requests) and label and value delays.
 */
import { DELAY_BINS_PER_OCTAVE, PREDICTION_BINS } from './metrics-sql.js'

/** Additive sums of one version over one time bucket (or a whole window). */
export interface OutcomeSums {
  requests: number
  predicted: number
  labelled: number
  scored: number
  nonBinary: number
  correct: number
  llSum: number
  llSq: number
  sqSum: number
  sqSq: number
  absSum: number
  ySum: number
  valued: number
  vSum: number
  vSq: number
  positive: number
  /** Key bin * 2 + label (1 when >= 0.5) -> count; bin = round(prediction * PREDICTION_BINS). */
  hist: Map<number, number>
  labelDelay: Map<number, number>
  valueDelay: Map<number, number>
}

export function emptySums (): OutcomeSums {
  return { requests: 0, predicted: 0, labelled: 0, scored: 0, nonBinary: 0, correct: 0, llSum: 0, llSq: 0, sqSum: 0, sqSq: 0, absSum: 0, ySum: 0, valued: 0, vSum: 0, vSq: 0, positive: 0, hist: new Map(), labelDelay: new Map(), valueDelay: new Map() }
}

/** Adds `b` into `a` (and returns `a`). */
export function addSums (a: OutcomeSums, b: OutcomeSums): OutcomeSums {
  for (const k of Object.keys(a) as Array<keyof OutcomeSums>) {
    const v = a[k]
    if (typeof v === 'number') (a as unknown as Record<string, number>)[k] = v + (b[k] as number)
    else for (const [key, n] of b[k] as Map<number, number>) v.set(key, (v.get(key) ?? 0) + n)
  }
  return a
}

/** Metrics a release check or the monitor can compare; each is a per-request mean, so sequential tests apply. */
export const TESTABLE_METRICS = ['accuracy', 'log-loss', 'brier', 'mae', 'value-mean', 'value-rate'] as const
export type TestableMetric = typeof TESTABLE_METRICS[number]
export const METRICS = [...TESTABLE_METRICS, 'auc', 'rmse'] as const
export type MetricName = typeof METRICS[number]
export type Direction = 'higher' | 'lower'

export const BETTER: Record<MetricName, Direction> = {
  accuracy: 'higher', auc: 'higher', 'value-mean': 'higher', 'value-rate': 'higher', 'log-loss': 'lower', brier: 'lower', mae: 'lower', rmse: 'lower'
}

/** A metric as the mean of per-request values: how many, their mean and variance. */
export interface Sample {
  n: number
  mean: number
  variance: number
}

export function sampleOf (s: OutcomeSums, metric: TestableMetric): Sample {
  const mean = (sum: number, n: number): number => n === 0 ? NaN : sum / n
  const of = (n: number, sum: number, sq: number): Sample => {
    const m = mean(sum, n)
    return { n, mean: m, variance: n === 0 ? NaN : Math.max(0, sq / n - m * m) }
  }
  switch (metric) {
    case 'accuracy': return of(s.scored, s.correct, s.correct)
    case 'log-loss': return of(s.scored, s.llSum, s.llSq)
    case 'brier': return of(s.scored, s.sqSum, s.sqSq)
    case 'mae': return of(s.scored, s.absSum, s.sqSum)
    case 'value-mean': return of(s.requests, s.vSum, s.vSq)
    case 'value-rate': return of(s.requests, s.positive, s.positive)
  }
}

export interface CalibrationBin {
  /** Lower edge of the bin of predicted probability (0, 0.1, … 0.9). */
  from: number
  n: number
  meanPrediction: number
  positiveRate: number
}

export interface Interval { low: number, high: number }

export interface VersionMetrics {
  requests: number
  labelled: number
  /** labelled / requests. */
  coverage: number
  /** Requests with both a label and a prediction. */
  scored: number
  labels: 'binary' | 'numeric' | 'none'
  accuracy: number | null
  auc: number | null
  logLoss: number | null
  brier: number | null
  calibration: CalibrationBin[]
  mae: number | null
  rmse: number | null
  valued: number
  valueMean: number | null
  valueMeanCi: Interval | null
  valueRate: number | null
  valueRateCi: Interval | null
  labelDelayS: { p50: number, p90: number } | null
  valueDelayS: { p50: number, p90: number } | null
}

const Z95 = 1.959963984540054

export function finish (s: OutcomeSums): VersionMetrics {
  const n = s.scored
  const labels = n === 0 ? 'none' : s.nonBinary === 0 ? 'binary' : 'numeric'
  const binary = labels === 'binary'
  const val = sampleOf(s, 'value-mean')
  const rate = sampleOf(s, 'value-rate')
  return {
    requests: s.requests,
    labelled: s.labelled,
    coverage: s.requests === 0 ? 0 : s.labelled / s.requests,
    scored: n,
    labels,
    accuracy: binary ? s.correct / n : null,
    auc: binary ? auc(s.hist) : null,
    logLoss: binary ? s.llSum / n : null,
    brier: binary ? s.sqSum / n : null,
    calibration: binary ? calibration(s.hist) : [],
    mae: labels === 'numeric' ? s.absSum / n : null,
    rmse: labels === 'numeric' ? Math.sqrt(s.sqSum / n) : null,
    valued: s.valued,
    valueMean: s.valued === 0 ? null : val.mean,
    valueMeanCi: s.valued === 0 ? null : { low: val.mean - Z95 * Math.sqrt(val.variance / val.n), high: val.mean + Z95 * Math.sqrt(val.variance / val.n) },
    valueRate: s.valued === 0 ? null : rate.mean,
    valueRateCi: s.valued === 0 ? null : wilson(s.positive, s.requests),
    labelDelayS: delays(s.labelDelay),
    valueDelayS: delays(s.valueDelay)
  }
}

/** The value of a metric in finished form (null when the data has none). */
export function metricValue (m: VersionMetrics, metric: MetricName): number | null {
  switch (metric) {
    case 'accuracy': return m.accuracy
    case 'auc': return m.auc
    case 'log-loss': return m.logLoss
    case 'brier': return m.brier
    case 'mae': return m.mae
    case 'rmse': return m.rmse
    case 'value-mean': return m.valueMean
    case 'value-rate': return m.valueRate
  }
}

/** ROC AUC: the chance a positive outranks a negative, ties (same bin) counted half. */
export function auc (hist: ReadonlyMap<number, number>): number | null {
  const pos = new Map<number, number>()
  const neg = new Map<number, number>()
  for (const [k, c] of hist) (k % 2 === 1 ? pos : neg).set(Math.floor(k / 2), c)
  let p = 0
  let q = 0
  for (const c of pos.values()) p += c
  for (const c of neg.values()) q += c
  if (p === 0 || q === 0) return null
  let below = 0
  let u = 0
  for (let b = 0; b <= PREDICTION_BINS; b++) {
    const nb = neg.get(b) ?? 0
    u += (pos.get(b) ?? 0) * (below + nb / 2)
    below += nb
  }
  return u / (p * q)
}

export function calibration (hist: ReadonlyMap<number, number>): CalibrationBin[] {
  const bins = Array.from({ length: 10 }, (_, i) => ({ from: i / 10, n: 0, p: 0, pos: 0 }))
  for (const [k, c] of hist) {
    const bin = Math.floor(k / 2)
    const b = bins[Math.min(9, Math.floor(bin * 10 / PREDICTION_BINS))]!
    b.n += c
    b.p += c * bin / PREDICTION_BINS
    if (k % 2 === 1) b.pos += c
  }
  return bins.filter(b => b.n > 0).map(b => ({ from: b.from, n: b.n, meanPrediction: b.p / b.n, positiveRate: b.pos / b.n }))
}

/** Wilson score interval of a proportion at 95%. */
export function wilson (k: number, n: number): Interval | null {
  if (n === 0) return null
  const p = k / n
  const z2 = Z95 * Z95
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n)
  const half = Z95 * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) }
}

/** Median and 90th percentile of a delay histogram (seconds), interpolated inside the bin. */
export function delays (h: ReadonlyMap<number, number>): { p50: number, p90: number } | null {
  let total = 0
  for (const c of h.values()) total += c
  if (total === 0) return null
  const keys = [...h.keys()].sort((a, b) => a - b)
  const edge = (k: number): number => 2 ** (k / DELAY_BINS_PER_OCTAVE) - 1
  const q = (f: number): number => {
    const target = f * total
    let acc = 0
    for (const k of keys) {
      const c = h.get(k)!
      if (acc + c >= target) return edge(k) + (edge(k + 1) - edge(k)) * (c === 0 ? 0 : (target - acc) / c)
      acc += c
    }
    return edge(keys[keys.length - 1]! + 1)
  }
  return { p50: q(0.5), p90: q(0.9) }
}
