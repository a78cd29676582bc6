/**
 * Runs the outcome queries (metrics-sql.ts) for a model and a window of
 * request times, and reads the rows into additive sums per version: the whole
 * window and, with a bucket width, each bucket of it.
 */
import type { ClickHouse } from '../sink/clickhouse.js'
import { identifier } from '../sink/sql.js'
import { addSums, emptySums, type OutcomeSums } from './metrics.js'
import { matchSql, metricsSql } from './metrics-sql.js'

export interface OutcomeWindow {
  model: string
  /** Requests from (epoch ms, inclusive; cut to the second) … */
  from: number
  /** … to (epoch ms, exclusive; cut to the second, so a request is never counted before it is that old). */
  to: number
  /** Binary labels: a prediction at or above it counts as 1. */
  threshold: number
  /** Width of the time buckets of the series (ms); the whole window is one bucket when absent. */
  bucketMs?: number
  /** Also count matched and unmatched outcomes (default true). */
  match?: boolean
}

export interface VersionSeries {
  total: OutcomeSums
  /** Bucket index (from the window's start) -> sums. */
  buckets: Map<number, OutcomeSums>
}

export interface MatchCounts {
  /** Distinct request ids with an outcome of the kind whose `at` is in the window. */
  outcomes: number
  /** Of those, the ids the ledger knows. */
  matched: number
}

export interface OutcomeData {
  versions: Map<string, VersionSeries>
  match: { label: MatchCounts, value: MatchCounts }
}

type N = number | string

interface MetricRow {
  version: string
  bucket: N
  requests: N
  predicted: N
  labelled: N
  scored: N
  non_binary: N
  correct: N
  ll_sum: N
  ll_sq: N
  sq_sum: N
  sq_sq: N
  abs_sum: N
  y_sum: N
  valued: N
  v_sum: N
  v_sq: N
  positive: N
  hist: [N[], N[]]
  label_delay: [N[], N[]]
  value_delay: [N[], N[]]
}

export async function queryOutcomes (ch: ClickHouse, w: OutcomeWindow): Promise<OutcomeData> {
  const db = identifier(ch.database)
  const from = Math.floor(w.from / 1000)
  const to = Math.floor(w.to / 1000)
  const width = Math.max(1, Math.round(w.bucketMs ?? (to - from + 1) * 1000))
  const params = { model: w.model, from, to }
  const [rows, match] = await Promise.all([
    ch.select<MetricRow>(metricsSql(db), { ...params, origin: from * 1000, width, threshold: w.threshold }),
    w.match === false ? Promise.resolve([]) : ch.select<{ kind: string, outcomes: N, matched: N }>(matchSql(db), params)
  ])
  const versions = new Map<string, VersionSeries>()
  for (const r of rows) {
    let v = versions.get(r.version)
    if (v === undefined) versions.set(r.version, v = { total: emptySums(), buckets: new Map() })
    const s = sumsOf(r)
    v.buckets.set(Number(r.bucket), s)
    addSums(v.total, s)
  }
  const counts = (kind: string): MatchCounts => {
    const m = match.find(x => x.kind === kind)
    return { outcomes: Number(m?.outcomes ?? 0), matched: Number(m?.matched ?? 0) }
  }
  return { versions, match: { label: counts('label'), value: counts('value') } }
}

function sumsOf (r: MetricRow): OutcomeSums {
  return {
    requests: Number(r.requests),
    predicted: Number(r.predicted),
    labelled: Number(r.labelled),
    scored: Number(r.scored),
    nonBinary: Number(r.non_binary),
    correct: Number(r.correct),
    llSum: Number(r.ll_sum),
    llSq: Number(r.ll_sq),
    sqSum: Number(r.sq_sum),
    sqSq: Number(r.sq_sq),
    absSum: Number(r.abs_sum),
    ySum: Number(r.y_sum),
    valued: Number(r.valued),
    vSum: Number(r.v_sum),
    vSq: Number(r.v_sq),
    positive: Number(r.positive),
    hist: toMap(r.hist),
    labelDelay: toMap(r.label_delay),
    valueDelay: toMap(r.value_delay)
  }
}

function toMap ([keys, values]: [N[], N[]]): Map<number, number> {
  const m = new Map<number, number>()
  keys.forEach((k, i) => { m.set(Number(k), Number(values[i])) })
  return m
}

/** Versions merged (e.g. every version of a model), for match rates and totals. */
export function totalOf (data: OutcomeData): OutcomeSums {
  const t = emptySums()
  for (const v of data.versions.values()) addSums(t, v.total)
  return t
}
