/**
 * The monitor's queries (ClickHouse 18.16 and current servers): which versions
 * were live in a window and since when, the predictions' distribution from the
 * ledger (every request: exact), and a sample of request bodies from the
 * sampled records (for input drift per feature).
 */
import type { ClickHouse } from '../sink/clickhouse.js'
import { identifier } from '../sink/sql.js'

export interface LiveVersion {
  model: string
  version: string
  /** Requests in the window (distinct ids). */
  requests: number
  /** Epoch ms of the version's first request on the ledger. */
  firstAt: number
}

/** Versions with requests on the ledger in [from, to) (epoch ms), with their first request ever. */
export async function liveVersions (ch: ClickHouse, from: number, to: number, models: readonly string[]): Promise<LiveVersion[]> {
  const db = identifier(ch.database)
  const rows = await ch.select<{ model: string, version: string, requests: string }>(`SELECT model, version, uniqExact(request_id) AS requests
  FROM ${db}.ledger
  WHERE time >= toDateTime({from:UInt32}) AND time < toDateTime({to:UInt32})
  GROUP BY model, version
  ORDER BY model, version`, { from: Math.floor(from / 1000), to: Math.floor(to / 1000) })
  const firsts = await firstRequests(ch)
  return rows.filter(r => models.length === 0 || models.includes(r.model)).map(r => ({
    model: r.model,
    version: r.version,
    requests: Number(r.requests),
    firstAt: firsts.get(`${r.model}/${r.version}`) ?? from
  }))
}

/** The first request time of every model and version on the ledger (epoch ms). */
async function firstRequests (ch: ClickHouse): Promise<Map<string, number>> {
  const db = identifier(ch.database)
  const rows = await ch.select<{ model: string, version: string, t: string }>(`SELECT model, version, min(toUInt64(time) * 1000 + millis) AS t FROM ${db}.ledger GROUP BY model, version`)
  return new Map(rows.map(r => [`${r.model}/${r.version}`, Number(r.t)]))
}

export interface VersionWindowQuery {
  model: string
  version: string
  /** Epoch ms, [from, to). */
  from: number
  to: number
}

const DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]

/** The predictions' decile edges in a window (strictly increasing; fewer when predictions repeat). */
export async function predictionEdges (ch: ClickHouse, q: VersionWindowQuery): Promise<number[]> {
  const db = identifier(ch.database)
  const rows = await ch.select<{ edges: number[], n: string }>(`SELECT quantilesExact(${DECILES.join(', ')})(prediction) AS edges, count() AS n
  FROM ${db}.ledger
  WHERE model = {model:String} AND version = {version:String} AND has_prediction = 1
    AND time >= toDateTime({from:UInt32}) AND time < toDateTime({to:UInt32})`, params(q))
  if (rows.length === 0 || Number(rows[0]!.n) === 0) return []
  const out: number[] = []
  for (const e of rows[0]!.edges.map(Number)) if (Number.isFinite(e) && (out.length === 0 || e > out[out.length - 1]!)) out.push(e)
  return out
}

/** Distinct requests with a prediction per bin between `edges` (bin k: edges[k-1] <= p < edges[k]). */
export async function predictionCounts (ch: ClickHouse, q: VersionWindowQuery, edges: readonly number[]): Promise<number[]> {
  const db = identifier(ch.database)
  // Edges are numbers from the server, checked finite: safe to write as literals. The bin is a sum of
  // comparisons, not arrayCount with a lambda: 18.16 cannot resolve a column inside that lambda here.
  for (const e of edges) if (!Number.isFinite(e)) throw new TypeError(`prediction edge ${e} is not finite`)
  const bin = edges.length === 0 ? '0' : edges.map(e => `(prediction >= toFloat64(${String(e)}))`).join(' + ')
  const rows = await ch.select<{ bin: string, n: string }>(`SELECT toUInt32(${bin}) AS bin, uniqExact(request_id) AS n
  FROM ${db}.ledger
  WHERE model = {model:String} AND version = {version:String} AND has_prediction = 1
    AND time >= toDateTime({from:UInt32}) AND time < toDateTime({to:UInt32})
  GROUP BY bin`, params(q))
  const counts = new Array<number>(edges.length + 1).fill(0)
  for (const r of rows) counts[Number(r.bin)] = Number(r.n)
  return counts
}

/** Up to `limit` request bodies of live, sampled, untruncated requests (a hash-ordered sample when there are more). */
export async function requestBodies (ch: ClickHouse, q: VersionWindowQuery, limit: number): Promise<string[]> {
  const db = identifier(ch.database)
  const rows = await ch.select<{ b: string }>(`SELECT any(request_body) AS b
  FROM ${db}.records
  WHERE model = {model:String} AND version = {version:String} AND traffic = 'live'
    AND time >= toDateTime({from:UInt32}) AND time < toDateTime({to:UInt32})
    AND request_body != '' AND request_truncated = 0 AND request_binary_bytes = 0
  GROUP BY request_id
  ORDER BY cityHash64(request_id)
  LIMIT {limit:UInt32}`, { ...params(q), limit })
  return rows.map(r => r.b)
}

function params (q: VersionWindowQuery): { model: string, version: string, from: number, to: number } {
  return { model: q.model, version: q.version, from: Math.floor(q.from / 1000), to: Math.floor(q.to / 1000) }
}
