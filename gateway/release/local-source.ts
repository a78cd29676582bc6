/**
 * The local source: this instance's own traffic, for a gateway without a
 * pipeline (the demo, a single instance). A request observer keeps, per watched
 * (model, version), one-second slots of exact counts and latency histograms
 * (the same cells as the per-minute rollups in observe/rollup.ts, at a finer
 * grain so steps of a few seconds can be judged) and a bounded sample of the
 * watched output parsed from 2xx response bodies.
 *
 * Cost on the request path: nothing for models no rollout watches; for watched
 * versions a Map lookup and a few increments, plus one JSON.parse of the
 * response body for at most OUTPUT_SAMPLES_PER_SECOND responses per second and
 * version. In a fleet, each instance's traffic is a random sample of the same
 * split, so one instance's window is a valid (smaller) sample of the fleet's.
 */
import { LATENCY_CELLS, latencyCell } from '../observe/records.js'
import type { RequestObserver, RequestOutcome } from '../observe/outcome.js'
import { emptyVersionWindow, outputValue, type AnalysisSource, type SkipFirst, type VersionWindow, type WindowData, type WindowQuery } from './source.js'

/** Seconds of history kept per watched version. */
export const LOCAL_WINDOW_SECONDS = 1800
/** Response bodies parsed per second and version, at most. */
export const OUTPUT_SAMPLES_PER_SECOND = 50
export const MAX_WATCHED_SERIES = 64
/** Past windows kept once summed (post-promotion baselines), so they outlive the slots they came from. */
export const MAX_FROZEN_WINDOWS = 64

/** One second of one segment. */
interface SegmentCell {
  requests: number
  errors: number
  readonly latency: Float64Array
  readonly outputs: number[]
}

class Slot {
  second = -1
  /** By segment, for models with segments (made on first use, emptied with the slot). */
  segments: Map<string, SegmentCell> | null = null
  requests = 0
  errors = 0
  readonly latency = new Float64Array(LATENCY_CELLS)
  readonly outputs: number[] = []
  parsed = 0
  /** 2xx answers seen this second, for spreading the parsed ones over it. */
  seen = 0

  reset (second: number): void {
    this.second = second
    this.requests = 0
    this.errors = 0
    this.latency.fill(0)
    this.outputs.length = 0
    this.parsed = 0
    this.seen = 0
    this.segments?.clear()
  }

  segment (name: string): SegmentCell {
    this.segments ??= new Map()
    let c = this.segments.get(name)
    if (c === undefined) this.segments.set(name, c = { requests: 0, errors: 0, latency: new Float64Array(LATENCY_CELLS), outputs: [] })
    return c
  }
}

class Series {
  readonly slots: Slot[] = Array.from({ length: LOCAL_WINDOW_SECONDS }, () => new Slot())
  /** Each replica's first skipFirst answers are left out (its cold start); answers seen so far by replica. */
  skipFirst = 0
  readonly seenBy = new Map<string, number>()
  /** Parse every stride-th 2xx answer: the last full second's rate over OUTPUT_SAMPLES_PER_SECOND, so the sample spreads over each second instead of taking its first answers. */
  stride = 1
  constructor (public output: WindowQuery['output']) {}
}

function add (into: Record<string, VersionWindow>, name: string, c: SegmentCell): void {
  const w = into[name] ??= emptyVersionWindow(LATENCY_CELLS)
  w.requests += c.requests
  w.errors += c.errors
  for (let i = 0; i < LATENCY_CELLS; i++) w.latency[i]! += c.latency[i]!
  for (const v of c.outputs) w.outputs.push(v)
}

export class LocalWindow implements RequestObserver, AnalysisSource {
  readonly name = 'local'
  readonly #series = new Map<string, Map<string, Series>>()
  readonly #now: () => number
  /** Sums of windows that had ended when first asked for, by model, version and range. */
  readonly #frozen = new Map<string, VersionWindow>()
  #count = 0

  constructor (now: () => number = Date.now) {
    this.#now = now
  }

  watch (model: string, versions: readonly string[], output: WindowQuery['output'], skip?: SkipFirst): void {
    let byVersion = this.#series.get(model)
    if (byVersion === undefined) this.#series.set(model, byVersion = new Map())
    for (const v of versions) {
      let s = byVersion.get(v)
      if (s !== undefined) s.output = output
      else {
        if (this.#count >= MAX_WATCHED_SERIES) continue
        byVersion.set(v, s = new Series(output))
        this.#count++
      }
      // window() re-watches without a skip on every analysis: only the rollout's own watch sets the skip.
      if (skip !== undefined) s.skipFirst = skip.version === v ? skip.requests : 0
    }
  }

  /** Stops recording a model (its rollout ended). */
  unwatch (model: string): void {
    const m = this.#series.get(model)
    if (m === undefined) return
    this.#count -= m.size
    this.#series.delete(model)
  }

  observe (o: RequestOutcome): void {
    // Live users only, as the ClickHouse source counts: a batch job is another population.
    if (o.version === null || o.traffic !== 'live' || o.kind !== 'infer') return
    const s = this.#series.get(o.model)?.get(o.version)
    if (s === undefined) return
    if (s.skipFirst > 0 && o.replica !== null) {
      const n = s.seenBy.get(o.replica) ?? 0
      if (n < s.skipFirst) {
        s.seenBy.set(o.replica, n + 1)
        return
      }
    }
    const second = Math.floor(o.startedAt / 1000)
    const slot = s.slots[second % LOCAL_WINDOW_SECONDS]!
    if (slot.second !== second) {
      if (second < slot.second) return
      const prev = s.slots[(second - 1) % LOCAL_WINDOW_SECONDS]!
      s.stride = prev.second === second - 1 ? Math.max(1, Math.ceil(prev.seen / OUTPUT_SAMPLES_PER_SECOND)) : s.stride
      slot.reset(second)
    }
    const error = o.status >= 500 || o.status < 100
    const cell = latencyCell(o.totalMs)
    slot.requests++
    if (error) slot.errors++
    slot.latency[cell]! += 1
    const seg = o.segment == null ? null : slot.segment(o.segment)
    if (seg !== null) {
      seg.requests++
      if (error) seg.errors++
      seg.latency[cell]! += 1
    }
    if (s.output !== null && o.status >= 200 && o.status < 300 && o.responseBody !== null && slot.seen++ % s.stride === 0 && slot.parsed < OUTPUT_SAMPLES_PER_SECOND) {
      slot.parsed++
      let v: number | null = null
      try {
        v = outputValue(JSON.parse(o.responseBody.toString('utf8')), s.output.name, s.output.index)
      } catch { /* not JSON (a binary tensor answer): nothing to watch */ }
      if (v !== null) {
        slot.outputs.push(v)
        seg?.outputs.push(v)
      }
    }
  }

  async window (q: WindowQuery): Promise<WindowData> {
    this.watch(q.model, [q.stable, q.canary], q.output)
    const s = q.stableRange ?? q
    return {
      stable: s.to <= this.#now() ? this.#past(q.model, q.stable, s.from, s.to) : this.#sum(q.model, q.stable, s.from, s.to),
      canary: this.#sum(q.model, q.canary, q.from, q.to),
      // In-process data is never stale: it is this instance's own traffic, up to now.
      newestAt: this.#now()
    }
  }

  /**
   * A window that has ended: summed once while its slots are still here, then
   * kept, so a watch of hours still has the baseline from before the promotion.
   */
  #past (model: string, version: string, from: number, to: number): VersionWindow {
    const key = `${model}\u0000${version}\u0000${from}\u0000${to}`
    let w = this.#frozen.get(key)
    if (w === undefined) {
      w = this.#sum(model, version, from, to)
      if (this.#frozen.size >= MAX_FROZEN_WINDOWS) this.#frozen.delete(this.#frozen.keys().next().value!)
      this.#frozen.set(key, w)
    }
    return { ...w, latency: [...w.latency], outputs: [...w.outputs] }
  }

  #sum (model: string, version: string, from: number, to: number): VersionWindow {
    const out = emptyVersionWindow(LATENCY_CELLS)
    const s = this.#series.get(model)?.get(version)
    if (s === undefined) return out
    const lo = Math.floor(from / 1000)
    const hi = Math.ceil(to / 1000)
    for (const slot of s.slots) {
      if (slot.second < lo || slot.second >= hi) continue
      out.requests += slot.requests
      out.errors += slot.errors
      for (let i = 0; i < LATENCY_CELLS; i++) out.latency[i]! += slot.latency[i]!
      for (const v of slot.outputs) out.outputs.push(v)
      if (slot.segments !== null) for (const [name, c] of slot.segments) add(out.bySegment ??= {}, name, c)
    }
    return out
  }

  async close (): Promise<void> {
    this.#series.clear()
    this.#frozen.clear()
    this.#count = 0
  }
}
