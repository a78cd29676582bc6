/**
 * Per-version traffic over the last minutes, one-second slots, for the
 * console's model page (request rate, errors, latency, outputs over time) on a
 * gateway without a pipeline. With ClickHouse the page reads the fleet's
 * rollups instead; this is the instance's own view either way.
 *
 * Counts and latency come from the totals the Prometheus metrics keep anyway
 * (observe/metrics.ts): once a second a timer reads them for every version in
 * the routing snapshot and stores what changed since the last read in the slot
 * of the second that just ended. So the series cost nothing per request; the
 * data plane's CPU per request with the console on was measurably higher when
 * they were counted a second time per request (bench/console.ts).
 *
 * The output spread needs response bodies, which only the request path sees:
 * the observer compares one time stamp per request and looks further only
 * every OUTPUT_GATE_MS, parsing the first output of at most
 * OUTPUT_SAMPLES_PER_SECOND 2xx answers per second and version. Names are
 * bounded: only versions in the routing snapshot get a series, at most MAX_SERIES.
 */
import type { RequestObserver, RequestOutcome } from './outcome.js'
import { DURATION_BUCKETS, STATUS_CLASSES, type VersionCounts } from './metrics.js'
import type { Router } from '../proxy/router.js'

/** Seconds of history kept per version. */
export const SERIES_SECONDS = 600
export const OUTPUT_SAMPLES_PER_SECOND = 20
export const MAX_SERIES = 64
/** Milliseconds between two answers the observer looks at (for all versions together). */
export const OUTPUT_GATE_MS = 5
/** The timer reads the totals this long after each second has ended, so the second's last answers are in. */
export const SAMPLE_LAG_MS = 5
/** Upper bounds of the latency cells, in milliseconds: the metrics' request duration buckets; a last cell counts the slower answers. */
export const LATENCY_BOUNDS_MS: readonly number[] = Object.freeze(DURATION_BUCKETS.map(s => s * 1000))
export const SERIES_LATENCY_CELLS = LATENCY_BOUNDS_MS.length + 1

const NO_STATUS = STATUS_CLASSES.indexOf('0xx')
const SERVER_ERROR = STATUS_CLASSES.indexOf('5xx')

/** Where the totals are read: the metrics' per-(model, version) counts. */
export interface CountSource {
  counted (model: string, version: string): VersionCounts | undefined
}

export interface SeriesSlot {
  /** Epoch second this slot holds; -1 when unused. */
  second: number
  requests: number
  errors: number
  /** Counts per LATENCY_BOUNDS_MS cell. */
  latency: Float64Array
  /** First output value of sampled 2xx answers. */
  outputs: number[]
}

class VersionSeries {
  readonly slots: SeriesSlot[] = Array.from({ length: SERIES_SECONDS }, () => ({ second: -1, requests: 0, errors: 0, latency: new Float64Array(SERIES_LATENCY_CELLS), outputs: [] }))
  /** Totals at the last read: requests, errors, then the latency cells. */
  readonly last = new Float64Array(2 + SERIES_LATENCY_CELLS)
  /** Epoch ms before which no answer of this version is parsed, spreading the samples over each second. */
  nextOutputAt = 0
}

export class TrafficSeries implements RequestObserver {
  readonly #router: Router
  readonly #counts: CountSource
  readonly #now: () => number
  /** model -> version -> series. */
  readonly #series = new Map<string, Map<string, VersionSeries>>()
  readonly #totals = new Float64Array(2 + SERIES_LATENCY_CELLS)
  #count = 0
  #gate = 0
  #timer: NodeJS.Timeout | undefined

  constructor (router: Router, counts: CountSource, now: () => number = Date.now) {
    this.#router = router
    this.#counts = counts
    this.#now = now
  }

  /** Reads the totals just after every second, until stop(). */
  start (): void {
    const arm = (): void => {
      this.#timer = setTimeout(() => {
        this.sample(this.#now())
        arm()
      }, 1000 - (this.#now() % 1000) + SAMPLE_LAG_MS)
      this.#timer.unref()
    }
    if (this.#timer === undefined) arm()
  }

  stop (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** What every version in the snapshot answered since the last read, into the slot of the second before `nowMs`'s. */
  sample (nowMs: number): void {
    const second = Math.floor(nowMs / 1000) - 1
    for (const [model, route] of this.#router.snapshot.models) {
      for (const version of route.versions.keys()) {
        const c = this.#counts.counted(model, version)
        if (c === undefined) continue
        const s = this.#series.get(model)?.get(version) ?? this.#add(model, version)
        if (s !== null) this.#record(s, c, second)
      }
    }
  }

  observe (o: RequestOutcome): void {
    // Nearly every answer stops here: one comparison is all the console adds per request.
    if (o.startedAt < this.#gate) return
    this.#gate = o.startedAt + OUTPUT_GATE_MS
    if (o.version === null || o.status < 200 || o.status >= 300 || o.responseBody === null || o.responseHeaderLength >= 0) return
    const s = this.#series.get(o.model)?.get(o.version) ?? this.#add(o.model, o.version)
    if (s === null || o.startedAt < s.nextOutputAt) return
    s.nextOutputAt = o.startedAt + 1000 / OUTPUT_SAMPLES_PER_SECOND
    const slot = slotOf(s, Math.floor(o.startedAt / 1000))
    if (slot === null || slot.outputs.length >= OUTPUT_SAMPLES_PER_SECOND) return
    const v = firstOutput(o.responseBody)
    if (v !== null) slot.outputs.push(v)
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

  #record (s: VersionSeries, c: VersionCounts, second: number): void {
    const now = this.#totals
    const h = c.duration
    now[0] = h.count
    now[1] = c.requests[NO_STATUS]! + c.requests[SERVER_ERROR]!
    let inBounds = 0
    for (let i = 0; i < h.buckets.length; i++) {
      now[2 + i] = h.buckets[i]!
      inBounds += h.buckets[i]!
    }
    now[now.length - 1] = h.count - inBounds
    // Totals only grow, unless the registry was reset: then everything counted is new.
    if (now[0]! < s.last[0]!) s.last.fill(0)
    if (now[0] === s.last[0]) return
    const slot = slotOf(s, second)
    if (slot !== null) {
      slot.requests += now[0]! - s.last[0]!
      slot.errors += now[1]! - s.last[1]!
      for (let i = 0; i < SERIES_LATENCY_CELLS; i++) slot.latency[i]! += now[2 + i]! - s.last[2 + i]!
    }
    s.last.set(now)
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

/** The slot of `second`, emptied when it held an older one; null when the slot has moved past it. */
function slotOf (s: VersionSeries, second: number): SeriesSlot | null {
  const slot = s.slots[second % SERIES_SECONDS]!
  if (slot.second === second) return slot
  if (second < slot.second) return null
  slot.second = second
  slot.requests = 0
  slot.errors = 0
  slot.latency.fill(0)
  slot.outputs.length = 0
  return slot
}

function firstOutput (body: Buffer): number | null {
  try {
    const v = (JSON.parse(body.toString('utf8')) as { outputs?: Array<{ data?: unknown[] }> }).outputs?.[0]?.data?.[0]
    return typeof v === 'number' && Number.isFinite(v) ? v : null
  } catch {
    return null
  }
}
