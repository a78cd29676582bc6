/**
 * Recorded production traffic for replay suites: the sampled records of a
 * version with whole JSON bodies (not truncated, not compressed, no binary
 * tensors), live traffic answered 2xx, newest first. The request as the client
 * sent it and what the version answered then, with the latency measured then.
 */
import { ClickHouse, DEFAULT_DATABASE } from './clickhouse.js'
import { identifier } from './sql.js'
import type { RecordedExchange, RecordedSource } from '../verify/replay.js'

/** `limit` is an integer the caller checked; LIMIT takes no bound parameter on older servers. */
export const RECORDED_QUERY = (db: string, limit: number): string => `SELECT request_body, response_body, total_ms
FROM ${db}.records FINAL
WHERE model = {model:String} AND version = {version:String}
  AND time >= toDateTime({from:UInt32}) AND time < toDateTime({to:UInt32})
  AND status >= 200 AND status < 300 AND traffic = 'live'
  AND request_body != '' AND response_body != '' AND request_truncated = 0 AND response_truncated = 0
  AND request_encoding = '' AND request_binary_bytes = 0 AND response_binary_bytes = 0
ORDER BY time DESC
LIMIT ${limit}`

/** The recorded traffic of the ClickHouse the rollouts read (rollouts.clickhouseUrl), or null without one. */
export function recordedFromConfig (rollouts: { clickhouseUrl: string | undefined, clickhouseDatabase: string | undefined }): { source: RecordedSource, close: () => Promise<void> } | null {
  if (rollouts.clickhouseUrl === undefined) return null
  const ch = new ClickHouse({ url: rollouts.clickhouseUrl, database: rollouts.clickhouseDatabase ?? DEFAULT_DATABASE, requestTimeoutMs: 10_000 })
  return { source: clickHouseRecorded(ch), close: () => ch.close() }
}

export function clickHouseRecorded (ch: ClickHouse): RecordedSource {
  return {
    async recorded (model, version, from, to, limit): Promise<RecordedExchange[]> {
      if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`)
      const rows = await ch.select<{ request_body: string, response_body: string, total_ms: number | string }>(RECORDED_QUERY(identifier(ch.database), limit), {
        model, version, from: Math.floor(from / 1000), to: Math.ceil(to / 1000) + 1
      })
      return rows.map(r => ({ requestBody: Buffer.from(r.request_body), responseBody: Buffer.from(r.response_body), latencyMs: Number(r.total_ms) }))
    }
  }
}
