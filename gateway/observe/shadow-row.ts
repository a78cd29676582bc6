/**
 * A shadow pair as the row of the shadow_pairs table: both answers
 * (outputs cut to a size), both latencies and statuses, and how far the outputs
 * are apart (computed once by the mirror, so analysts' SQL needs no JSON
 * functions; 18.16 has none that would do it).
 */
import type { ShadowPair } from '../proxy/shadow.js'
import { jsonPart } from './record-body.js'
import type { Redactor } from './redact.js'

export interface ShadowRow {
  time: number
  millis: number
  request_id: string
  model: string
  instance_id: string
  primary_version: string
  primary_status: number
  primary_ms: number
  primary_output: string
  shadow_version: string
  shadow_status: number
  shadow_ms: number
  shadow_error: string
  shadow_output: string
  /** Both answered 2xx with the same output names and shapes. */
  comparable: number
  exact: number
  /** Largest absolute difference of the outputs' values; -1 when not comparable. */
  max_abs_diff: number
}

/** `redactor`: the model's redaction, applied to both outputs before they are cut. */
export function shadowRow (p: ShadowPair, instanceId: string, maxOutputBytes: number, redactor: Redactor | null = null): ShadowRow {
  const d = p.diff
  return {
    time: Math.floor(p.startedAt / 1000),
    millis: p.startedAt % 1000,
    request_id: p.requestId,
    model: p.model,
    instance_id: instanceId,
    primary_version: p.primaryVersion,
    primary_status: p.primaryStatus,
    primary_ms: round3(p.primaryMs),
    primary_output: jsonPart(p.primaryBody, -1, maxOutputBytes, false, redactor).text,
    shadow_version: p.shadowVersion,
    shadow_status: p.shadowStatus,
    shadow_ms: round3(p.shadowMs),
    shadow_error: p.shadowError,
    shadow_output: jsonPart(p.shadowBody, -1, maxOutputBytes, false, redactor).text,
    comparable: d.comparable ? 1 : 0,
    exact: d.exact ? 1 : 0,
    max_abs_diff: d.maxAbsDiff
  }
}

function round3 (x: number): number {
  return Math.round(x * 1000) / 1000
}
