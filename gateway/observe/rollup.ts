/**
 * Exact per-minute counters per (model, version, traffic kind, application, status class) with a latency
 * histogram, updated by every request. The hot path is three Map lookups and a few
 * typed-array increments: series and their minute slots are allocated once per
 * (model, version) and reused, so steady state allocates nothing per request.
 *
 * Why cumulative rows: each flush emits, for every cell touched since the last
 * flush, the cell's totals *so far* with a larger flush_seq. ClickHouse keeps the
 * row with the highest flush_seq per (model, version, minute, instance, run,
 * status class) (ReplacingMergeTree(flush_seq)), so a message Kafka delivers twice,
 * a replay after a sink crash, or a re-sent batch collapses to the same totals
 * instead of adding up. Summing the surviving rows over instances gives the exact
 * per-minute total across all gateways.
 */
import { LATENCY_CELLS, latencyCell, statusClass, type RollupRow } from './records.js'
import type { Traffic } from './outcome.js'

/** Minutes kept per series; a request that finishes more than this many minutes after it started is counted in the oldest kept minute. */
export const ROLLUP_RING_MINUTES = 4
/** Series beyond this many (model, version) pairs are counted under OVERFLOW_MODEL so memory stays bounded. */
export const MAX_ROLLUP_SERIES = 10_000
export const OVERFLOW_MODEL = '(overflow)'
/** Requests for models the config does not declare are counted under this name (the URL's name is unbounded input). */
export const UNKNOWN_MODEL = '(unknown)'

const CLASSES = 5
/** Per class: [requests, latency sum, throttled, ...LATENCY_CELLS histogram cells]. */
const STRIDE = 3 + LATENCY_CELLS
const HISTOGRAM = 3

class Slot {
  minute = -1
  readonly data = new Float64Array(CLASSES * STRIDE)
  readonly dirty = new Uint8Array(CLASSES)
  anyDirty = false

  reset (minute: number): void {
    this.minute = minute
    this.data.fill(0)
    this.dirty.fill(0)
    this.anyDirty = false
  }
}

class Series {
  readonly slots: Slot[] = []
  constructor (readonly model: string, readonly version: string, readonly traffic: Traffic, readonly application: string) {
    for (let i = 0; i < ROLLUP_RING_MINUTES; i++) this.slots.push(new Slot())
  }
}

/** model -> version -> application -> series */
type SeriesTree = Map<string, Map<string, Map<string, Series>>>

export class RollupCounters {
  /** One tree per traffic kind (no key string built per request). */
  readonly #live: SeriesTree = new Map()
  readonly #batch: SeriesTree = new Map()
  readonly #known: ReadonlySet<string> | null
  readonly #instanceId: string
  readonly #runId: string
  #count = 0
  #flushSeq = 0
  /** Rows of slots recycled before a flush saw them (only when flushes are rarer than the ring). */
  #spilled: RollupRow[] = []

  constructor (instanceId: string, runId: string, knownModels?: Iterable<string>) {
    this.#instanceId = instanceId
    this.#runId = runId
    this.#known = knownModels === undefined ? null : new Set(knownModels)
  }

  /** `throttled`: refused for the application's quota (429), counted besides the request. */
  record (model: string, version: string | null, status: number, totalMs: number, startedAt: number, traffic: Traffic = 'live', application = '', throttled = false): void {
    if (this.#known !== null && !this.#known.has(model)) model = UNKNOWN_MODEL
    const s = this.#seriesFor(model, version ?? '', traffic, application)
    const minute = Math.floor(startedAt / 60_000)
    let slot = s.slots[minute % ROLLUP_RING_MINUTES]!
    if (slot.minute !== minute) {
      if (minute > slot.minute) {
        if (slot.anyDirty) this.#emitSlot(s, slot, this.#spilled, ++this.#flushSeq)
        slot.reset(minute)
      } else {
        // Older than the ring: count it in the oldest minute still kept so totals stay exact.
        slot = oldest(s.slots)
        if (slot.minute < 0) slot.reset(minute)
      }
    }
    const c = statusClass(status) - 1
    const base = c * STRIDE
    const d = slot.data
    d[base]! += 1
    d[base + 1]! += totalMs
    if (throttled) d[base + 2]! += 1
    d[base + HISTOGRAM + latencyCell(totalMs)]! += 1
    slot.dirty[c] = 1
    slot.anyDirty = true
  }

  /** Rows for every cell touched since the last flush, carrying cumulative values and a new flush_seq. */
  flush (): RollupRow[] {
    const out = this.#spilled
    this.#spilled = []
    const seq = ++this.#flushSeq
    for (const tree of [this.#live, this.#batch]) {
      for (const byVersion of tree.values()) {
        for (const byApp of byVersion.values()) {
          for (const s of byApp.values()) {
            for (const slot of s.slots) if (slot.anyDirty) this.#emitSlot(s, slot, out, seq)
          }
        }
      }
    }
    return out
  }

  get seriesCount (): number {
    return this.#count
  }

  #seriesFor (model: string, version: string, traffic: Traffic, application: string): Series {
    const tree = traffic === 'batch' ? this.#batch : this.#live
    let s = tree.get(model)?.get(version)?.get(application)
    if (s !== undefined) return s
    if (this.#count >= MAX_ROLLUP_SERIES) {
      model = OVERFLOW_MODEL
      version = ''
      application = ''
      s = tree.get(model)?.get(version)?.get(application)
      if (s !== undefined) return s
    }
    let byVersion = tree.get(model)
    if (byVersion === undefined) tree.set(model, byVersion = new Map())
    let byApp = byVersion.get(version)
    if (byApp === undefined) byVersion.set(version, byApp = new Map())
    s = new Series(model, version, traffic, application)
    byApp.set(application, s)
    this.#count++
    return s
  }

  #emitSlot (s: Series, slot: Slot, out: RollupRow[], seq: number): void {
    const d = slot.data
    for (let c = 0; c < CLASSES; c++) {
      if (slot.dirty[c] === 0) continue
      slot.dirty[c] = 0
      const base = c * STRIDE
      out.push({
        minute: slot.minute * 60,
        model: s.model,
        version: s.version,
        instance_id: this.#instanceId,
        run_id: this.#runId,
        traffic: s.traffic,
        application: s.application,
        status_class: c + 1,
        flush_seq: seq,
        requests: d[base]!,
        throttled: d[base + 2]!,
        latency_sum_ms: Math.round(d[base + 1]! * 1000) / 1000,
        latency_buckets: Array.from(d.subarray(base + HISTOGRAM, base + STRIDE))
      })
    }
    slot.anyDirty = false
  }
}

function oldest (slots: Slot[]): Slot {
  let o = slots[0]!
  for (const s of slots) if (s.minute < o.minute) o = s
  return o
}

/** Identity of a rollup cell: rows with the same key replace each other (the higher flush_seq wins). */
export function rollupKey (r: RollupRow): string {
  return `${r.model}\u0000${r.version}\u0000${r.traffic}\u0000${r.application}\u0000${r.minute}\u0000${r.status_class}`
}
