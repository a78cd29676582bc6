/**
 * GET /admin/models/{m}/series (role "read"): per version, request rate, error
 * rate, latency quantiles and the spread of the first output over time — what
 * the console's model page draws, and what a script can read.
 *
 *   ?seconds=300   how far back (local: up to SERIES_SECONDS; ClickHouse: a day)
 *   ?step=5        seconds per point (ClickHouse: rounded up to whole minutes)
 *
 * From this instance's own traffic (observe/series.ts), or from ClickHouse's
 * rollups and sampled records (the fleet) when the release source is ClickHouse.
 */
import { Type, type Static } from '@sinclair/typebox'
import type { AdminModule } from './listener.js'
import { ModelParams, QueryValue } from './validation.js'
import type { StateStore } from '../control/store.js'
import { errors } from '../errors.js'
import { LATENCY_BUCKETS_MS, LATENCY_CELLS } from '../observe/records.js'
import { LATENCY_BOUNDS_MS, SERIES_LATENCY_CELLS, SERIES_SECONDS, type TrafficSeries } from '../observe/series.js'
import { histogramQuantile } from '../sink/report.js'

export const DEFAULT_SERIES_SECONDS = 300
export const DEFAULT_SERIES_STEP = 5
export const MAX_CLICKHOUSE_SECONDS = 86_400

/** What one step of one version holds before it becomes a point. */
export interface StepBucket {
  requests: number
  errors: number
  /** Counts per latency cell: LATENCY_BUCKETS_MS (the rollups'), or the bounds given to seriesPoint. */
  latency: number[]
  outputs: number[]
}

export interface SeriesPoint {
  /** Epoch second the step starts at. */
  t: number
  requests: number
  /** Requests per second over the step. */
  rps: number
  /** 5xx share, null without requests. */
  errorRate: number | null
  p50: number | null
  p95: number | null
  p99: number | null
  /** Quantiles of the sampled first output, null without samples. */
  output: { n: number, p10: number, p50: number, p90: number } | null
}

export interface SeriesAnswer {
  source: 'local' | 'clickhouse'
  model: string
  step: number
  from: number
  to: number
  versions: Array<{ version: string, points: SeriesPoint[] }>
}

/** A fleet-wide reader (release/series-clickhouse.ts): version -> step start (epoch s) -> bucket. */
export interface SeriesReader {
  buckets (model: string, versions: readonly string[], from: number, to: number, step: number): Promise<Map<string, Map<number, StepBucket>>>
}

export interface SeriesDeps {
  store: StateStore
  local: TrafficSeries
  /** The fleet's series from ClickHouse; null reads this instance's. */
  clickhouse: SeriesReader | null
  now?: () => number
}

const SeriesQuery = Type.Object({ seconds: QueryValue, step: QueryValue })

export function seriesAdminModule (deps: SeriesDeps): AdminModule {
  const now = deps.now ?? Date.now
  return (app) => {
    app.get<{ Params: Static<typeof ModelParams>, Querystring: Static<typeof SeriesQuery> }>('/admin/models/:model/series', { schema: { params: ModelParams, querystring: SeriesQuery } }, async (request) => {
      const { model } = request.params
      const ms = deps.store.get().models[model]
      if (ms === undefined) throw errors.unknownModel(model)
      const versions = Object.keys(ms.versions)
      const ch = deps.clickhouse
      const maxSeconds = ch === null ? SERIES_SECONDS : MAX_CLICKHOUSE_SECONDS
      const seconds = intParam(request.query.seconds, 'seconds', DEFAULT_SERIES_SECONDS, 10, maxSeconds)
      const asked = intParam(request.query.step, 'step', DEFAULT_SERIES_STEP, 1, 3600)
      // Rollups are per minute: a finer step would only show empty points between them.
      const step = ch === null ? asked : Math.ceil(asked / 60) * 60
      const to = Math.floor(now() / 1000 / step) * step + step
      const from = to - Math.ceil(seconds / step) * step
      if (ch !== null) {
        const buckets = await ch.buckets(model, versions, from, to, step)
        return answer('clickhouse', model, step, from, to, now(), versions, (v, t) => buckets.get(v)?.get(t))
      }
      return answer('local', model, step, from, to, now(), versions, (v, t) => {
        const b = emptyBucket(SERIES_LATENCY_CELLS)
        for (const s of deps.local.slots(model, v, t, t + step)) {
          b.requests += s.requests
          b.errors += s.errors
          for (let i = 0; i < SERIES_LATENCY_CELLS; i++) b.latency[i]! += s.latency[i]!
          for (const x of s.outputs) b.outputs.push(x)
        }
        return b
      }, LATENCY_BOUNDS_MS)
    })
  }
}

function answer (source: SeriesAnswer['source'], model: string, step: number, from: number, to: number, nowMs: number, versions: string[], bucket: (version: string, t: number) => StepBucket | undefined, bounds: readonly number[] = LATENCY_BUCKETS_MS): SeriesAnswer {
  const nowSecond = Math.floor(nowMs / 1000)
  return {
    source,
    model,
    step,
    from,
    to,
    versions: versions.map(version => {
      const points: SeriesPoint[] = []
      // The current step is still filling: its rate is over the seconds it has had, not the whole step.
      for (let t = from; t < to; t += step) points.push(seriesPoint(t, Math.max(1, Math.min(step, nowSecond - t)), bucket(version, t) ?? emptyBucket(bounds.length + 1), bounds))
      return { version, points }
    })
  }
}

export function emptyBucket (cells = LATENCY_CELLS): StepBucket {
  return { requests: 0, errors: 0, latency: new Array<number>(cells).fill(0), outputs: [] }
}

/** `seconds`: how long the step has run (the whole step, except for the current one); `bounds`: the latency cells' upper bounds in ms. */
export function seriesPoint (t: number, seconds: number, b: StepBucket, bounds: readonly number[] = LATENCY_BUCKETS_MS): SeriesPoint {
  const q = (p: number): number | null => b.requests === 0 ? null : round(histogramQuantile(b.latency, p, bounds))
  let output: SeriesPoint['output'] = null
  if (b.outputs.length > 0) {
    const sorted = b.outputs.slice().sort((x, y) => x - y)
    const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
    output = { n: sorted.length, p10: at(0.1), p50: at(0.5), p90: at(0.9) }
  }
  return {
    t,
    requests: b.requests,
    rps: round(b.requests / seconds),
    errorRate: b.requests === 0 ? null : b.errors / b.requests,
    p50: q(0.5),
    p95: q(0.95),
    p99: q(0.99),
    output
  }
}

function intParam (raw: string | undefined, name: string, dflt: number, min: number, max: number): number {
  if (raw === undefined) return dflt
  const n = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN
  if (!(n >= min && n <= max)) throw errors.invalid(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw.slice(0, 40))}`)
  return n
}

function round (x: number): number {
  return Math.round(x * 1000) / 1000
}
