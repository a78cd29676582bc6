/**
 * The columns of the rows the scoring-log pipeline carries, in one table per
 * row kind: the producer's row types (records.ts), the sink's checks of a
 * Kafka message (sink/rows.ts) and the ClickHouse DDL (sink/schema.ts) are all
 * derived from here, so a column is added in one place.
 *
 * `since` is the migration that created the column. Columns of the creating
 * migration must be in every message; a later one may be missing from a
 * message of an older gateway, and the sink fills it with `fill`.
 */

/** ClickHouse type of a column; 'lc' is LowCardinality(String) on servers that have it, else String. */
export type ColumnType = 'DateTime' | 'UInt8' | 'UInt16' | 'UInt32' | 'UInt64' | 'Float64' | 'String' | 'lc' | 'Array(UInt64)'

export interface Column {
  readonly name: string
  readonly type: ColumnType
  readonly since: number
  /** What the sink sets when an older gateway's message lacks the column (columns added after `since` of the table). */
  readonly fill?: string | number
  /**
   * The added column carries `fill` as its DDL DEFAULT. Not for a column that joins
   * the ORDER BY in the same ALTER: MODIFY ORDER BY takes only one without a DEFAULT
   * (ClickHouse#13592).
   */
  readonly ddlDefault?: boolean
}

/** One sampled request (table records). `time` is whole seconds (ClickHouse DateTime) and `millis` the rest: 18.16 has no DateTime64. */
export const RECORD_COLUMNS = [
  { name: 'time', type: 'DateTime', since: 1 },
  { name: 'millis', type: 'UInt16', since: 1 },
  { name: 'request_id', type: 'String', since: 1 },
  { name: 'model', type: 'lc', since: 1 },
  { name: 'version', type: 'lc', since: 1 },
  { name: 'replica', type: 'lc', since: 1 },
  { name: 'instance_id', type: 'lc', since: 1 },
  { name: 'release', type: 'lc', since: 1 },
  { name: 'status', type: 'UInt16', since: 1 },
  { name: 'error_code', type: 'lc', since: 1 },
  { name: 'total_ms', type: 'Float64', since: 1 },
  { name: 'upstream_ms', type: 'Float64', since: 1 },
  // murmurhash3_32(stickyKey, STICKY_HASH_SEED); 0 with has_sticky_key = 0 when the request had none.
  { name: 'sticky_hash', type: 'UInt32', since: 1 },
  { name: 'has_sticky_key', type: 'UInt8', since: 1 },
  { name: 'sample_rate', type: 'Float64', since: 1 },
  { name: 'fallback', type: 'UInt8', since: 1 },
  { name: 'request_body', type: 'String', since: 1 },
  { name: 'response_body', type: 'String', since: 1 },
  // 'live' or 'batch' (x-gateway-traffic: batch).
  { name: 'traffic', type: 'lc', since: 4, fill: 'live', ddlDefault: true },
  // Content-Encoding of the request ('gzip', 'deflate'); '' when sent as is. request_body holds the decoded JSON.
  { name: 'request_encoding', type: 'lc', since: 4, fill: '', ddlDefault: true },
  // Binary tensor extension: bytes of raw tensor data after the JSON header (never stored themselves); 0 for plain JSON.
  { name: 'request_binary_bytes', type: 'UInt64', since: 4, fill: 0, ddlDefault: true },
  { name: 'response_binary_bytes', type: 'UInt64', since: 4, fill: 0, ddlDefault: true },
  // 1 when the stored body is not the whole JSON part (cut at maxBodyBytes, inflated past it, or undecodable).
  { name: 'request_truncated', type: 'UInt8', since: 4, fill: 0, ddlDefault: true },
  { name: 'response_truncated', type: 'UInt8', since: 4, fill: 0, ddlDefault: true },
  // The calling application (access control); '' when access control is off.
  { name: 'application', type: 'lc', since: 8, fill: '', ddlDefault: true }
] as const satisfies readonly Column[]

/**
 * One per-minute rollup cell of one gateway process (table rollups). Counts are
 * cumulative for (run, minute, model, version, status class, traffic,
 * application): a later flush of the same cell carries larger counts and a
 * larger flush_seq, and replaces the earlier row (ReplacingMergeTree(flush_seq)).
 */
export const ROLLUP_COLUMNS = [
  { name: 'minute', type: 'DateTime', since: 2 },
  { name: 'model', type: 'lc', since: 2 },
  { name: 'version', type: 'lc', since: 2 },
  { name: 'instance_id', type: 'lc', since: 2 },
  // Random per process start, so a restarted instance with a fixed id never overwrites its earlier counts.
  { name: 'run_id', type: 'String', since: 2 },
  { name: 'status_class', type: 'UInt8', since: 2 },
  { name: 'flush_seq', type: 'UInt64', since: 2 },
  { name: 'requests', type: 'UInt64', since: 2 },
  { name: 'latency_sum_ms', type: 'Float64', since: 2 },
  // Counts per LATENCY_BUCKETS_MS cell (not cumulative), LATENCY_CELLS long.
  { name: 'latency_buckets', type: 'Array(UInt64)', since: 2 },
  // 'live' or 'batch': batch traffic has its own cells, so analysts can keep it apart.
  { name: 'traffic', type: 'lc', since: 5, fill: 'live' },
  // The calling application: each has its own cells, so analysts can compare versions per application.
  { name: 'application', type: 'lc', since: 9, fill: '' },
  // Of `requests`, those refused with 429 for the application's quota.
  { name: 'throttled', type: 'UInt64', since: 9, fill: 0, ddlDefault: true }
] as const satisfies readonly Column[]

/** One health-check result (table health_checks). */
export const HEALTH_COLUMNS = [
  { name: 'time', type: 'DateTime', since: 3 },
  { name: 'millis', type: 'UInt16', since: 3 },
  { name: 'instance_id', type: 'lc', since: 3 },
  { name: 'model', type: 'lc', since: 3 },
  { name: 'version', type: 'lc', since: 3 },
  { name: 'replica', type: 'lc', since: 3 },
  { name: 'kind', type: 'lc', since: 3 },
  { name: 'ok', type: 'UInt8', since: 3 },
  { name: 'latency_ms', type: 'Float64', since: 3 },
  { name: 'status', type: 'UInt16', since: 3 },
  { name: 'error', type: 'String', since: 3 }
] as const satisfies readonly Column[]

/** How a column's value travels in the JSON message. */
export type JsonType = 'string' | 'number' | 'array'

export function jsonTypeOf (type: ColumnType): JsonType {
  return type === 'String' || type === 'lc' ? 'string' : type === 'Array(UInt64)' ? 'array' : 'number'
}

type ValueOf<T extends ColumnType> = T extends 'String' | 'lc' ? string : T extends 'Array(UInt64)' ? number[] : number

/** The row type of a column table: one property per column, typed as it travels in JSON. */
export type RowOf<C extends readonly Column[]> = { [K in C[number] as K['name']]: ValueOf<K['type']> }
