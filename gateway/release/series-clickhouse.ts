/**
 * The fleet's per-version series from ClickHouse, for GET /admin/models/{m}/series
 * (admin/series-routes.ts) when the release source is ClickHouse: counts and latency from the exact
 * per-minute rollups (live traffic), the output spread from a bounded sample of
 * the records' response bodies per step. Runs on 18.16 and current servers
 * (values bound by ClickHouse.select).
 */
import { ClickHouse, type ClickHouseOptions } from '../sink/clickhouse.js'
import { identifier } from '../sink/sql.js'
import { errors } from '../errors.js'
import { outputValue } from './source.js'
import { TRAFFIC_FILTER } from './clickhouse-source.js'
import { emptyBucket, type SeriesReader, type StepBucket } from '../admin/series-routes.js'

/** Response bodies read per version and step, at most. */
export const OUTPUT_ROWS_PER_STEP = 50

export const SERIES_ROLLUP_QUERY = (db: string): string => `SELECT version,
  toUInt32(intDiv(toUInt32(minute), {step:UInt32}) * {step:UInt32}) AS t,
  sum(requests) AS n,
  sumIf(requests, status_class = 5) AS e,
  sumForEach(latency_buckets) AS cells
FROM ${db}.rollups FINAL
WHERE model = {model:String} AND minute >= toDateTime({from:UInt32}) AND minute < toDateTime({to:UInt32}) ${TRAFFIC_FILTER}
GROUP BY version, t`

export const SERIES_OUTPUT_QUERY = (db: string): string => `SELECT version,
  toUInt32(intDiv(toUInt32(time), {step:UInt32}) * {step:UInt32}) AS t,
  response_body AS body
FROM ${db}.records
WHERE model = {model:String} AND time >= toDateTime({from:UInt32}) AND time < toDateTime({to:UInt32})
  AND status >= 200 AND status < 300 AND response_body != '' ${TRAFFIC_FILTER}
LIMIT ${OUTPUT_ROWS_PER_STEP} BY version, t`

export class ClickHouseSeries implements SeriesReader {
  readonly #ch: ClickHouse

  constructor (opts: ClickHouseOptions) {
    this.#ch = new ClickHouse({ requestTimeoutMs: 5_000, ...opts })
  }

  /** version -> step start (epoch s) -> what the step holds. */
  async buckets (model: string, versions: readonly string[], from: number, to: number, step: number): Promise<Map<string, Map<number, StepBucket>>> {
    const db = identifier(this.#ch.database)
    const params = { model, from, to, step }
    let rollups: Array<{ version: string, t: number | string, n: number | string, e: number | string, cells: Array<number | string> }>
    let bodies: Array<{ version: string, t: number | string, body: string }>
    try {
      [rollups, bodies] = await Promise.all([
        this.#ch.select<typeof rollups[number]>(SERIES_ROLLUP_QUERY(db), params),
        this.#ch.select<typeof bodies[number]>(SERIES_OUTPUT_QUERY(db), params)
      ])
    } catch (err) {
      throw errors.stateUnavailable(`cannot read the series from ClickHouse: ${(err as Error).message.split('\n')[0]!.slice(0, 200)}`, err)
    }
    const out = new Map<string, Map<number, StepBucket>>(versions.map(v => [v, new Map()]))
    const bucket = (version: string, t: number): StepBucket | undefined => {
      const byT = out.get(version)
      if (byT === undefined) return undefined
      let b = byT.get(t)
      if (b === undefined) byT.set(t, b = emptyBucket())
      return b
    }
    for (const r of rollups) {
      const b = bucket(r.version, Number(r.t))
      if (b === undefined) continue
      b.requests = Number(r.n)
      b.errors = Number(r.e)
      b.latency = r.cells.map(Number)
    }
    for (const r of bodies) {
      let v: number | null = null
      try { v = outputValue(JSON.parse(r.body), null, 0) } catch { /* a truncated body: skip it */ }
      if (v !== null) bucket(r.version, Number(r.t))?.outputs.push(v)
    }
    return out
  }

  async close (): Promise<void> {
    await this.#ch.close()
  }
}
