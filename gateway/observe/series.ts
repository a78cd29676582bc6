/**
 * Per-version traffic over the last minutes, one-second slots, for the
 * console's model page (request rate, errors, latency, outputs over time) on a
 * gateway without a pipeline. With ClickHouse the page reads the fleet's
 * rollups instead; this is the instance's own view either way.
 *
 * Cost on the request path: two Map lookups and a few increments; one
 * JSON.parse of the response body for at most OUTPUT_SAMPLES_PER_SECOND 2xx
 * answers per second and version (the first output's first value, as the
 * outputs check reads it by default). Names are bounded: only versions in the
 * routing snapshot get a series, at most MAX_SERIES.
 */
import type { RequestObserver, RequestOutcome } from './outcome.js'
import { LATENCY_CELLS, latencyCell } from './records.js'
import type { Router } from '../proxy/router.js'

/** Seconds of history kept per version. */
export const SERIES_SECONDS = 600
export const OUTPUT_SAMPLES_PER_SECOND = 20
export const MAX_SERIES = 64

export interface SeriesSlot {
  /** Epoch second this slot holds; -1 when unused. */
  second: number
  requests: number
  errors: number
  /** Counts per LATENCY_BUCKETS_MS cell. */
  latency: Float64Array
  /** First output value of sampled 2xx answers. */
  outputs: number[]
}

class VersionSeries {
  readonly slots: SeriesSlot[] = Array.from({ length: SERIES_SECONDS }, () => ({ second: -1, requests: 0, errors: 0, latency: new Float64Array(LATENCY_CELLS), outputs: [] }))
  /** 2xx answers of the current second, to spread the parsed ones over it (every stride-th). */
  seen = 0
  stride = 1
}

export class TrafficSeries implements RequestObserver {
  readonly #router: Router
  /** model -> version -> series. */
  readonly #series = new Map<string, Map<string, VersionSeries>>()
  #count = 0

  constructor (router: Router) {
    this.#router = router
  }

  observe (o: RequestOutcome): void {
    if (o.version === null) return
    const s = this.#series.get(o.model)?.get(o.version) ?? this.#add(o.model, o.version)
    if (s === null) return
    const second = Math.floor(o.startedAt / 1000)
    const slot = s.slots[second % SERIES_SECONDS]!
    if (slot.second !== second) {
      if (second < slot.second) return
      s.stride = Math.max(1, Math.ceil(s.seen / OUTPUT_SAMPLES_PER_SECOND))
      s.seen = 0
      slot.second = second
      slot.requests = 0
      slot.errors = 0
      slot.latency.fill(0)
      slot.outputs.length = 0
    }
    slot.requests++
    if (o.status >= 500 || o.status < 100) slot.errors++
    slot.latency[latencyCell(o.totalMs)]! += 1
    if (o.status >= 200 && o.status < 300 && o.responseBody !== null && o.responseHeaderLength < 0 &&
        s.seen++ % s.stride === 0 && slot.outputs.length < OUTPUT_SAMPLES_PER_SECOND) {
      const v = firstOutput(o.responseBody)
      if (v !== null) slot.outputs.push(v)
    }
  }

  /** The slots of one version from `fromSecond` (inclusive) to `toSecond` (exclusive), oldest first. */
  slots (model: string, version: string, fromSecond: number, toSecond: number): SeriesSlot[] {
    const s = this.#series.get(model)?.get(version)
    if (s === undefined) return []
    const out: SeriesSlot[] = []
    for (let t = Math.max(fromSecond, toSecond - SERIES_SECONDS); t < toSecond; t++) {
      const slot = s.slots[t % SERIES_SECONDS]!
      if (slot.second === t) out.push(slot)
    }
    return out
  }

  #add (model: string, version: string): VersionSeries | null {
    if (this.#count >= MAX_SERIES || this.#router.snapshot.models.get(model)?.versions.has(version) !== true) return null
    let byVersion = this.#series.get(model)
    if (byVersion === undefined) this.#series.set(model, byVersion = new Map())
    const s = new VersionSeries()
    byVersion.set(version, s)
    this.#count++
    return s
  }
}

function firstOutput (body: Buffer): number | null {
  try {
    const v = (JSON.parse(body.toString('utf8')) as { outputs?: Array<{ data?: unknown[] }> }).outputs?.[0]?.data?.[0]
    return typeof v === 'number' && Number.isFinite(v) ? v : null
  } catch {
    return null
  }
}
