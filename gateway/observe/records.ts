/**
 * The rows the scoring-log pipeline carries. Each Kafka message value is one of
 * these as a JSON object whose keys are the ClickHouse column names, so the sink
 * validates and inserts it as a JSONEachRow line without reshaping it. The
 * columns themselves are listed once, in columns.ts.
 */
import { murmur3 } from '../routing/murmur.js'
import type { RequestOutcome } from './outcome.js'
import type { HealthCheckResult } from '../health/result.js'
import { requestPart, responsePart } from './record-body.js'
import type { Redactor } from './redact.js'
import type { HEALTH_COLUMNS, RECORD_COLUMNS, ROLLUP_COLUMNS, RowOf } from './columns.js'

/**
 * Seed of the sticky-key hash stored on records. Fixed (unlike the routing seed,
 * which changes per release) so one user's hash is the same across releases and
 * analysts can follow a key without the raw value ever leaving the gateway.
 */
export const STICKY_HASH_SEED = 0x2f6b_9a31

/** Upper bounds (ms, inclusive) of the latency histogram buckets; one more bucket holds everything slower. */
export const LATENCY_BUCKETS_MS: readonly number[] = Object.freeze([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000])
/** Number of histogram cells: one per bound plus the overflow cell. */
export const LATENCY_CELLS = LATENCY_BUCKETS_MS.length + 1

/** One sampled request; its columns are RECORD_COLUMNS (columns.ts). */
export type ScoringRecord = RowOf<typeof RECORD_COLUMNS>

/** One per-minute rollup cell of one gateway process; its columns are ROLLUP_COLUMNS (columns.ts). See gateway/sink/schema.ts. */
export type RollupRow = RowOf<typeof ROLLUP_COLUMNS>

export type HealthRow = RowOf<typeof HEALTH_COLUMNS>

export function hashStickyKey (key: string): number {
  return murmur3(key, STICKY_HASH_SEED)
}

export function buildRecord (o: RequestOutcome, instanceId: string, rate: number, captureBodies: boolean, maxBodyBytes: number, redactor: Redactor | null = null): ScoringRecord {
  const hasKey = o.stickyKey !== undefined
  const max = captureBodies ? maxBodyBytes : 0
  const req = requestPart(o.requestBody, o.requestHeaderLength, o.requestEncoding, max, redactor)
  const res = responsePart(o.responseBody, o.responseHeaderLength, max, redactor)
  return {
    time: Math.floor(o.startedAt / 1000),
    millis: o.startedAt % 1000,
    request_id: o.requestId,
    model: o.model,
    version: o.version ?? '',
    replica: o.replica ?? '',
    instance_id: instanceId,
    release: o.release ?? '',
    status: o.status,
    error_code: o.errorCode ?? '',
    total_ms: round3(o.totalMs),
    upstream_ms: round3(o.upstreamMs),
    sticky_hash: hasKey ? hashStickyKey(o.stickyKey!) : 0,
    has_sticky_key: hasKey ? 1 : 0,
    sample_rate: rate,
    fallback: o.fallback ? 1 : 0,
    request_body: req.text,
    response_body: res.text,
    traffic: o.traffic,
    request_encoding: o.requestEncoding ?? '',
    request_binary_bytes: req.binaryBytes + (o.requestRawBytes ?? 0),
    response_binary_bytes: res.binaryBytes + (o.responseRawBytes ?? 0),
    request_truncated: req.truncated ? 1 : 0,
    response_truncated: res.truncated ? 1 : 0,
    application: o.application ?? ''
  }
}

export function healthRow (r: HealthCheckResult): HealthRow {
  return {
    time: Math.floor(r.at / 1000),
    millis: r.at % 1000,
    instance_id: r.instanceId,
    model: r.model,
    version: r.version,
    replica: r.replica,
    kind: r.kind,
    ok: r.ok ? 1 : 0,
    latency_ms: round3(r.latencyMs),
    status: r.status ?? 0,
    error: r.error ?? ''
  }
}

/** Index of the histogram cell for a latency. */
export function latencyCell (ms: number): number {
  const b = LATENCY_BUCKETS_MS
  // Linear scan: 13 bounds, most requests land in the first few.
  for (let i = 0; i < b.length; i++) if (ms <= b[i]!) return i
  return b.length
}

/** 2xx -> 2 … 5xx -> 5; anything outside 100..599 counts as 5 (a gateway-side failure). */
export function statusClass (status: number): number {
  const c = Math.floor(status / 100)
  return c >= 1 && c <= 5 ? c : 5
}

function round3 (x: number): number {
  return Math.round(x * 1000) / 1000
}
