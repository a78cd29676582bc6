-- Analyst queries over the scoring logs (database model_gateway).
-- Every query runs on ClickHouse 18.16 and on current servers
-- (test/integration/pipeline-queries.test.ts runs each one).
--
-- Run one by name on any server version (values bound safely, also on 18.16,
-- which has no query parameters):
--   npx model-gateway query requests_per_version --param model=fraud --since 1h
-- Placeholders {model:String} and {since:UInt32} (epoch seconds). With
-- clickhouse-client on a current server pass --param_model=fraud
-- --param_since=$(date -d '-1 hour' +%s). docs/analyst-guide.md shows what each
-- query prints (test/integration/analyst-queries.test.ts checks it).
--
-- Which table answers what:
--   rollups  exact per-minute counts of EVERY request, per gateway process, model,
--            version and status class, with a latency histogram. Rows are cumulative
--            and deduplicated by ReplacingMergeTree(flush_seq): always read with FINAL.
--   records  the sampled requests (sample_rate says which share each stands for),
--            with bodies. Kafka redelivery can store a record twice until parts
--            merge: read with FINAL or count uniqExact(request_id).
--   health_checks  active probe results.
--   ledger   one row per live request of a model with an `outcomes` section (every
--            request, not a sample): version, sticky bucket, prediction. Group by
--            request_id (here: its cityHash64) to count a redelivered row once.
--   outcomes labels (kind 'label') and business values (kind 'value') by request id;
--            the latest `at` wins: argMax(x, at_ms) grouped by request_id.
--   outcome_monitor  one row per model, version and `model-gateway monitor` run.
--
-- Traffic kind: records and rollups carry traffic = 'live' | 'batch' (batch jobs send
-- x-gateway-traffic: batch). Rollup rows stored before that column existed read ''
-- and are live traffic: filter live traffic with traffic != 'batch'. The per-version
-- queries below count live traffic only, so a nightly batch job does not skew a
-- canary comparison; batch_vs_live_per_version shows both.
--
-- Latency buckets (ms upper bounds) of rollups.latency_buckets, one cell per bound
-- plus an overflow cell: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, +inf].

-- name: requests_per_version
-- Exact requests per version and their share of the model's traffic.
SELECT version,
  sum(requests) AS n,
  round(100 * n / (SELECT sum(requests) FROM model_gateway.rollups FINAL WHERE model = {model:String} AND minute >= toDateTime({since:UInt32}) AND traffic != 'batch'), 2) AS share_pct
FROM model_gateway.rollups FINAL
WHERE model = {model:String} AND minute >= toDateTime({since:UInt32}) AND traffic != 'batch'
GROUP BY version
ORDER BY version;

-- name: error_rate_per_version
-- Share of 4xx and 5xx answers per version (exact, from the rollups).
SELECT version,
  sum(requests) AS n,
  round(100 * sumIf(requests, status_class = 4) / n, 3) AS pct_4xx,
  round(100 * sumIf(requests, status_class = 5) / n, 3) AS pct_5xx
FROM model_gateway.rollups FINAL
WHERE model = {model:String} AND minute >= toDateTime({since:UInt32}) AND traffic != 'batch'
GROUP BY version
ORDER BY version;

-- name: latency_percentiles_by_minute
-- p50/p95/p99 per version and minute from the rollup histograms (upper bound of
-- the bucket the percentile falls in; the report command interpolates inside it).
SELECT minute, version, n,
  arrayElement(bounds, arrayFirstIndex(c -> c >= n * 0.50, cum)) AS p50_ms_le,
  arrayElement(bounds, arrayFirstIndex(c -> c >= n * 0.95, cum)) AS p95_ms_le,
  arrayElement(bounds, arrayFirstIndex(c -> c >= n * 0.99, cum)) AS p99_ms_le
FROM (
  SELECT minute, version,
    sum(requests) AS n,
    arrayCumSum(sumForEach(latency_buckets)) AS cum,
    [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, inf] AS bounds
  FROM model_gateway.rollups FINAL
  WHERE model = {model:String} AND minute >= toDateTime({since:UInt32}) AND traffic != 'batch'
  GROUP BY minute, version
)
ORDER BY minute, version;

-- name: requests_per_application
-- Requests and 429s (quota refusals, version '') per calling application and version; application '' without access control.
SELECT application, version, sum(requests) AS requests, sum(throttled) AS throttled
FROM model_gateway.rollups FINAL
WHERE model = {model:String} AND minute >= toDateTime({since:UInt32})
GROUP BY application, version
ORDER BY application, version;

-- name: batch_vs_live_per_version
-- Exact requests and 5xx share per version and traffic kind ('' = live, stored before the column existed).
SELECT version,
  if(traffic = 'batch', 'batch', 'live') AS kind,
  sum(requests) AS n,
  round(100 * sumIf(requests, status_class = 5) / n, 3) AS pct_5xx
FROM model_gateway.rollups FINAL
WHERE model = {model:String} AND minute >= toDateTime({since:UInt32})
GROUP BY version, kind
ORDER BY version, kind;

-- name: sample_weighted_requests_per_version
-- Requests estimated from the sampled records alone (sum of 1 / sample_rate), next to
-- the errors among them. Errors carry sample_rate 1 while alwaysSampleErrors is on, so
-- estimated_errors is exact; compare estimated_requests with requests_per_version.
SELECT version, traffic,
  count() AS records,
  round(sum(1 / sample_rate)) AS estimated_requests,
  round(sumIf(1 / sample_rate, status >= 400 OR error_code != '')) AS estimated_errors
FROM model_gateway.records FINAL
WHERE model = {model:String} AND time >= toDateTime({since:UInt32})
GROUP BY version, traffic
ORDER BY version, traffic;

-- name: latency_percentiles_from_records
-- Exact-latency percentiles from the sampled records (a sample: fine for a
-- canary at a high rate, noisy for a version sampled at 1%).
SELECT version,
  count() AS sampled,
  quantileExact(0.5)(total_ms) AS p50_ms,
  quantileExact(0.95)(total_ms) AS p95_ms,
  quantileExact(0.99)(total_ms) AS p99_ms
FROM model_gateway.records FINAL
WHERE model = {model:String} AND time >= toDateTime({since:UInt32})
GROUP BY version
ORDER BY version;

-- name: canary_vs_stable_by_minute
-- The two versions of a canary release side by side, minute by minute: requests,
-- 5xx rate and mean latency. Versions are ordered by name; v1 = stable, v2 = canary
-- in the example.
SELECT minute,
  sumIf(requests, version = 'v1') AS stable_n,
  sumIf(requests, version = 'v2') AS canary_n,
  round(100 * sumIf(requests, version = 'v1' AND status_class = 5) / greatest(stable_n, 1), 3) AS stable_pct_5xx,
  round(100 * sumIf(requests, version = 'v2' AND status_class = 5) / greatest(canary_n, 1), 3) AS canary_pct_5xx,
  round(sumIf(latency_sum_ms, version = 'v1') / greatest(stable_n, 1), 2) AS stable_mean_ms,
  round(sumIf(latency_sum_ms, version = 'v2') / greatest(canary_n, 1), 2) AS canary_mean_ms
FROM model_gateway.rollups FINAL
WHERE model = {model:String} AND minute >= toDateTime({since:UInt32}) AND traffic != 'batch'
GROUP BY minute
ORDER BY minute;

-- name: prediction_distribution_per_version
-- Distribution of the fraud model's predicted probability per version, from the
-- response bodies of sampled 2xx records: ten bins of width 0.1. The first
-- "data" array of the body holds the fraud_probability output
-- ({"outputs":[{"name":"fraud_probability",...,"data":[0.12]}]});
-- visitParamExtractRaw/extractAll work on 18.16, where JSONExtract does not exist.
SELECT version,
  least(floor(p * 10), 9) / 10 AS bin_from,
  count() AS predictions,
  round(sum(1 / sample_rate)) AS estimated_requests
FROM (
  SELECT version, sample_rate,
    arrayJoin(arrayMap(x -> toFloat64(x), extractAll(visitParamExtractRaw(response_body, 'data'), '-?[0-9]+(?:\\.[0-9]+)?(?:[eE][-+]?[0-9]+)?'))) AS p
  FROM model_gateway.records FINAL
  WHERE model = {model:String} AND time >= toDateTime({since:UInt32}) AND status < 300
)
GROUP BY version, bin_from
ORDER BY version, bin_from;

-- name: mean_prediction_per_version
-- Mean and spread of the predicted probability per version. The variance is
-- clamped at 0: with all predictions equal, rounding can make it a tiny negative
-- number whose square root is NaN (on one server; merged partial states from
-- shards give 0).
SELECT version,
  count() AS predictions,
  round(avg(p), 4) AS mean_p,
  round(quantileExact(0.5)(p), 4) AS median_p,
  round(sqrt(greatest(varPop(p), 0)), 4) AS stddev_p
FROM (
  SELECT version,
    arrayJoin(arrayMap(x -> toFloat64(x), extractAll(visitParamExtractRaw(response_body, 'data'), '-?[0-9]+(?:\\.[0-9]+)?(?:[eE][-+]?[0-9]+)?'))) AS p
  FROM model_gateway.records FINAL
  WHERE model = {model:String} AND time >= toDateTime({since:UInt32}) AND status < 300
)
GROUP BY version
ORDER BY version;

-- name: sampled_errors
-- The latest sampled errors (every error is recorded while alwaysSampleErrors is on).
SELECT toDateTime(time) AS at, millis, request_id, version, replica, status, error_code, total_ms
FROM model_gateway.records FINAL
WHERE model = {model:String} AND time >= toDateTime({since:UInt32}) AND (status >= 400 OR error_code != '')
ORDER BY time DESC, millis DESC
LIMIT 50;

-- name: sticky_users_per_version
-- Distinct sticky keys (hashed; the raw key never leaves the gateway) seen per version.
SELECT version, uniqExact(sticky_hash) AS users
FROM model_gateway.records FINAL
WHERE model = {model:String} AND time >= toDateTime({since:UInt32}) AND has_sticky_key = 1
GROUP BY version
ORDER BY version;

-- name: health_checks_per_replica
-- Active health-check results per replica: probes, failures, mean probe latency.
SELECT version, replica,
  count() AS probes,
  countIf(ok = 0) AS failed,
  round(avg(latency_ms), 2) AS mean_ms
FROM model_gateway.health_checks FINAL
WHERE model = {model:String} AND time >= toDateTime({since:UInt32})
GROUP BY version, replica
ORDER BY version, replica;

-- Shadow traffic: shadow_pairs holds one row per mirrored request, with
-- both answers. comparable/exact/max_abs_diff are computed by the gateway (same
-- output names and shapes; every value equal; largest absolute difference). Read
-- with FINAL (a redelivered pair collapses). Agreement is over the pairs both
-- sides answered 2xx; change 0.001 to the tolerance that matters for the model.

-- name: shadow_agreement
-- Per shadow version: pairs, how many both answered, exact agreement and agreement within 0.001.
SELECT shadow_version,
  count() AS pairs,
  countIf(primary_status BETWEEN 200 AND 299 AND shadow_status BETWEEN 200 AND 299) AS both_answered,
  round(100 * countIf(exact = 1) / both_answered, 2) AS exact_pct,
  round(100 * countIf(comparable = 1 AND max_abs_diff <= 0.001) / both_answered, 2) AS within_tolerance_pct
FROM model_gateway.shadow_pairs FINAL
WHERE model = {model:String} AND time >= toDateTime({since:UInt32})
GROUP BY shadow_version
ORDER BY shadow_version;

-- name: shadow_difference_distribution
-- How far the shadow's outputs are from the primary's, in bins of the largest absolute difference.
SELECT shadow_version,
  multiIf(comparable = 0, 'not comparable', max_abs_diff = 0, '0', max_abs_diff <= 0.000001, '<= 1e-6', max_abs_diff <= 0.001, '<= 1e-3',
          max_abs_diff <= 0.01, '<= 1e-2', max_abs_diff <= 0.1, '<= 1e-1', '> 1e-1') AS diff_bin,
  count() AS pairs
FROM model_gateway.shadow_pairs FINAL
WHERE model = {model:String} AND time >= toDateTime({since:UInt32})
  AND primary_status BETWEEN 200 AND 299 AND shadow_status BETWEEN 200 AND 299
GROUP BY shadow_version, diff_bin
ORDER BY shadow_version, diff_bin;

-- name: shadow_latency_side_by_side
-- Primary and shadow model latency (ms) on the same requests; the shadow's only where it answered.
SELECT shadow_version,
  round(quantileExact(0.5)(primary_ms), 2) AS primary_p50_ms,
  round(quantileExact(0.99)(primary_ms), 2) AS primary_p99_ms,
  round(quantileExactIf(0.5)(shadow_ms, shadow_status > 0), 2) AS shadow_p50_ms,
  round(quantileExactIf(0.99)(shadow_ms, shadow_status > 0), 2) AS shadow_p99_ms
FROM model_gateway.shadow_pairs FINAL
WHERE model = {model:String} AND time >= toDateTime({since:UInt32})
GROUP BY shadow_version
ORDER BY shadow_version;

-- name: shadow_errors
-- What went wrong on the shadow side (no answer: the error code; else the HTTP status).
SELECT shadow_version, shadow_status, shadow_error, count() AS n
FROM model_gateway.shadow_pairs FINAL
WHERE model = {model:String} AND time >= toDateTime({since:UInt32}) AND NOT (shadow_status BETWEEN 200 AND 299)
GROUP BY shadow_version, shadow_status, shadow_error
ORDER BY n DESC
LIMIT 20;

-- name: outcome_accuracy_per_version
-- Binary labels: labelled requests, accuracy at 0.5 and Brier score per version, for
-- requests since {since}: the ledger joined to the latest label of each request.
SELECT version, count() AS requests, sum(hy) AS labelled,
  round(countIf(hy = 1 AND hp = 1 AND (p >= 0.5) = (y >= 0.5)) / countIf(hy = 1 AND hp = 1), 4) AS accuracy,
  round(sumIf(pow(p - y, 2), hy = 1 AND hp = 1) / countIf(hy = 1 AND hp = 1), 4) AS brier
FROM (
  SELECT cityHash64(request_id) AS h, any(version) AS version, any(prediction) AS p, any(has_prediction) AS hp
  FROM model_gateway.ledger
  WHERE model = {model:String} AND time >= toDateTime({since:UInt32})
  GROUP BY h
) GLOBAL ANY LEFT JOIN (
  SELECT cityHash64(request_id) AS h, argMax(x, at_ms) AS y, toUInt8(1) AS hy
  FROM model_gateway.outcomes
  WHERE model = {model:String} AND kind = 'label'
  GROUP BY h
) USING (h)
GROUP BY version
ORDER BY version;

-- name: business_value_per_version
-- Business value per request (a request without one counts 0: every request is on the
-- ledger) and the share of requests with a positive value, per version.
SELECT version, count() AS requests, round(sum(v) / count(), 4) AS value_per_request, round(countIf(v > 0) / count(), 4) AS positive_rate
FROM (
  SELECT cityHash64(request_id) AS h, any(version) AS version
  FROM model_gateway.ledger
  WHERE model = {model:String} AND time >= toDateTime({since:UInt32})
  GROUP BY h
) GLOBAL ANY LEFT JOIN (
  SELECT cityHash64(request_id) AS h, argMax(x, at_ms) AS v
  FROM model_gateway.outcomes
  WHERE model = {model:String} AND kind = 'value'
  GROUP BY h
) USING (h)
GROUP BY version
ORDER BY version;

-- name: unmatched_outcomes
-- Outcomes reported since {since} whose request id the ledger does not know, by kind.
SELECT kind, count() AS outcomes, countIf(NOT known) AS unmatched
FROM (
  SELECT kind, cityHash64(request_id) AS h,
    h GLOBAL IN (SELECT cityHash64(request_id) FROM model_gateway.ledger WHERE model = {model:String}) AS known
  FROM model_gateway.outcomes
  WHERE model = {model:String} AND at >= toDateTime({since:UInt32})
  GROUP BY kind, h
)
GROUP BY kind
ORDER BY kind;

-- name: latest_monitor_results
-- The last `model-gateway monitor` verdict per version of the model, with its reasons.
SELECT version, max(run_at) AS last_run, argMax(stale, run_at) AS stale, argMax(metric, run_at) AS metric,
  argMax(value, run_at) AS value, argMax(change, run_at) AS change, argMax(reasons, run_at) AS reasons
FROM model_gateway.outcome_monitor
WHERE model = {model:String}
GROUP BY version
ORDER BY version;
