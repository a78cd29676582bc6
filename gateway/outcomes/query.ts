/**
 * Runs the outcome queries (metrics-sql.ts) for a model and a window of
 * request times, and reads the rows into additive sums per version: the whole
 * window and, with a bucket width, each bucket of it; and the window's
 * outcomes, matched to a request or not.
 */
import type { ClickHouse } from '../sink/clickhouse.js'
import { identifier } from '../sink/sql.js'
import { addSums, emptySums, type OutcomeSums } from './metrics.js'
import { outcomesSql, requestsSql } from './metrics-sql.js'

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
  /** Count requests with FINAL: exact even before ClickHouse merged away redelivered ledger rows (slower). */
  final?: boolean
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
type Pairs = [N[], N[]]

interface RequestRow { version: string, bucket: N, requests: N, predicted: N }

interface OutcomeRow {
  version: string
  bucket: N
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
  hist: Pairs
  label_delay: Pairs
  value_delay: Pairs
  label_outcomes: N
  label_matched: N
  value_outcomes: N
  value_matched: N
}

export async function queryOutcomes (ch: ClickHouse, w: OutcomeWindow): Promise<OutcomeData> {
  const db = identifier(ch.database)
  const from = Math.floor(w.from / 1000)
  const to = Math.floor(w.to / 1000)
  const width = Math.max(1, Math.round(w.bucketMs ?? (to - from + 1) * 1000))
  const params = { model: w.model, from, to, origin: from * 1000, width }
  const [requests, outcomes] = await Promise.all([
    ch.select<RequestRow>(requestsSql(db, w.final === true), params),
    ch.select<OutcomeRow>(outcomesSql(db), { ...params, fromMs: from * 1000, toMs: to * 1000, threshold: w.threshold })
  ])
  const versions = new Map<string, VersionSeries>()
  const cell = (version: string, bucket: number): OutcomeSums => {
    let v = versions.get(version)
    if (v === undefined) versions.set(version, v = { total: emptySums(), buckets: new Map() })
    let s = v.buckets.get(bucket)
    if (s === undefined) v.buckets.set(bucket, s = emptySums())
    return s
  }
  for (const r of requests) {
    const s = cell(r.version, Number(r.bucket))
    s.requests += Number(r.requests)
    s.predicted += Number(r.predicted)
  }
  const match = { label: { outcomes: 0, matched: 0 }, value: { outcomes: 0, matched: 0 } }
  for (const r of outcomes) {
    match.label.outcomes += Number(r.label_outcomes)
    match.label.matched += Number(r.label_matched)
    match.value.outcomes += Number(r.value_outcomes)
    match.value.matched += Number(r.value_matched)
    // Rows of requests outside the window (or of unknown ids) only carried match counts.
    if (Number(r.labelled) === 0 && Number(r.valued) === 0) continue
    addSums(cell(r.version, Number(r.bucket)), sumsOf(r))
  }
  for (const v of versions.values()) for (const s of v.buckets.values()) addSums(v.total, s)
  return { versions, match }
}

function sumsOf (r: OutcomeRow): OutcomeSums {
  return {
    requests: 0,
    predicted: 0,
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

function toMap ([keys, values]: Pairs): Map<number, number> {
  const m = new Map<number, number>()
  keys.forEach((k, i) => { m.set(Number(k), Number(values[i])) })
  return m
}
