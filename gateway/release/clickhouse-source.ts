/**
 * The fleet-wide source: ClickHouse, fed by every gateway through Kafka and the
 * sink. Counts and latency come from the exact per-minute rollups (FINAL:
 * duplicates collapse to the highest flush_seq), outputs from the sampled
 * records' response bodies (parsed here, with the same reader as the local
 * source). Rollups are per minute, so a window is widened to whole minutes;
 * canary and stable are still compared over the same minutes.
 *
 * With an outcomes check, also the outcome sums of each version's requests
 * older than the maturity delay (gateway/outcomes/query.ts).
 *
 * Freshness: the newest sampled record of the model (seconds), else the newest
 * rollup minute. When the pipeline stalls (Kafka or the sink down) it stops
 * moving and the controller treats the source as stale.
 *
 * SQL runs on 18.16 and current servers: values are bound by ClickHouse.select
 * ({name:Type} placeholders, inlined as checked literals on 18.16).
 */
import { ClickHouse, type ClickHouseOptions } from '../sink/clickhouse.js'
import { identifier } from '../sink/sql.js'
import { LATENCY_CELLS } from '../observe/records.js'
import { emptyVersionWindow, outputValue, SourceUnavailable, type AnalysisSource, type VersionWindow, type WindowData, type WindowQuery } from './source.js'
import { queryOutcomes } from '../outcomes/query.js'
import { emptySums } from '../outcomes/metrics.js'

/** Sampled outputs read per version and window, at most (the newest). */
export const MAX_OUTPUT_ROWS = 5_000

/**
 * Which traffic the analysis counts: live users only. Batch scoring is logged
 * in the same tables under `traffic = 'batch'` and must not judge a canary
 * (a nightly job is a different population). The one place both queries take it from.
 */
export const TRAFFIC_FILTER = "AND traffic = 'live'"

export const WINDOW_ROLLUP_QUERY = (db: string): string => `SELECT version,
  sum(requests) AS n,
  sumIf(requests, status_class = 5) AS e,
  sumForEach(latency_buckets) AS cells
FROM ${db}.rollups FINAL
WHERE model = {model:String} AND version IN ({stable:String}, {canary:String})
  AND minute >= toDateTime({from:UInt32}) AND minute < toDateTime({to:UInt32}) ${TRAFFIC_FILTER}
GROUP BY version`

export const WINDOW_OUTPUT_QUERY = (db: string): string => `SELECT version, response_body AS body
FROM ${db}.records FINAL
WHERE model = {model:String} AND version IN ({stable:String}, {canary:String})
  AND time >= toDateTime({from:UInt32}) AND time < toDateTime({to:UInt32})
  AND status >= 200 AND status < 300 AND response_body != '' ${TRAFFIC_FILTER}
ORDER BY time DESC
LIMIT ${MAX_OUTPUT_ROWS} BY version`

export const NEWEST_QUERY = (db: string): string => `SELECT
  (SELECT toUInt32(max(time)) FROM ${db}.records WHERE model = {model:String} AND time >= toDateTime({since:UInt32})) AS record_s,
  (SELECT toUInt32(max(minute)) FROM ${db}.rollups WHERE model = {model:String} AND minute >= toDateTime({since:UInt32})) AS rollup_s`

interface RollupAgg { version: string, n: string | number, e: string | number, cells: Array<string | number> }

export class ClickHouseSource implements AnalysisSource {
  readonly name = 'clickhouse'
  readonly #ch: ClickHouse

  constructor (opts: ClickHouseOptions) {
    this.#ch = new ClickHouse({ requestTimeoutMs: 5_000, ...opts })
  }

  watch (): void {}

  async window (q: WindowQuery): Promise<WindowData> {
    const db = identifier(this.#ch.database)
    try {
      // The watch compares the new version now with the previous one before promotion: two ranges, two reads.
      const s = q.stableRange
      const [both, stableThen, newest, outcomes] = await Promise.all([
        this.#versions(db, q, s === undefined ? [q.stable, q.canary] : [q.canary], q.from, q.to),
        s === undefined ? Promise.resolve(null) : this.#versions(db, q, [q.stable], s.from, s.to),
        this.#ch.select<{ record_s: string | number, rollup_s: string | number }>(NEWEST_QUERY(db), { model: q.model, since: Math.floor(q.to / 1000) - 3600 }),
        this.#outcomes(q)
      ])
      const rec = Number(newest[0]?.record_s ?? 0)
      const roll = Number(newest[0]?.rollup_s ?? 0)
      // A rollup minute says only that the minute had traffic: count it as fresh up to its end.
      const newestAt = rec > 0 ? rec * 1000 : roll > 0 ? roll * 1000 + 60_000 : null
      return { stable: (stableThen ?? both).get(q.stable)!, canary: both.get(q.canary)!, newestAt, ...(outcomes === undefined ? {} : { outcomes }) }
    } catch (err) {
      throw new SourceUnavailable(`ClickHouse query failed: ${(err as Error).message.split('\n')[0]!.slice(0, 200)}`, { cause: err })
    }
  }

  /** Outcome sums of the window's requests older than the maturity delay (none yet: empty sums). */
  async #outcomes (q: WindowQuery): Promise<WindowData['outcomes']> {
    if (q.outcomes == null) return undefined
    const matureBefore = q.to - q.outcomes.maturityMs
    if (matureBefore <= q.from) return { stable: emptySums(), canary: emptySums(), matureBefore }
    const data = await queryOutcomes(this.#ch, { model: q.model, from: q.from, to: matureBefore, threshold: q.outcomes.threshold })
    return { stable: data.versions.get(q.stable)?.total ?? emptySums(), canary: data.versions.get(q.canary)?.total ?? emptySums(), matureBefore }
  }

  /** Counts, latency and sampled outputs of `versions` over [from, to). */
  async #versions (db: string, q: WindowQuery, versions: string[], from: number, to: number): Promise<Map<string, VersionWindow>> {
    const params = { model: q.model, stable: versions[0]!, canary: versions[1] ?? versions[0]!, from: Math.floor(from / 60_000) * 60, to: Math.ceil(to / 1000) + 60 }
    const [rollups, outputs] = await Promise.all([
      this.#ch.select<RollupAgg>(WINDOW_ROLLUP_QUERY(db), params),
      q.output === null ? Promise.resolve([]) : this.#ch.select<{ version: string, body: string }>(WINDOW_OUTPUT_QUERY(db), { ...params, from: Math.floor(from / 1000), to: Math.ceil(to / 1000) })
    ])
    const windows = new Map<string, VersionWindow>(versions.map(v => [v, emptyVersionWindow(LATENCY_CELLS)]))
    for (const r of rollups) {
      const w = windows.get(r.version)
      if (w === undefined) continue
      w.requests = Number(r.n)
      w.errors = Number(r.e)
      w.latency = r.cells.map(Number)
    }
    if (q.output !== null) {
      for (const r of outputs) {
        let v: number | null = null
        try { v = outputValue(JSON.parse(r.body), q.output.name, q.output.index) } catch { /* a truncated body: skip it */ }
        if (v !== null) windows.get(r.version)?.outputs.push(v)
      }
    }
    return windows
  }

  async close (): Promise<void> {
    await this.#ch.close()
  }
}
