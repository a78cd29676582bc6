-- ClickHouse schema of the scoring logs, for reference. `model-gateway migrate`
-- creates it (gateway/sink/schema.ts is the source): it reads the server version
-- once and uses TTL (19.6+) and LowCardinality (19.9+) only where the server has
-- them. Shown here as created on a current server, database model_gateway,
-- retention 30 days (`--retention-days`).
--
-- Every table is a ReplacingMergeTree whose ORDER BY is the identity of a row:
-- Kafka delivers at least once and the sink commits offsets only after an
-- insert, so a redelivered message collapses into the row already stored.
-- rollups keeps, per (model, version, minute, instance_id, run_id, status_class, traffic),
-- the row with the highest flush_seq: gateways send cumulative per-minute counts,
-- so that row holds the cell's exact total. Read rollups and records with FINAL
-- (or count records with uniqExact(request_id)).

-- 1: records
CREATE TABLE IF NOT EXISTS model_gateway.records (
  time DateTime,
  millis UInt16,
  request_id String,
  model LowCardinality(String),
  version LowCardinality(String),
  replica LowCardinality(String),
  instance_id LowCardinality(String),
  release LowCardinality(String),
  status UInt16,
  error_code LowCardinality(String),
  total_ms Float64,
  upstream_ms Float64,
  sticky_hash UInt32,
  has_sticky_key UInt8,
  sample_rate Float64,
  fallback UInt8,
  request_body String,
  response_body String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(time)
ORDER BY (model, version, time, request_id)
TTL time + INTERVAL 30 DAY;

-- 2: rollups
CREATE TABLE IF NOT EXISTS model_gateway.rollups (
  minute DateTime,
  model LowCardinality(String),
  version LowCardinality(String),
  instance_id LowCardinality(String),
  run_id String,
  status_class UInt8,
  flush_seq UInt64,
  requests UInt64,
  latency_sum_ms Float64,
  latency_buckets Array(UInt64)
) ENGINE = ReplacingMergeTree(flush_seq)
PARTITION BY toYYYYMMDD(minute)
ORDER BY (model, version, minute, instance_id, run_id, status_class)
TTL minute + INTERVAL 30 DAY;

-- 3: health_checks
CREATE TABLE IF NOT EXISTS model_gateway.health_checks (
  time DateTime,
  millis UInt16,
  instance_id LowCardinality(String),
  model LowCardinality(String),
  version LowCardinality(String),
  replica LowCardinality(String),
  kind LowCardinality(String),
  ok UInt8,
  latency_ms Float64,
  status UInt16,
  error String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(time)
ORDER BY (model, version, replica, instance_id, time, millis, kind)
TTL time + INTERVAL 30 DAY;

-- 4: records_traffic_and_bodies
ALTER TABLE model_gateway.records
  ADD COLUMN traffic LowCardinality(String) DEFAULT 'live',
  ADD COLUMN request_encoding LowCardinality(String) DEFAULT '',
  ADD COLUMN request_binary_bytes UInt64 DEFAULT 0,
  ADD COLUMN response_binary_bytes UInt64 DEFAULT 0,
  ADD COLUMN request_truncated UInt8 DEFAULT 0,
  ADD COLUMN response_truncated UInt8 DEFAULT 0;

-- 5: rollups_traffic
ALTER TABLE model_gateway.rollups
  ADD COLUMN traffic LowCardinality(String),
  MODIFY ORDER BY (model, version, minute, instance_id, run_id, status_class, traffic);

-- traffic is 'live' or 'batch' (the batch scorer sends x-gateway-traffic: batch).
-- A rollup cell is per traffic kind; rollup rows stored before migration 5 read
-- traffic '' and are live traffic, so select live traffic with traffic != 'batch'.
-- request_binary_bytes / response_binary_bytes: raw tensor bytes of a binary
-- tensor extension body (only its JSON header is stored in *_body);
-- request_encoding: the request's Content-Encoding (request_body holds the
-- decoded JSON); *_truncated: 1 when the stored body is not the whole JSON part.

-- On ClickHouse 18.16 the same tables are created without TTL and with String
-- instead of LowCardinality(String), e.g.:
-- CREATE TABLE IF NOT EXISTS model_gateway.rollups (
--   minute DateTime,
--   model String,
--   version String,
--   instance_id String,
--   run_id String,
--   status_class UInt8,
--   flush_seq UInt64,
--   requests UInt64,
--   latency_sum_ms Float64,
--   latency_buckets Array(UInt64)
-- ) ENGINE = ReplacingMergeTree(flush_seq)
-- PARTITION BY toYYYYMMDD(minute)
-- ORDER BY (model, version, minute, instance_id, run_id, status_class)

-- shadow_pairs: one row per mirrored request (issue 11): both answers, latencies
-- and statuses; comparable/exact/max_abs_diff are computed by the gateway. Read with FINAL.

-- 6: shadow_pairs
CREATE TABLE IF NOT EXISTS model_gateway.shadow_pairs (
  time DateTime,
  millis UInt16,
  request_id String,
  model LowCardinality(String),
  instance_id LowCardinality(String),
  primary_version LowCardinality(String),
  primary_status UInt16,
  primary_ms Float64,
  primary_output String,
  shadow_version LowCardinality(String),
  shadow_status UInt16,
  shadow_ms Float64,
  shadow_error LowCardinality(String),
  shadow_output String,
  comparable UInt8,
  exact UInt8,
  max_abs_diff Float64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(time)
ORDER BY (model, shadow_version, time, request_id)
TTL time + INTERVAL 30 DAY;

-- control_log: the control plane's durable record: every audit entry (routing
-- change, seed, an operation's outcome) and every rollout decision, the entry
-- kept whole as JSON in `entry`. It outlives Redis; `audit` and `rollout explain`
-- read it when Redis has lost theirs. No TTL: it is the history. Read with FINAL.

-- 7: control_log
CREATE TABLE IF NOT EXISTS model_gateway.control_log (
  time DateTime,
  millis UInt16,
  kind LowCardinality(String),
  id String,
  model LowCardinality(String),
  instance_id LowCardinality(String),
  action LowCardinality(String),
  rollout_id String,
  revision UInt64,
  entry String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (kind, model, time, millis, id);

-- application: the calling application when data-plane access control is on
-- ('' otherwise), on records and as part of a rollup cell's identity, so
-- versions can be compared per application. throttled: the cell's requests
-- refused with 429 for the application's quota.

-- 8: records_application
ALTER TABLE model_gateway.records
  ADD COLUMN application LowCardinality(String) DEFAULT '';

-- 9: rollups_application
ALTER TABLE model_gateway.rollups
  ADD COLUMN application LowCardinality(String),
  ADD COLUMN throttled UInt64 DEFAULT 0,
  MODIFY ORDER BY (model, version, minute, instance_id, run_id, status_class, traffic, application);

-- drills: one row per rollback drill (model-gateway drill, or rollouts.drills on a
-- schedule): did the controller roll the copy of stable back, how long it took,
-- and how long until every gateway instance had applied it. Written by the gateway.

-- 10: drills
CREATE TABLE IF NOT EXISTS model_gateway.drills (
  time DateTime,
  model LowCardinality(String),
  instance_id LowCardinality(String),
  actor LowCardinality(String),
  passed UInt8,
  rollback_ms Float64,
  converged_ms Float64,
  bound_ms Float64,
  instances UInt32,
  reason String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (model, time, instance_id)
TTL time + INTERVAL 30 DAY;

-- ledger: the assignment ledger, one row per live request of a model with an outcomes section
-- (every request, not a sample): its version, sticky bucket (65535: no sticky key), status and,
-- with outcomes.prediction, the model's main output. Written by the gateway as RowBinary segments.
-- Group by request_id (or cityHash64(request_id)) for exact counts before merges.

-- 11: ledger
CREATE TABLE IF NOT EXISTS model_gateway.ledger (
  time DateTime,
  millis UInt16,
  request_id String,
  model LowCardinality(String),
  version LowCardinality(String),
  release LowCardinality(String),
  bucket UInt16,
  status UInt16,
  prediction Float64,
  has_prediction UInt8
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(time)
ORDER BY (model, time, request_id)
TTL time + INTERVAL 30 DAY;

-- outcomes: labels (kind 'label') and business values (kind 'value') by request id, from the
-- intake, the outcomes topic and `outcomes load`. The latest `at` of a request and kind wins:
-- read argMax(x, at_ms) grouped by request_id (exact before merges and across partitions).

-- 12: outcomes
CREATE TABLE IF NOT EXISTS model_gateway.outcomes (
  model LowCardinality(String),
  request_id String,
  kind LowCardinality(String),
  x Float64,
  at DateTime,
  at_ms UInt64,
  received DateTime
) ENGINE = ReplacingMergeTree(at_ms)
PARTITION BY toYYYYMM(at)
ORDER BY (model, kind, request_id)
TTL at + INTERVAL 30 DAY;

-- outcome_monitor: one row per model, version and `model-gateway monitor` run: the window's
-- metric against the reference window, output and input drift (PSI), label match rate, stale or not.

-- 13: outcome_monitor
CREATE TABLE IF NOT EXISTS model_gateway.outcome_monitor (
  run_at DateTime,
  model LowCardinality(String),
  version LowCardinality(String),
  window_from DateTime,
  window_to DateTime,
  reference_from DateTime,
  reference_to DateTime,
  requests UInt64,
  metric LowCardinality(String),
  value Float64,
  reference_value Float64,
  change Float64,
  output_psi Float64,
  input_psi_max Float64,
  input_psi String,
  match_rate Float64,
  coverage Float64,
  stale UInt8,
  reasons String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(run_at)
ORDER BY (model, version, run_at);
