/**
 * `model-gateway report shadow <model>`: how a shadow version answered the live
 * requests mirrored to it, from shadow_pairs: agreement with the
 * primary (exact and within a tolerance), the distribution of the differences,
 * latency side by side and the shadow's errors. Also the summary the rollout
 * controller shows as pre-traffic evidence (shadowSummary).
 */
import type { ClickHouse } from './clickhouse.js'
import { identifier } from './sql.js'
import { DEFAULT_SHADOW_TOLERANCE, type ShadowSummary } from '../observe/shadow-tally.js'

export { DEFAULT_SHADOW_TOLERANCE, type ShadowSummary }

interface SummaryRow {
  shadow_version: string
  pairs: string | number
  both: string | number
  exact_n: string | number
  within_n: string | number
  bins: Array<string | number>
  diff_q: number[]
  diff_max: number | null
  primary_q: number[]
  shadow_q: number[]
  shadow_errors: string | number
}

/** Per shadow version: counts, agreement, difference bins and quantiles, latencies (FINAL: redelivered pairs collapse). */
export const SHADOW_SUMMARY_QUERY = (db: string): string => `SELECT shadow_version,
  count() AS pairs,
  countIf(primary_status BETWEEN 200 AND 299 AND shadow_status BETWEEN 200 AND 299) AS both,
  countIf(exact = 1) AS exact_n,
  countIf(comparable = 1 AND max_abs_diff <= {tol:Float64}) AS within_n,
  [countIf(comparable = 1 AND max_abs_diff = 0),
   countIf(comparable = 1 AND max_abs_diff > 0 AND max_abs_diff <= 0.000001),
   countIf(comparable = 1 AND max_abs_diff > 0.000001 AND max_abs_diff <= 0.001),
   countIf(comparable = 1 AND max_abs_diff > 0.001 AND max_abs_diff <= 0.01),
   countIf(comparable = 1 AND max_abs_diff > 0.01 AND max_abs_diff <= 0.1),
   countIf(comparable = 1 AND max_abs_diff > 0.1),
   countIf(comparable = 0 AND primary_status BETWEEN 200 AND 299 AND shadow_status BETWEEN 200 AND 299)] AS bins,
  quantilesExactIf(0.5, 0.99)(max_abs_diff, comparable = 1) AS diff_q,
  maxIf(max_abs_diff, comparable = 1) AS diff_max,
  quantilesExact(0.5, 0.99)(primary_ms) AS primary_q,
  quantilesExactIf(0.5, 0.99)(shadow_ms, shadow_status > 0) AS shadow_q,
  countIf(NOT (shadow_status BETWEEN 200 AND 299)) AS shadow_errors
FROM ${db}.shadow_pairs FINAL
WHERE model = {model:String} AND time >= toDateTime({since:UInt32})
GROUP BY shadow_version
ORDER BY shadow_version`

export const SHADOW_ERRORS_QUERY = (db: string): string => `SELECT shadow_version, shadow_status AS status, shadow_error AS error, count() AS n
FROM ${db}.shadow_pairs FINAL
WHERE model = {model:String} AND time >= toDateTime({since:UInt32}) AND NOT (shadow_status BETWEEN 200 AND 299)
GROUP BY shadow_version, status, error
ORDER BY n DESC
LIMIT 20`

/** Every shadow version of `model` since `sinceEpochS`, or one version when `version` is given. */
export async function shadowReport (ch: ClickHouse, model: string, sinceEpochS: number, tolerance = DEFAULT_SHADOW_TOLERANCE, version?: string): Promise<ShadowSummary[]> {
  const db = identifier(ch.database)
  const params = { model, since: Math.max(0, Math.floor(sinceEpochS)), tol: tolerance }
  const [rows, errs] = await Promise.all([
    ch.select<SummaryRow>(SHADOW_SUMMARY_QUERY(db), params),
    ch.select<{ shadow_version: string, status: number, error: string, n: string | number }>(SHADOW_ERRORS_QUERY(db), { model, since: params.since })
  ])
  const num = (x: number | null | undefined, has: boolean): number | null => !has || x === null || x === undefined || Number.isNaN(Number(x)) ? null : Number(x)
  return rows.filter(r => version === undefined || r.shadow_version === version).map(r => {
    const both = Number(r.both)
    const bins = r.bins.map(Number)
    const comparable = bins.slice(0, 6).reduce((a, b) => a + b, 0)
    const answered = Number(r.pairs) - Number(r.shadow_errors)
    return {
      model,
      shadowVersion: r.shadow_version,
      pairs: Number(r.pairs),
      bothAnswered: both,
      exactAgreement: both === 0 ? null : Number(r.exact_n) / both,
      toleranceAgreement: both === 0 ? null : Number(r.within_n) / both,
      tolerance,
      diffBins: bins,
      diffP50: num(r.diff_q[0], comparable > 0),
      diffP99: num(r.diff_q[1], comparable > 0),
      diffMax: num(r.diff_max, comparable > 0),
      primaryP50Ms: num(r.primary_q[0], Number(r.pairs) > 0),
      primaryP99Ms: num(r.primary_q[1], Number(r.pairs) > 0),
      shadowP50Ms: num(r.shadow_q[0], answered > 0),
      shadowP99Ms: num(r.shadow_q[1], answered > 0),
      shadowErrors: Number(r.shadow_errors),
      errors: errs.filter(e => e.shadow_version === r.shadow_version).map(e => ({ status: Number(e.status), error: e.error, n: Number(e.n) }))
    }
  })
}

/**
 * The shadow results of one version, for `rollout status` (pre-traffic evidence):
 * null when the version was never mirrored in the period.
 */
export async function shadowSummary (ch: ClickHouse, model: string, version: string, sinceEpochS: number, tolerance = DEFAULT_SHADOW_TOLERANCE): Promise<ShadowSummary | null> {
  return (await shadowReport(ch, model, sinceEpochS, tolerance, version))[0] ?? null
}

export function formatShadowReport (model: string, since: string, rows: readonly ShadowSummary[]): string {
  const pct = (x: number | null): string => x === null ? '-' : `${(x * 100).toFixed(2)}%`
  const ms = (x: number | null): string => x === null ? '-' : x.toFixed(2)
  const g = (x: number | null): string => x === null ? '-' : x.toPrecision(3)
  const out = [`shadow traffic of model ${model}, since ${since}`]
  if (rows.length === 0) out.push('(no shadow pairs in this period)')
  for (const r of rows) {
    out.push('',
      `shadow version ${r.shadowVersion}: ${r.pairs} mirrored requests, ${r.bothAnswered} answered by both`,
      `  agreement     exact ${pct(r.exactAgreement)}   within ${r.tolerance} ${pct(r.toleranceAgreement)}`,
      `  difference    p50 ${g(r.diffP50)}   p99 ${g(r.diffP99)}   max ${g(r.diffMax)}`,
      `  differences   =0: ${r.diffBins[0]}  <=1e-6: ${r.diffBins[1]}  <=1e-3: ${r.diffBins[2]}  <=1e-2: ${r.diffBins[3]}  <=1e-1: ${r.diffBins[4]}  >1e-1: ${r.diffBins[5]}  not comparable: ${r.diffBins[6]}`,
      '  latency ms    primary   shadow',
      `    p50         ${ms(r.primaryP50Ms).padStart(7)}  ${ms(r.shadowP50Ms).padStart(7)}`,
      `    p99         ${ms(r.primaryP99Ms).padStart(7)}  ${ms(r.shadowP99Ms).padStart(7)}`,
      `  shadow errors ${r.shadowErrors}${r.errors.length === 0 ? '' : ': ' + r.errors.map(e => `${e.error === '' ? `HTTP ${e.status}` : e.error} x${e.n}`).join(', ')}`)
  }
  return out.join('\n') + '\n'
}
