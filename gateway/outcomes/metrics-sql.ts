/**
 * The outcome queries, in SQL that ClickHouse 18.16 and current servers run
 * alike (ANY LEFT JOIN … USING, -If combinators, sumMap; no window functions).
 *
 * One request = one ledger row: the rows of a request id are grouped first
 * (a redelivered segment repeats them; the earliest time and its version
 * count), keyed by cityHash64(request_id) so the group-by and the join work on
 * integers. Its outcomes are grouped the same way, the latest `at` of each kind
 * winning (argMax), so a duplicate adds nothing and a correction replaces the
 * first report. What comes back per version (and time bucket) is additive —
 * counts, sums, sums of squares and histograms — so buckets add up to the
 * window, windows compare, and the statistics are finished in TypeScript
 * (metrics.ts).
 */

/** Predictions are binned to 1/PREDICTION_BINS for ROC AUC and calibration. */
export const PREDICTION_BINS = 1000
/** Delays are binned in quarter octaves of seconds: bin k holds [2^(k/4) - 1, 2^((k+1)/4) - 1). */
export const DELAY_BINS_PER_OCTAVE = 4
/** Log loss clamps predictions to [EPS, 1 - EPS]. */
export const LOG_LOSS_EPS = 1e-15

/** Requests of a model in [from, to) (epoch s), one row per request id. */
export function requestsSql (db: string): string {
  return `SELECT cityHash64(request_id) AS h,
    argMin(version, toUInt64(time) * 1000 + millis) AS version,
    min(toUInt64(time) * 1000 + millis) AS t,
    argMin(prediction, toUInt64(time) * 1000 + millis) AS p,
    argMin(has_prediction, toUInt64(time) * 1000 + millis) AS hp
  FROM ${db}.ledger
  WHERE model = {model:String} AND time >= toDateTime({from:UInt32}) AND time < toDateTime({to:UInt32})
  GROUP BY h`
}

/** The latest label and value of each request id of a model. */
export function outcomesSql (db: string): string {
  return `SELECT cityHash64(request_id) AS h,
    argMaxIf(x, at_ms, kind = 'label') AS y, toUInt8(countIf(kind = 'label') > 0) AS hy, maxIf(at_ms, kind = 'label') AS ty,
    argMaxIf(x, at_ms, kind = 'value') AS v, toUInt8(countIf(kind = 'value') > 0) AS hv, maxIf(at_ms, kind = 'value') AS tv
  FROM ${db}.outcomes
  WHERE model = {model:String}
  GROUP BY h`
}

/**
 * Sums per version and bucket (bucket = intDiv(request time - origin, width),
 * all 0 with one bucket). `s` = scored: a label and a prediction.
 */
export function metricsSql (db: string): string {
  const s = 'hy = 1 AND hp = 1'
  const pc = `least(greatest(p, ${LOG_LOSS_EPS}), ${1 - LOG_LOSS_EPS})`
  const ll = `-(y * log(${pc}) + (1 - y) * log(1 - ${pc}))`
  const delay = (tcol: string): string => `toUInt32(floor(log2(greatest(toInt64(${tcol}) - toInt64(t), 0) / 1000 + 1) * ${DELAY_BINS_PER_OCTAVE}))`
  return `SELECT version, toUInt32(intDiv(t - {origin:UInt64}, {width:UInt64})) AS bucket,
    count() AS requests,
    sum(hp) AS predicted,
    sum(hy) AS labelled,
    countIf(${s}) AS scored,
    countIf(${s} AND y != 0 AND y != 1) AS non_binary,
    countIf(${s} AND (p >= {threshold:Float64}) = (y >= 0.5)) AS correct,
    sumIf(${ll}, ${s}) AS ll_sum,
    sumIf(pow(${ll}, 2), ${s}) AS ll_sq,
    sumIf(pow(p - y, 2), ${s}) AS sq_sum,
    sumIf(pow(p - y, 4), ${s}) AS sq_sq,
    sumIf(abs(p - y), ${s}) AS abs_sum,
    sumIf(y, ${s}) AS y_sum,
    sum(hv) AS valued,
    sumIf(v, hv = 1) AS v_sum,
    sumIf(v * v, hv = 1) AS v_sq,
    countIf(hv = 1 AND v > 0) AS positive,
    sumMapIf([toUInt32(round(least(greatest(p, 0), 1) * ${PREDICTION_BINS})) * 2 + toUInt32(y >= 0.5)], [toUInt64(1)], ${s}) AS hist,
    sumMapIf([${delay('ty')}], [toUInt64(1)], hy = 1) AS label_delay,
    sumMapIf([${delay('tv')}], [toUInt64(1)], hv = 1) AS value_delay
  FROM (${requestsSql(db)}) ANY LEFT JOIN (${outcomesSql(db)}) USING (h)
  GROUP BY version, bucket
  ORDER BY version, bucket`
}

/**
 * Outcomes of a model whose `at` falls in [from, to) (epoch s), by kind: how
 * many distinct request ids, and how many of them the ledger knows (any time
 * before `to`). The rest are unmatched: ids the gateway never answered (or
 * answered before the ledger's retention), counted, never dropped.
 */
export function matchSql (db: string): string {
  return `SELECT kind, count() AS outcomes, sum(h IN (SELECT cityHash64(request_id) FROM ${db}.ledger WHERE model = {model:String} AND time < toDateTime({to:UInt32}))) AS matched
  FROM (
    SELECT cityHash64(request_id) AS h, kind
    FROM ${db}.outcomes
    WHERE model = {model:String} AND at >= toDateTime({from:UInt32}) AND at < toDateTime({to:UInt32})
    GROUP BY h, kind
  )
  GROUP BY kind`
}
