/**
 * `model-gateway report outcomes <model>`: per version, what its requests
 * turned out to be — the label metrics, the business value, coverage and
 * delays — over a window of request times, and the same per time bucket for
 * the picture. Also how many outcomes of the window matched a request.
 */
import type { ClickHouse } from '../sink/clickhouse.js'
import { finish, metricValue, type MetricName, type VersionMetrics } from './metrics.js'
import { queryOutcomes, type MatchCounts } from './query.js'

export interface OutcomeReport {
  model: string
  /** Epoch ms. */
  from: number
  to: number
  bucketMs: number
  threshold: number
  versions: Array<{ version: string, metrics: VersionMetrics, series: Array<{ at: number, metrics: VersionMetrics }> }>
  match: { label: MatchCounts & { unmatched: number, rate: number | null }, value: MatchCounts & { unmatched: number, rate: number | null } }
}

export async function outcomeReport (ch: ClickHouse, model: string, from: number, to: number, bucketMs: number, threshold: number): Promise<OutcomeReport> {
  const data = await queryOutcomes(ch, { model, from, to, threshold, bucketMs })
  const origin = Math.floor(from / 1000) * 1000
  const versions = [...data.versions].sort(([a], [b]) => a.localeCompare(b)).map(([version, v]) => ({
    version,
    metrics: finish(v.total),
    series: [...v.buckets].sort(([a], [b]) => a - b).map(([b, s]) => ({ at: origin + b * bucketMs, metrics: finish(s) }))
  }))
  const match = (m: MatchCounts): MatchCounts & { unmatched: number, rate: number | null } =>
    ({ ...m, unmatched: m.outcomes - m.matched, rate: m.outcomes === 0 ? null : m.matched / m.outcomes })
  return { model, from, to, bucketMs, threshold, versions, match: { label: match(data.match.label), value: match(data.match.value) } }
}

/** The metric the picture shows by default: accuracy with binary labels, MAE with numeric ones, else the value. */
export function defaultMetric (r: OutcomeReport): MetricName {
  const labels = r.versions.map(v => v.metrics.labels)
  if (labels.includes('binary')) return 'accuracy'
  if (labels.includes('numeric')) return 'mae'
  return 'value-mean'
}

const f = (x: number | null, digits = 4): string => x === null || !Number.isFinite(x) ? '-' : x.toFixed(digits)
const pct = (x: number | null): string => x === null || !Number.isFinite(x) ? '-' : `${(x * 100).toFixed(1)}%`
const secs = (x: number | null | undefined): string => x === null || x === undefined ? '-' : x >= 86_400 ? `${(x / 86_400).toFixed(1)}d` : x >= 3600 ? `${(x / 3600).toFixed(1)}h` : x >= 60 ? `${(x / 60).toFixed(1)}m` : `${x.toFixed(1)}s`

export function formatOutcomeReport (r: OutcomeReport, window: string): string {
  const head = ['version', 'requests', 'labelled', 'accuracy', 'auc', 'log loss', 'brier', 'mae', 'rmse', 'value mean (95% CI)', 'value rate (95% CI)', 'label delay p50/p90']
  const rows = r.versions.map(({ version, metrics: m }) => [
    version,
    String(m.requests),
    `${m.labelled} (${pct(m.coverage)})`,
    f(m.accuracy),
    f(m.auc),
    f(m.logLoss),
    f(m.brier),
    f(m.mae),
    f(m.rmse),
    m.valueMean === null ? '-' : `${f(m.valueMean)} (${f(m.valueMeanCi?.low ?? null)}..${f(m.valueMeanCi?.high ?? null)})`,
    m.valueRate === null ? '-' : `${pct(m.valueRate)} (${pct(m.valueRateCi?.low ?? null)}..${pct(m.valueRateCi?.high ?? null)})`,
    m.labelDelayS === null ? '-' : `${secs(m.labelDelayS.p50)}/${secs(m.labelDelayS.p90)}`
  ])
  // Columns no version has a figure for are left out.
  const keep = head.map((_h, i) => i < 3 || rows.some(row => row[i] !== '-'))
  const h = head.filter((_x, i) => keep[i])
  const body = rows.map(row => row.filter((_x, i) => keep[i]))
  const widths = h.map((x, i) => Math.max(x.length, ...body.map(b => b[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join('  ')
  const out = [
    `model ${r.model}, requests of the last ${window} (${new Date(r.from).toISOString()} .. ${new Date(r.to).toISOString()}); accuracy at threshold ${r.threshold}`,
    line(h), widths.map(w => '-'.repeat(w)).join('  '), ...body.map(line)
  ]
  if (r.versions.length === 0) out.push('(no requests on the ledger in this window)')
  for (const kind of ['label', 'value'] as const) {
    const m = r.match[kind]
    if (m.outcomes > 0) out.push(`${kind}s reported in the window: ${m.outcomes}, matched to a request ${m.matched} (${pct(m.rate)}), unmatched ${m.unmatched}`)
  }
  for (const { version, metrics: m } of r.versions) {
    if (m.calibration.length === 0) continue
    out.push(`calibration ${version} (predicted -> observed, n): ${m.calibration.map(b => `${b.from.toFixed(1)}+ ${f(b.meanPrediction, 2)}->${f(b.positiveRate, 2)} (${b.n})`).join('  ')}`)
  }
  return out.join('\n') + '\n'
}

/** The series of one metric per version, for the picture. */
export function metricSeries (r: OutcomeReport, metric: MetricName): Array<{ version: string, points: Array<{ at: number, value: number }> }> {
  return r.versions.map(v => ({
    version: v.version,
    points: v.series.flatMap(p => {
      const x = metricValue(p.metrics, metric)
      return x === null || !Number.isFinite(x) ? [] : [{ at: p.at, value: x }]
    })
  }))
}
