/**
 * The ClickHouse schema, as numbered migrations applied once each (recorded in
 * `schema_migrations`). DDL is generated per server: LowCardinality and TTL only
 * where the server has them (see ServerFeatures); 18.16 has no DateTime64, so a
 * time is a DateTime (seconds) plus a UInt16 `millis` column.
 *
 * Why ReplacingMergeTree everywhere: Kafka delivers at least once, and the sink
 * commits offsets only after an insert succeeded, so a crash between insert and
 * commit, or a producer retry, stores a message twice. Each table's ORDER BY is
 * the identity of a row, so duplicates collapse when parts merge; queries that
 * must be exact before merges use FINAL (or uniqExact(request_id) for records).
 *
 * - records: identity (model, version, time, request_id) — a redelivered record
 *   is byte-for-byte the same row. A client retry with the same request id is a
 *   new request with another time and is kept.
 * - rollups: identity (model, version, minute, instance_id, run_id, status_class,
 *   traffic, application), version column flush_seq. A gateway sends cumulative counts for a cell on
 *   every flush; the row with the highest flush_seq holds the cell's total, so
 *   duplicates and replays never add up. run_id is random per process start, so
 *   a restarted gateway with a fixed instance id starts new cells instead of
 *   overwriting its earlier (larger) counts. Per-minute totals for a model and
 *   version are sum(requests) over the surviving rows (FINAL), exact across all
 *   instances.
 * - health_checks: identity (model, version, replica, instance_id, time, millis, kind).
 * - shadow_pairs: identity (model, shadow_version, time, request_id), like records:
 *   one row per mirrored request; a redelivered pair is the same row.
 * - control_log: identity (kind, model, time, millis, id): an audit entry or a
 *   rollout decision, sent again unchanged when redelivered.
 * - ledger: identity (model, time, request_id): one row per live request of a
 *   model that tracks outcomes (every request, not a sample), its version and
 *   sticky bucket and, where configured, its prediction. A redelivered segment
 *   repeats rows exactly; a client retry with the same id in the same second is
 *   the same request for outcome purposes and collapses too.
 * - outcomes: identity (model, kind, request_id), version column at_ms: the
 *   latest outcome of a request wins (a corrected label replaces the first),
 *   and a duplicate collapses. Queries take argMax(x, at_ms) per request id,
 *   which is exact before merges and across partitions (PARTITION BY month of
 *   `at`: a correction in another month is never merged away, only out-voted).
 * - outcome_monitor: one row per model, version and `model-gateway monitor` run.
 *
 * There is no materialized per-minute view over records: a view aggregates each
 * insert as it comes, so it would count redelivered records twice and could only
 * estimate totals from samples. rollups is the exact per-minute source.
 */
import type { ClickHouse, ServerFeatures } from './clickhouse.js'
import { identifier } from './sql.js'
import { HEALTH_COLUMNS, RECORD_COLUMNS, ROLLUP_COLUMNS, type Column } from '../observe/columns.js'

export const DEFAULT_RETENTION_DAYS = 30

export interface Migration {
  id: number
  name: string
  sql (db: string, f: ServerFeatures, retentionDays: number): string
}

function lc (f: ServerFeatures): string {
  return f.lowCardinality ? 'LowCardinality(String)' : 'String'
}

function typeOf (c: Column, f: ServerFeatures): string {
  return c.type === 'lc' ? lc(f) : c.type
}

/** The column list of the CREATE TABLE in migration `id` (columns.ts). */
function created (columns: readonly Column[], id: number, f: ServerFeatures): string {
  return columns.filter(c => c.since === id).map(c => `  ${c.name} ${typeOf(c, f)}`).join(',\n')
}

/** The ADD COLUMN clauses of the ALTER in migration `id` (columns.ts). */
function addedIn (columns: readonly Column[], id: number, f: ServerFeatures): string {
  return columns.filter(c => c.since === id).map(c => `  ADD COLUMN ${c.name} ${typeOf(c, f)}${c.ddlDefault === true ? ` DEFAULT ${typeof c.fill === 'string' ? `'${c.fill}'` : String(c.fill)}` : ''}`).join(',\n')
}

function ttl (f: ServerFeatures, column: string, days: number): string {
  return f.ttl && days > 0 ? `\nTTL ${column} + INTERVAL ${Math.floor(days)} DAY` : ''
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'records',
    sql: (db, f, days) => `CREATE TABLE IF NOT EXISTS ${db}.records (
${created(RECORD_COLUMNS, 1, f)}
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(time)
ORDER BY (model, version, time, request_id)${ttl(f, 'time', days)}`
  },
  {
    id: 2,
    name: 'rollups',
    sql: (db, f, days) => `CREATE TABLE IF NOT EXISTS ${db}.rollups (
${created(ROLLUP_COLUMNS, 2, f)}
) ENGINE = ReplacingMergeTree(flush_seq)
PARTITION BY toYYYYMMDD(minute)
ORDER BY (model, version, minute, instance_id, run_id, status_class)${ttl(f, 'minute', days)}`
  },
  {
    id: 3,
    name: 'health_checks',
    sql: (db, f, days) => `CREATE TABLE IF NOT EXISTS ${db}.health_checks (
${created(HEALTH_COLUMNS, 3, f)}
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(time)
ORDER BY (model, version, replica, instance_id, time, millis, kind)${ttl(f, 'time', days)}`
  },
  {
    // The traffic kind, and what a record keeps of binary-tensor and compressed bodies.
    // Columns added with defaults, so rows stored before read as live traffic with plain JSON bodies.
    id: 4,
    name: 'records_traffic_and_bodies',
    sql: (db, f) => `ALTER TABLE ${db}.records
${addedIn(RECORD_COLUMNS, 4, f)}`
  },
  {
    // A rollup cell's identity is its ORDER BY: traffic joins it, else a batch row and a live row of the
    // same minute would replace each other. MODIFY ORDER BY may append a column added in the same ALTER,
    // on 18.16 and current servers alike, but only one without a DEFAULT (ClickHouse#13592): rows stored
    // before this migration read traffic '' (they are all live traffic); the sink always sets it.
    id: 5,
    name: 'rollups_traffic',
    sql: (db, f) => `ALTER TABLE ${db}.rollups
${addedIn(ROLLUP_COLUMNS, 5, f)},
  MODIFY ORDER BY (model, version, minute, instance_id, run_id, status_class, traffic)`
  },
  {
    id: 6,
    name: 'shadow_pairs',
    sql: (db, f, days) => `CREATE TABLE IF NOT EXISTS ${db}.shadow_pairs (
  time DateTime,
  millis UInt16,
  request_id String,
  model ${lc(f)},
  instance_id ${lc(f)},
  primary_version ${lc(f)},
  primary_status UInt16,
  primary_ms Float64,
  primary_output String,
  shadow_version ${lc(f)},
  shadow_status UInt16,
  shadow_ms Float64,
  shadow_error ${lc(f)},
  shadow_output String,
  comparable UInt8,
  exact UInt8,
  max_abs_diff Float64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(time)
ORDER BY (model, shadow_version, time, request_id)${ttl(f, 'time', days)}`
  },
  {
    // The control plane's durable record (observe/control-row.ts): audit entries and rollout
    // decisions, kept whole as JSON. It outlives Redis, so no TTL: it is the history.
    id: 7,
    name: 'control_log',
    sql: (db, f) => `CREATE TABLE IF NOT EXISTS ${db}.control_log (
  time DateTime,
  millis UInt16,
  kind ${lc(f)},
  id String,
  model ${lc(f)},
  instance_id ${lc(f)},
  action ${lc(f)},
  rollout_id String,
  revision UInt64,
  entry String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (kind, model, time, millis, id)`
  },
  {
    // The calling application (data-plane access control), so analysts can compare versions per application.
    id: 8,
    name: 'records_application',
    sql: (db, f) => `ALTER TABLE ${db}.records
${addedIn(RECORD_COLUMNS, 8, f)}`
  },
  {
    // As for traffic (migration 5): the application joins a rollup cell's identity, added without a DEFAULT
    // so MODIFY ORDER BY takes it; rows stored before read '' (no access control then). throttled counts
    // the cell's 429s for the application's quota.
    id: 9,
    name: 'rollups_application',
    sql: (db, f) => `ALTER TABLE ${db}.rollups
${addedIn(ROLLUP_COLUMNS, 9, f)},
  MODIFY ORDER BY (model, version, minute, instance_id, run_id, status_class, traffic, application)`
  },
  {
    // Rollback drills (gateway/release/drill.ts): one row per drill, written by the gateway that ran it.
    id: 10,
    name: 'drills',
    sql: (db, f, days) => `CREATE TABLE IF NOT EXISTS ${db}.drills (
  time DateTime,
  model ${lc(f)},
  instance_id ${lc(f)},
  actor ${lc(f)},
  passed UInt8,
  rollback_ms Float64,
  converged_ms Float64,
  bound_ms Float64,
  instances UInt32,
  reason String
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (model, time, instance_id)${ttl(f, 'time', days)}`
  },
  {
    id: 11,
    name: 'ledger',
    sql: (db, f, days) => `CREATE TABLE IF NOT EXISTS ${db}.ledger (
  time DateTime,
  millis UInt16,
  request_id String,
  model ${lc(f)},
  version ${lc(f)},
  release ${lc(f)},
  bucket UInt16,
  status UInt16,
  prediction Float64,
  has_prediction UInt8
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(time)
ORDER BY (model, time, request_id)${ttl(f, 'time', days)}`
  },
  {
    id: 12,
    name: 'outcomes',
    sql: (db, f, days) => `CREATE TABLE IF NOT EXISTS ${db}.outcomes (
  model ${lc(f)},
  request_id String,
  kind ${lc(f)},
  x Float64,
  at DateTime,
  at_ms UInt64,
  received DateTime
) ENGINE = ReplacingMergeTree(at_ms)
PARTITION BY toYYYYMM(at)
ORDER BY (model, kind, request_id)${ttl(f, 'at', days)}`
  },
  {
    id: 13,
    name: 'outcome_monitor',
    sql: (db, f) => `CREATE TABLE IF NOT EXISTS ${db}.outcome_monitor (
  run_at DateTime,
  model ${lc(f)},
  version ${lc(f)},
  window_from DateTime,
  window_to DateTime,
  reference_from DateTime,
  reference_to DateTime,
  requests UInt64,
  metric ${lc(f)},
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
ORDER BY (model, version, run_at)`
  }
]

export interface MigrateResult {
  serverVersion: string
  applied: string[]
  alreadyApplied: string[]
}

export async function migrate (ch: ClickHouse, retentionDays = DEFAULT_RETENTION_DAYS): Promise<MigrateResult> {
  const f = await ch.features()
  const db = identifier(ch.database)
  await ch.command(`CREATE DATABASE IF NOT EXISTS ${db}`)
  await ch.command(`CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (id UInt32, name String, applied_at DateTime) ENGINE = TinyLog`)
  const done = new Set((await ch.select<{ id: number }>(`SELECT id FROM ${db}.schema_migrations`)).map(r => Number(r.id)))
  const applied: string[] = []
  const alreadyApplied: string[] = []
  for (const m of MIGRATIONS) {
    if (done.has(m.id)) {
      alreadyApplied.push(m.name)
      continue
    }
    await ch.command(m.sql(db, f, retentionDays))
    await ch.insert('schema_migrations', [{ id: m.id, name: m.name, applied_at: Math.floor(Date.now() / 1000) }])
    applied.push(m.name)
  }
  return { serverVersion: f.version, applied, alreadyApplied }
}

/** Table each topic kind lands in. */
export const TABLE_OF = { records: 'records', rollups: 'rollups', health: 'health_checks', shadow: 'shadow_pairs', control: 'control_log', ledger: 'ledger', outcomes: 'outcomes' } as const
