/**
 * The assignment ledger on the request path: every live request of a model with
 * `outcomes.ledger` becomes one RowBinary row (ledger-row.ts) appended to the
 * open byte segment of its model and version. Segments of SEGMENT_BYTES are the
 * Kafka messages (keyed model/version, like records); a full one is sealed and
 * queued, and a drain seals the open ones too. Nothing is allocated per request
 * but the id's bytes written in place: no row object, no JSON, no key string.
 *
 * Bounded by bytes like the record buffer: a row that does not fit is dropped
 * and counted (the pipeline logs and exports the count), never waited on.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { ResolvedModel } from '../config/load.js'
import { bucketOf } from '../routing/buckets.js'
import type { RequestOutcome } from './outcome.js'
import { PredictionReader } from './prediction.js'
import { encodeNames, maxRowBytes, NO_BUCKET, writeRow } from './ledger-row.js'

/** Bytes per segment: one Kafka message of a few hundred to a few thousand rows. */
export const SEGMENT_BYTES = 64 * 1024

export interface BinaryMessage {
  key: string
  value: Buffer
  /** Rows in `value`. */
  rows: number
}

interface Lane {
  readonly key: string
  readonly model: string
  readonly version: string
  release: string | null
  /** model, version and release as they go into each row. */
  names: Buffer
  /** maxRowBytes for these names. */
  need: number
  buf: Buffer
  len: number
  rows: number
}

/** A sealed segment and, when it filled a whole buffer, that buffer (reused once the segment is released). */
interface Sealed extends BinaryMessage {
  readonly backing: Buffer | null
}

/**
 * Released segment buffers kept for reuse. A fresh 64 KiB buffer per segment
 * meant new pages to fault in and external memory for the GC to account, a
 * few per second at full load; a handful covers a send in flight.
 */
export const SPARE_SEGMENTS = 16

interface ModelLedger {
  readonly prediction: PredictionReader | null
  readonly lanes: Map<string, Lane>
}


export class LedgerBuffer {
  readonly maxBytes: number
  readonly #models = new Map<string, ModelLedger>()
  readonly #sealed: Sealed[] = []
  readonly #spare: Buffer[] = []
  #sealedBytes = 0
  #openBytes = 0
  #rows = 0
  #dropped = 0

  constructor (models: Readonly<Record<string, Pick<ResolvedModel, 'outcomes'>>>, maxBytes: number) {
    if (!(maxBytes >= SEGMENT_BYTES)) throw new RangeError(`ledger maxBytes must be at least ${SEGMENT_BYTES}, got ${maxBytes}`)
    this.maxBytes = maxBytes
    for (const [name, m] of Object.entries(models)) {
      if (m.outcomes == null || !m.outcomes.ledger) continue
      this.#models.set(name, { prediction: m.outcomes.prediction === null ? null : new PredictionReader(m.outcomes.prediction), lanes: new Map() })
    }
  }

  /** True when some model keeps a ledger (the pipeline skips the call otherwise). */
  get enabled (): boolean { return this.#models.size > 0 }

  /** Appends the request's row; false (and counted) when the bound is reached. Live traffic with a version only. */
  write (o: RequestOutcome): boolean {
    const m = this.#models.get(o.model)
    if (m === undefined || o.version === null) return false
    let lane = m.lanes.get(o.version)
    if (lane === undefined) m.lanes.set(o.version, lane = newLane(o.model, o.version, this.#segment()))
    if (lane.release !== o.release) {
      lane.release = o.release
      lane.names = encodeNames(lane.model, lane.version, o.release ?? '')
      lane.need = maxRowBytes(lane.names.length)
    }
    const need = lane.need
    if (lane.len + need > lane.buf.length) this.#seal(lane)
    if (this.#sealedBytes + this.#openBytes + need > this.maxBytes) {
      this.#dropped++
      return false
    }
    const key = o.stickyKey
    const prediction = m.prediction === null || o.status < 200 || o.status >= 300 ? NaN : m.prediction.read(o.responseBody, o.responseHeaderLength)
    const bucket = key === undefined || key === '' || o.seed === undefined ? NO_BUCKET : bucketOf(key, o.seed)
    const end = writeRow(lane.buf, lane.len, o.startedAt, o.requestId, bucket, o.status, prediction, lane.names)
    this.#openBytes += end - lane.len
    lane.len = end
    lane.rows++
    this.#rows++
    return true
  }

  /**
   * Seals every open segment and returns queued segments from the front, at
   * most `maxBytes` (at least one), without removing them: release() after the
   * transport confirmed them, so a failed send is retried.
   */
  peek (maxBytes: number): BinaryMessage[] {
    for (const m of this.#models.values()) for (const lane of m.lanes.values()) if (lane.len > 0) this.#seal(lane)
    const out: BinaryMessage[] = []
    let bytes = 0
    for (const s of this.#sealed) {
      bytes += s.value.length
      if (out.length > 0 && bytes > maxBytes) break
      out.push(s)
    }
    return out
  }

  /** Drops the first `n` queued segments: the transport has them (it keeps no reference once its send resolved). */
  release (n: number): void {
    for (const s of this.#sealed.splice(0, n)) {
      this.#sealedBytes -= s.value.length
      if (s.backing !== null && this.#spare.length < SPARE_SEGMENTS) this.#spare.push(s.backing)
    }
  }

  /** Segments waiting to be sent, and their bytes (open segments included). */
  get segments (): number { return this.#sealed.length }
  get bytes (): number { return this.#sealedBytes + this.#openBytes }

  /** Rows written since the last call (for the metric), and rows refused since the last call. */
  takeRows (): number {
    const n = this.#rows
    this.#rows = 0
    return n
  }

  takeDropped (): number {
    const d = this.#dropped
    this.#dropped = 0
    return d
  }

  #segment (): Buffer {
    return this.#spare.pop() ?? Buffer.allocUnsafe(SEGMENT_BYTES)
  }

  #seal (lane: Lane): void {
    if (lane.len === 0) return
    // A segment sealed mostly empty (a drain between requests) is copied out, and the big buffer reused.
    let value: Buffer
    let backing: Buffer | null = null
    if (lane.len < SEGMENT_BYTES / 2) value = Buffer.from(lane.buf.subarray(0, lane.len))
    else {
      backing = lane.buf
      value = lane.buf.subarray(0, lane.len)
      lane.buf = this.#segment()
    }
    this.#sealed.push({ key: lane.key, value, rows: lane.rows, backing })
    this.#sealedBytes += lane.len
    this.#openBytes -= lane.len
    lane.len = 0
    lane.rows = 0
  }
}

function newLane (model: string, version: string, buf: Buffer): Lane {
  const names = encodeNames(model, version, '')
  return { key: `${model}/${version}`, model, version, release: null, names, need: maxRowBytes(names.length), buf, len: 0, rows: 0 }
}

/** The ledger's gauges: bytes waiting, rows written (counted in plain fields on the request path, read when scraped). */
export function registerLedgerMetrics (registry: Registry, ledger: LedgerBuffer): void {
  new Gauge({ name: 'model_gateway_pipeline_ledger_bytes', help: 'Assignment-ledger bytes waiting to be sent', registers: [registry], collect () { this.set(ledger.bytes) } })
  const rows = new Counter({
    name: 'model_gateway_ledger_rows_total',
    help: 'Live requests written to the assignment ledger',
    registers: [registry],
    collect: () => {
      const n = ledger.takeRows()
      if (n > 0) rows.inc(n)
    }
  })
}
