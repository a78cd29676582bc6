/**
 * One monitoring pass (`model-gateway monitor`, weekly by default): for each
 * model and version live in the window, the window against a reference window
 * — the version's first window on the ledger, or a pinned one:
 *
 * - the outcome metric (accuracy, MAE or business value; outcomes/metrics.ts)
 *   and its change;
 * - output drift: PSI of the predictions over the reference's deciles, from the
 *   ledger (every request, exact counts);
 * - input drift: PSI per input feature, from the sampled records' bodies;
 * - the label match rate (outcomes of the window whose request is known) and
 *   coverage (requests of the window with a label).
 *
 * Thresholds turn these into a verdict: stale, with the reasons. Aspects with
 * fewer than minSamples values on either side give no verdict (and say so).
 */
import type { ClickHouse } from '../sink/clickhouse.js'
import { BETTER, emptySums, finish, metricValue, type MetricName, type VersionMetrics } from '../outcomes/metrics.js'
import { queryOutcomes, type MatchCounts } from '../outcomes/query.js'
import { psi } from '../release/stats.js'
import { liveVersions, predictionCounts, predictionEdges, requestBodies, type LiveVersion, type VersionWindowQuery } from './drift-sql.js'
import { featureValues, type FeatureNames } from './features.js'

export interface Thresholds {
  /** Largest prediction PSI before the version counts as drifted. */
  maxOutputPsi: number
  /** Largest PSI of any input feature. */
  maxInputPsi: number
  /** Largest change of the metric in the worse direction (metric units). */
  maxDecay: number
  /** Smallest share of the window's outcomes that must match a request. */
  minMatchRate: number
  /** Values per side below which an aspect gives no verdict. */
  minSamples: number
}

export const DEFAULT_THRESHOLDS: Thresholds = { maxOutputPsi: 0.2, maxInputPsi: 0.2, maxDecay: 0.05, minMatchRate: 0.5, minSamples: 200 }
export const DEFAULT_MAX_BODIES = 20_000

export interface MonitorOptions {
  /** End of the window (epoch ms). */
  now: number
  windowMs: number
  /** null: each version's first window on the ledger. */
  reference: { from: number, to: number } | null
  /** Models to look at (empty: every model on the ledger). */
  models: readonly string[]
  /** The metric compared (default: accuracy for binary labels, MAE for numeric ones, else the business value mean). */
  metric?: MetricName
  threshold: number
  thresholds: Thresholds
  featureNames: FeatureNames
  /** Request bodies read per version and window for input drift. */
  maxBodies: number
}

export interface MonitorRow {
  runAt: number
  model: string
  version: string
  window: { from: number, to: number }
  reference: { from: number, to: number }
  requests: number
  metric: MetricName | null
  value: number | null
  referenceValue: number | null
  change: number | null
  outputPsi: number | null
  inputPsi: Record<string, number>
  matchRate: number | null
  coverage: number
  stale: boolean
  reasons: string[]
}

export async function runMonitor (ch: ClickHouse, o: MonitorOptions): Promise<MonitorRow[]> {
  const from = o.now - o.windowMs
  const live = await liveVersions(ch, from, o.now, o.models)
  const out: MonitorRow[] = []
  for (const v of live) out.push(await monitorVersion(ch, o, v, { from, to: o.now }))
  return out
}

interface Verdicts {
  reasons: string[]
  notes: string[]
  /** The reference overlaps the window: nothing to compare yet. */
  overlap: boolean
}

async function monitorVersion (ch: ClickHouse, o: MonitorOptions, v: LiveVersion, win: { from: number, to: number }): Promise<MonitorRow> {
  const ref = o.reference ?? { from: v.firstAt, to: v.firstAt + o.windowMs }
  const vd: Verdicts = { reasons: [], notes: [], overlap: ref.to > win.from && ref.from < win.to }
  if (vd.overlap) vd.notes.push('the reference overlaps the window (a young version): no drift or decay verdict')
  const [cur, base] = await Promise.all([
    queryOutcomes(ch, { model: v.model, ...win, threshold: o.threshold }),
    queryOutcomes(ch, { model: v.model, ...ref, threshold: o.threshold })
  ])
  const m = finish(cur.versions.get(v.version)?.total ?? emptySums())
  const metric = metricAspect(o, m, finish(base.versions.get(v.version)?.total ?? emptySums()), vd)
  const q = (w: { from: number, to: number }): VersionWindowQuery => ({ model: v.model, version: v.version, ...w })
  const outputPsi = await outputAspect(ch, q(ref), q(win), o.thresholds, vd)
  const inputPsi = await inputAspect(ch, o, q(ref), q(win), vd)
  const match = pickMatch(cur.match)
  const matchRate = match.outcomes === 0 ? null : match.matched / match.outcomes
  if (matchRate !== null && match.outcomes >= o.thresholds.minSamples && matchRate < o.thresholds.minMatchRate) vd.reasons.push(`label match rate ${fmt(matchRate)} of ${match.outcomes} outcomes (limit ${o.thresholds.minMatchRate}): outcomes for unknown request ids`)
  return {
    runAt: Date.now(),
    model: v.model,
    version: v.version,
    window: win,
    reference: ref,
    requests: v.requests,
    ...metric,
    outputPsi,
    inputPsi,
    matchRate,
    coverage: m.coverage,
    stale: vd.reasons.length > 0,
    reasons: [...vd.reasons, ...vd.notes.map(n => `(${n})`)]
  }
}

/** The metric in the window and the reference, its change, and whether it decayed past the limit. */
function metricAspect (o: MonitorOptions, m: VersionMetrics, r: VersionMetrics, vd: Verdicts): Pick<MonitorRow, 'metric' | 'value' | 'referenceValue' | 'change'> {
  const metric = o.metric ?? defaultMetric(m)
  const value = metric === null ? null : metricValue(m, metric)
  const referenceValue = metric === null ? null : metricValue(r, metric)
  const change = value === null || referenceValue === null ? null : value - referenceValue
  if (metric !== null && change !== null && !vd.overlap) {
    const decay = BETTER[metric] === 'higher' ? -change : change
    const n = Math.min(samplesOf(m, metric), samplesOf(r, metric))
    if (n < o.thresholds.minSamples) vd.notes.push(`${metric}: ${n} samples, fewer than ${o.thresholds.minSamples}`)
    else if (decay > o.thresholds.maxDecay) vd.reasons.push(`${metric} decayed: ${fmt(value)} vs ${fmt(referenceValue)} in the reference (${fmt(change)}; limit ${o.thresholds.maxDecay})`)
  }
  return { metric, value, referenceValue, change }
}

/** Prediction PSI from the ledger, over the reference's deciles. */
async function outputAspect (ch: ClickHouse, ref: VersionWindowQuery, win: VersionWindowQuery, t: Thresholds, vd: Verdicts): Promise<number | null> {
  const edges = await predictionEdges(ch, ref)
  if (edges.length === 0) return null
  const [e, a] = await Promise.all([predictionCounts(ch, ref, edges), predictionCounts(ch, win, edges)])
  if (Math.min(sum(e), sum(a)) < t.minSamples) return null
  const p = psiOfCounts(e, a)
  if (!vd.overlap && p > t.maxOutputPsi) vd.reasons.push(`output drift: prediction PSI ${fmt(p)} (limit ${t.maxOutputPsi})`)
  return p
}

/** PSI per input feature from sampled request bodies. */
async function inputAspect (ch: ClickHouse, o: MonitorOptions, ref: VersionWindowQuery, win: VersionWindowQuery, vd: Verdicts): Promise<Record<string, number>> {
  const [refBodies, curBodies] = await Promise.all([requestBodies(ch, ref, o.maxBodies), requestBodies(ch, win, o.maxBodies)])
  const refF = featureValues(refBodies, o.featureNames)
  const curF = featureValues(curBodies, o.featureNames)
  const out: Record<string, number> = {}
  for (const [name, e] of refF) {
    const a = curF.get(name) ?? []
    if (Math.min(e.length, a.length) >= o.thresholds.minSamples) out[name] = psi(e, a)
  }
  const drifted = Object.entries(out).filter(([, p]) => p > o.thresholds.maxInputPsi).sort((x, y) => y[1] - x[1])
  if (!vd.overlap && drifted.length > 0) vd.reasons.push(`input drift: ${drifted.map(([f, p]) => `${f} PSI ${fmt(p)}`).join(', ')} (limit ${o.thresholds.maxInputPsi})`)
  return out
}

function defaultMetric (m: VersionMetrics): MetricName | null {
  if (m.labels === 'binary') return 'accuracy'
  if (m.labels === 'numeric') return 'mae'
  return m.valued > 0 ? 'value-mean' : null
}

function samplesOf (m: VersionMetrics, metric: MetricName): number {
  return metric === 'value-mean' || metric === 'value-rate' ? m.requests : m.scored
}

function pickMatch (m: { label: MatchCounts, value: MatchCounts }): MatchCounts {
  return m.label.outcomes > 0 ? m.label : m.value
}

/** PSI of two histograms over the same bins (shares floored like stats.psi, so empty bins stay finite). */
export function psiOfCounts (expected: readonly number[], actual: readonly number[]): number {
  const e = sum(expected)
  const a = sum(actual)
  let out = 0
  for (let k = 0; k < expected.length; k++) {
    const pe = Math.max(expected[k]! / e, 1e-4)
    const pa = Math.max((actual[k] ?? 0) / a, 1e-4)
    out += (pa - pe) * Math.log(pa / pe)
  }
  return out
}

function sum (xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0)
}

export function fmt (x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '-'
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(3)
}
