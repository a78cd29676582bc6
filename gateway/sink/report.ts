/**
 * The per-version comparison behind `model-gateway report <model>`: exact request
 * counts, shares, error rates and latency percentiles from the rollups (every
 * request, deduplicated with FINAL), and the mean prediction from the sampled
 * records' response bodies where there are any. Live traffic only: a batch job
 * (traffic = 'batch') would swamp a canary comparison.
 */
import { LATENCY_BUCKETS_MS } from '../observe/records.js'
import type { ClickHouse } from './clickhouse.js'
import { identifier } from './sql.js'

export interface VersionReport {
  version: string
  requests: number
  share: number
  rate4xx: number
  rate5xx: number
  meanMs: number
  p50: number
  p95: number
  p99: number
  sampled: number
  meanPrediction: number | null
}

/**
 * The q-quantile (0..1) of a histogram with the gateway's latency buckets,
 * interpolated linearly inside the bucket it falls in. Values in the overflow
 * cell are reported as the last bound (a lower limit).
 */
export function histogramQuantile (cells: readonly number[], q: number, bounds: readonly number[] = LATENCY_BUCKETS_MS): number {
  const total = cells.reduce((a, b) => a + b, 0)
  if (total === 0) return NaN
  const target = q * total
  let acc = 0
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i]!
    if (c > 0 && acc + c >= target) {
      if (i >= bounds.length) return bounds[bounds.length - 1]!
      const lo = i === 0 ? 0 : bounds[i - 1]!
      const hi = bounds[i]!
      return lo + (hi - lo) * Math.max(0, Math.min(1, (target - acc) / c))
    }
    acc += c
  }
  return bounds[bounds.length - 1]!
}

interface RollupAgg {
  version: string
  /** Not named after a column: 18.16 resolves an alias that shadows a column inside the aggregate. */
  n: string | number
  c4: string | number
  c5: string | number
  latency_sum: number
  buckets: Array<string | number>
}

interface RecordAgg {
  version: string
  sampled: string | number
  mean_prediction: number | null
  predictions: string | number
}

/** Exact per-version totals since `sinceEpochS`, from the rollups table. */
export const ROLLUP_QUERY = (db: string): string => `SELECT version,
  sum(requests) AS n,
  sumIf(requests, status_class = 4) AS c4,
  sumIf(requests, status_class = 5) AS c5,
  sum(latency_sum_ms) AS latency_sum,
  sumForEach(latency_buckets) AS buckets
FROM ${db}.rollups FINAL
WHERE model = {model:String} AND minute >= toDateTime({since:UInt32}) AND traffic != 'batch'
GROUP BY version
ORDER BY version`

/**
 * Sampled records per version and the mean of the first output's data in each
 * 2xx response body (visitParamExtractRaw and extractAll exist on 18.16; JSONExtract does not).
 */
export const PREDICTION_QUERY = (db: string): string => `SELECT version,
  uniqExact(request_id) AS sampled,
  avgIf(p, has_p) AS mean_prediction,
  countIf(has_p) AS predictions
FROM (
  SELECT version, request_id,
    arrayMap(x -> toFloat64(x), extractAll(visitParamExtractRaw(response_body, 'data'), '-?[0-9]+(?:\\\\.[0-9]+)?(?:[eE][-+]?[0-9]+)?')) AS ps,
    arrayJoin(if(empty(ps) OR status >= 300, [nan], ps)) AS p,
    NOT isNaN(p) AS has_p
  FROM ${db}.records FINAL
  WHERE model = {model:String} AND time >= toDateTime({since:UInt32}) AND traffic != 'batch'
)
GROUP BY version
ORDER BY version`

export async function versionReport (ch: ClickHouse, model: string, sinceEpochS: number): Promise<VersionReport[]> {
  const db = identifier(ch.database)
  const params = { model, since: Math.max(0, Math.floor(sinceEpochS)) }
  const [rollups, records] = await Promise.all([
    ch.select<RollupAgg>(ROLLUP_QUERY(db), params),
    ch.select<RecordAgg>(PREDICTION_QUERY(db), params)
  ])
  const byVersion = new Map(records.map(r => [r.version, r]))
  const total = rollups.reduce((a, r) => a + Number(r.n), 0)
  return rollups.map(r => {
    const requests = Number(r.n)
    const cells = r.buckets.map(Number)
    const rec = byVersion.get(r.version)
    return {
      version: r.version === '' ? '(none)' : r.version,
      requests,
      share: total === 0 ? 0 : requests / total,
      rate4xx: requests === 0 ? 0 : Number(r.c4) / requests,
      rate5xx: requests === 0 ? 0 : Number(r.c5) / requests,
      meanMs: requests === 0 ? NaN : Number(r.latency_sum) / requests,
      p50: histogramQuantile(cells, 0.5),
      p95: histogramQuantile(cells, 0.95),
      p99: histogramQuantile(cells, 0.99),
      sampled: rec === undefined ? 0 : Number(rec.sampled),
      meanPrediction: rec === undefined || Number(rec.predictions) === 0 || rec.mean_prediction === null ? null : Number(rec.mean_prediction)
    }
  })
}

/** Plain-text table, one row per version. */
export function formatReport (model: string, since: string, rows: readonly VersionReport[]): string {
  const head = ['version', 'requests', 'share', '4xx', '5xx', 'mean ms', 'p50 ms', 'p95 ms', 'p99 ms', 'sampled', 'mean prediction']
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`
  const ms = (x: number): string => Number.isNaN(x) ? '-' : x >= LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1]! ? `>${x}` : x.toFixed(1)
  const body = rows.map(r => [r.version, String(r.requests), pct(r.share), pct(r.rate4xx), pct(r.rate5xx), ms(r.meanMs), ms(r.p50), ms(r.p95), ms(r.p99), String(r.sampled), r.meanPrediction === null ? '-' : r.meanPrediction.toFixed(4)])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map(b => b[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join('  ')
  const out = [`model ${model}, since ${since}`, line(head), widths.map(w => '-'.repeat(w)).join('  '), ...body.map(line)]
  if (rows.length === 0) out.push('(no requests in this period)')
  return out.join('\n') + '\n'
}

/** "90s", "15m", "1h", "2d" -> seconds. */
export function parseDuration (s: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(s.trim())
  if (m === null) throw new RangeError(`"${s}" is not a duration (use e.g. 90s, 15m, 1h, 2d)`)
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd']
}
