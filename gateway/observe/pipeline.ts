/**
 * The scoring-log pipeline of one gateway process. On the request path it only
 * updates the exact per-minute counters and, for sampled requests, serialises a
 * record into a bounded buffer. A timer drains the buffer in batches to the
 * transport (Kafka or a file); nothing on the request path waits on it.
 *
 * When the transport is slow or down: records that do not fit the buffer are
 * dropped and counted; rollup rows are never dropped while memory allows — they
 * are merged by cell (a newer cumulative row replaces the older one) and sent
 * once the transport is back.
 */
import { randomBytes } from 'node:crypto'
import { Counter, Gauge, type Registry } from 'prom-client'
import type { GatewayConfig } from '../config/load.js'
import type { RoutingState } from '../state/routing-state.js'
import type { HealthCheckResult, HealthResultSink } from '../health/result.js'
import type { Logger } from './log.js'
import type { RequestObserver, RequestOutcome } from './outcome.js'
import { BoundedBuffer, type BufferedMessage } from './buffer.js'
import { RollupCounters, rollupKey } from './rollup.js'
import { Sampler } from './sampler.js'
import { buildRecord, healthRow, type RollupRow } from './records.js'
import type { PipelineTransport } from './transport.js'
import type { ShadowPair, ShadowPairSink } from '../proxy/shadow.js'
import { shadowRow } from './shadow-row.js'
import type { ControlRow, ControlRowSink } from './control-row.js'
import { Redactor } from './redact.js'
import { LedgerBuffer, registerLedgerMetrics } from './ledger.js'

/** Most records in one send. */
export const MAX_BATCH_RECORDS = 10_000
/**
 * About the most bytes in one send, before compression. Kafka refuses a record
 * batch (per partition, compressed) above the broker's message.max.bytes (1 MiB
 * by default); staying at 1 MiB uncompressed per send keeps far below it.
 */
export const MAX_BATCH_BYTES = 1024 * 1024
/**
 * Most ledger bytes in one send. Its segments travel uncompressed (observe/kafka-producer.ts)
 * and all of one model version's go to one partition, so half the broker's
 * default message.max.bytes (1 MiB) leaves room for the batch's framing.
 */
export const LEDGER_BATCH_BYTES = 512 * 1024
/** Health results buffered at most (they are few: one per replica per interval). */
export const HEALTH_BUFFER_RECORDS = 10_000
/** Control rows (audit entries, rollout decisions) buffered at most: a few per change, kept through long outages. */
export const CONTROL_BUFFER_RECORDS = 20_000
/** Rollup rows kept at most while the transport is down (cells x minutes); far above what hours of outage produce. */
export const MAX_PENDING_ROLLUPS = 200_000
/** At most one "dropped" log line per this many ms. */
export const DROP_LOG_INTERVAL_MS = 10_000
export const RETRY_MIN_MS = 200
export const RETRY_MAX_MS = 5_000
/**
 * Sends are batched by time and by size. A Kafka send has a fixed CPU
 * cost (request building, one gzip stream per partition, the acks round trip)
 * of the order of a millisecond: sent every 200 ms it was most of what logging
 * cost per request at moderate rates. So the buffer is sent once flushIntervalMs
 * has passed since the last send, or sooner once it holds SEND_AT_RECORDS
 * records or SEND_AT_BYTES, checked every TICK_MS.
 */
export const TICK_MS = 100
export const SEND_AT_RECORDS = 2_000
export const SEND_AT_BYTES = 512 * 1024
/** How long close() keeps trying to send what is left. */
export const CLOSE_FLUSH_TIMEOUT_MS = 3_000

export interface PipelineOptions {
  instanceId: string
  models: GatewayConfig['models']
  bufferMaxRecords: number
  bufferMaxBytes: number
  flushIntervalMs: number
  rollupFlushMs: number
  transport: PipelineTransport
  /** Bytes of each output kept in a shadow pair. */
  shadowMaxOutputBytes?: number
  /** Secret of the keyed hash for models' redact.hash fields (logging.hashKey). */
  hashKey?: string | undefined
  logger: Logger
  registry?: Registry
  /** Injected clock for tests; Date.now by default. */
  now?: () => number
}

interface Metrics {
  sampled: Counter
  sent: Counter<'kind'>
  dropped: Counter<'kind'>
}

export class ScoringPipeline implements RequestObserver, HealthResultSink, ShadowPairSink, ControlRowSink {
  readonly #opts: PipelineOptions
  readonly #sampler: Sampler
  /** Models whose recorded bodies lose or hash fields (models' `redact`). */
  readonly #redactors: ReadonlyMap<string, Redactor>
  readonly #rollups: RollupCounters
  readonly #records: BoundedBuffer
  readonly #health: BoundedBuffer
  /** Shadow pairs: every mirrored request, bounded like records (dropped and counted when full). */
  readonly #shadow: BoundedBuffer
  /** The assignment ledger: every live request of a model that tracks outcomes (never sampled; dropped and counted when full). */
  readonly #ledger: LedgerBuffer
  /** The control plane's durable record (observe/control-row.ts). */
  readonly #control: BoundedBuffer
  /** Latest cumulative row per rollup cell, waiting to be sent. */
  readonly #pendingRollups = new Map<string, { key: string, row: RollupRow }>()
  readonly #metrics: Metrics | null
  readonly #now: () => number
  #timer: NodeJS.Timeout | null = null
  #sending: Promise<void> | null = null
  #lastRollupFlush = 0
  #lastSendAt = 0
  #retryAt = 0
  #failures = 0
  #lastDropLog = 0
  #dropsSinceLog = 0
  #lastErrorLog = 0
  #sampledCount = 0
  #closed = false
  readonly runId = randomBytes(6).toString('hex')

  constructor (opts: PipelineOptions) {
    this.#opts = opts
    this.#now = opts.now ?? Date.now
    this.#sampler = new Sampler(opts.models)
    this.#redactors = Redactor.forModels(opts.models, opts.hashKey)
    this.#rollups = new RollupCounters(opts.instanceId, this.runId, Object.keys(opts.models))
    this.#records = new BoundedBuffer(opts.bufferMaxRecords, opts.bufferMaxBytes)
    this.#health = new BoundedBuffer(HEALTH_BUFFER_RECORDS, Math.max(1024, Math.min(opts.bufferMaxBytes, 16 * 1024 * 1024)))
    this.#shadow = new BoundedBuffer(opts.bufferMaxRecords, opts.bufferMaxBytes)
    this.#ledger = new LedgerBuffer(opts.models, Math.max(opts.bufferMaxBytes, 1024 * 1024))
    this.#control = new BoundedBuffer(CONTROL_BUFFER_RECORDS, 64 * 1024 * 1024)
    this.#metrics = opts.registry === undefined ? null : this.#register(opts.registry)
    this.#lastRollupFlush = this.#now()
  }

  /** Starts the drain timer (unref'd: it never keeps the process alive). */
  start (): this {
    this.#timer ??= setInterval(() => { this.#tick() }, Math.min(this.#opts.flushIntervalMs, TICK_MS))
    this.#timer.unref()
    return this
  }

  observe (o: RequestOutcome): void {
    // Metadata calls score nothing: counted with them, a model's "requests" would not be its scoring requests.
    if (o.kind !== 'infer') return
    this.#rollups.record(o.model, o.version, o.status, o.totalMs, o.startedAt, o.traffic, o.application, o.errorCode === 'GW_RATE_LIMITED')
    if (o.traffic === 'live') this.#ledger.write(o)
    const d = this.#sampler.decide(o.model, o.version, o.requestId, o.status, o.errorCode)
    if (d === null) return
    this.#sampledCount++
    const rec = buildRecord(o, this.#opts.instanceId, d.rate, d.captureBodies, d.maxBodyBytes, this.#redactors.get(o.model) ?? null)
    this.#records.push(`${rec.model}/${rec.version}`, JSON.stringify(rec))
  }

  /** Takes the runtime per-version sampling rates of a new routing state. */
  applyState (state: RoutingState): void {
    this.#sampler.applyState(state)
  }

  record (r: HealthCheckResult): void {
    this.#health.push(`${r.model}/${r.version}`, JSON.stringify(healthRow(r)))
  }

  /** A shadow pair, off the response path (see proxy/shadow.ts). */
  pair (p: ShadowPair): void {
    const row = shadowRow(p, this.#opts.instanceId, this.#opts.shadowMaxOutputBytes ?? 4096, this.#redactors.get(p.model) ?? null)
    this.#shadow.push(`${row.model}/${row.shadow_version}`, JSON.stringify(row))
  }

  /** An audit entry or rollout decision, off any request path. */
  control (row: ControlRow): void {
    this.#control.push(row.model, JSON.stringify(row))
  }

  get bufferedRecords (): number { return this.#records.size }
  get bufferedBytes (): number { return this.#records.bytes }
  get pendingRollups (): number { return this.#pendingRollups.size }
  get ledgerBytes (): number { return this.#ledger.bytes }

  /** Sends what is buffered now (tests and shutdown); resolves when that send settled. */
  async flush (): Promise<void> {
    if (this.#sending !== null) await this.#sending
    this.#collectRollups()
    this.#retryAt = 0
    await this.#drainOnce()
  }

  /** Final rollup flush, a bounded effort to send everything left, then the transport closes. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    const deadline = this.#now() + CLOSE_FLUSH_TIMEOUT_MS
    // A send to a hung broker may take the transport's full timeout: never wait past the deadline for it.
    const bounded = async <T>(p: Promise<T>): Promise<T | false> => {
      let timer: NodeJS.Timeout | undefined
      const left = new Promise<false>(resolve => { timer = setTimeout(() => { resolve(false) }, Math.max(0, deadline - this.#now())) })
      try {
        return await Promise.race([p, left])
      } finally {
        clearTimeout(timer)
      }
    }
    try {
      if (this.#sending !== null) await bounded(this.#sending)
      this.#collectRollups()
      while (this.#sending === null && this.#now() < deadline && (this.#records.size > 0 || this.#health.size > 0 || this.#shadow.size > 0 || this.#control.size > 0 || this.#ledger.bytes > 0 || this.#pendingRollups.size > 0)) {
        const ok = await bounded(this.#drainOnce())
        if (!ok) await bounded(new Promise(resolve => setTimeout(resolve, 200)))
      }
    } finally {
      this.#logDrops(true)
      if (this.#records.size > 0 || this.#pendingRollups.size > 0 || this.#ledger.bytes > 0) {
        this.#opts.logger.warn({ records: this.#records.size, rollups: this.#pendingRollups.size, ledgerBytes: this.#ledger.bytes }, 'scoring-log pipeline closed with unsent data')
      }
      await bounded(this.#opts.transport.close().catch((err: unknown) => { this.#opts.logger.warn({ err }, 'closing the scoring-log transport failed') }))
    }
  }

  #tick (): void {
    this.#logDrops(false)
    if (this.#sending !== null) return
    const now = this.#now()
    const rollupsDue = now - this.#lastRollupFlush >= this.#opts.rollupFlushMs
    if (rollupsDue) this.#collectRollups()
    if (now < this.#retryAt) return
    if (this.#records.size === 0 && this.#health.size === 0 && this.#shadow.size === 0 && this.#control.size === 0 && this.#ledger.bytes === 0 && this.#pendingRollups.size === 0) return
    const due = rollupsDue || now - this.#lastSendAt >= this.#opts.flushIntervalMs || this.#records.size + this.#shadow.size >= SEND_AT_RECORDS || this.#records.bytes + this.#shadow.bytes + this.#ledger.bytes >= SEND_AT_BYTES
    if (due) void this.#drainOnce()
  }

  #collectRollups (): void {
    this.#lastRollupFlush = this.#now()
    for (const row of this.#rollups.flush()) {
      const key = rollupKey(row)
      if (!this.#pendingRollups.has(key) && this.#pendingRollups.size >= MAX_PENDING_ROLLUPS) {
        this.#metrics?.dropped.inc({ kind: 'rollup' })
        this.#dropsSinceLog++
        continue
      }
      this.#pendingRollups.set(key, { key: `${row.model}/${row.version}`, row })
    }
  }

  /** One send of up to a batch from each queue; true when it succeeded (or there was nothing to send). */
  #drainOnce (): Promise<boolean> {
    const records = this.#records.peek(MAX_BATCH_RECORDS, MAX_BATCH_BYTES)
    const health = this.#health.peek(1_000)
    const shadow = this.#shadow.peek(MAX_BATCH_RECORDS, MAX_BATCH_BYTES)
    const ledger = this.#ledger.peek(LEDGER_BATCH_BYTES)
    const control = this.#control.peek(1_000)
    const sentRollups: Array<[string, RollupRow]> = []
    const rollups: BufferedMessage[] = []
    for (const [cell, p] of this.#pendingRollups) {
      sentRollups.push([cell, p.row])
      rollups.push({ key: p.key, value: JSON.stringify(p.row) })
      if (rollups.length >= MAX_BATCH_RECORDS) break
    }
    if (records.length === 0 && health.length === 0 && shadow.length === 0 && control.length === 0 && ledger.length === 0 && rollups.length === 0) return Promise.resolve(true)
    this.#lastSendAt = this.#now()
    const started = this.#opts.transport.send({ records, rollups, health, shadow, control, ledger }).then(() => {
      this.#records.release(records.length)
      this.#health.release(health.length)
      this.#shadow.release(shadow.length)
      this.#control.release(control.length)
      this.#ledger.release(ledger.length)
      // A cell flushed again while the send was in flight has a newer row: keep that one.
      for (const [cell, row] of sentRollups) if (this.#pendingRollups.get(cell)?.row === row) this.#pendingRollups.delete(cell)
      this.#metrics?.sent.inc({ kind: 'record' }, records.length)
      this.#metrics?.sent.inc({ kind: 'rollup' }, rollups.length)
      this.#metrics?.sent.inc({ kind: 'health' }, health.length)
      this.#metrics?.sent.inc({ kind: 'shadow' }, shadow.length)
      this.#metrics?.sent.inc({ kind: 'control' }, control.length)
      this.#metrics?.sent.inc({ kind: 'ledger' }, ledger.reduce((n, m) => n + m.rows, 0))
      if (this.#failures > 0) this.#opts.logger.info({ transport: this.#opts.transport.name, failures: this.#failures }, 'scoring-log transport is sending again')
      this.#failures = 0
      this.#retryAt = 0
      return true
    }, (err: unknown) => {
      this.#failures++
      const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.#failures - 1, 10))
      this.#retryAt = this.#now() + delay
      const now = this.#now()
      if (now - this.#lastErrorLog >= DROP_LOG_INTERVAL_MS) {
        this.#lastErrorLog = now
        this.#opts.logger.warn({ transport: this.#opts.transport.name, err: (err as Error).message, failures: this.#failures, buffered: this.#records.size, pendingRollups: this.#pendingRollups.size }, 'scoring-log send failed; keeping the batch and retrying')
      }
      return false
    }).finally(() => {
      this.#sending = null
      // More than one batch waiting: go on at once instead of waiting for the next tick.
      if (!this.#closed && this.#retryAt === 0 && (this.#records.size >= MAX_BATCH_RECORDS || this.#records.bytes >= MAX_BATCH_BYTES || this.#ledger.bytes >= LEDGER_BATCH_BYTES)) setImmediate(() => { this.#tick() })
    })
    this.#sending = started.then(() => {})
    return started
  }

  #logDrops (force: boolean): void {
    const drops: Array<[string, number]> = [['record', this.#records.takeDropped() + this.#health.takeDropped()], ['shadow', this.#shadow.takeDropped()], ['control', this.#control.takeDropped()], ['ledger', this.#ledger.takeDropped()]]
    for (const [kind, n] of drops) {
      if (n === 0) continue
      this.#metrics?.dropped.inc({ kind }, n)
      this.#dropsSinceLog += n
    }
    const now = this.#now()
    if (this.#dropsSinceLog > 0 && (force || now - this.#lastDropLog >= DROP_LOG_INTERVAL_MS)) {
      this.#opts.logger.warn({ dropped: this.#dropsSinceLog, sinceMs: this.#lastDropLog === 0 ? null : now - this.#lastDropLog, bufferMaxRecords: this.#records.maxRecords, bufferMaxBytes: this.#records.maxBytes }, 'scoring-log buffer full: records dropped (or ledger rows, see model_gateway_pipeline_records_dropped_total by kind)')
      this.#dropsSinceLog = 0
      this.#lastDropLog = now
    }
  }

  #register (registry: Registry): Metrics {
    // Counted in plain fields on the request path; prom-client sees them when scraped.
    const sampled = new Counter({
      name: 'model_gateway_pipeline_records_sampled_total',
      help: 'Requests recorded in full by the sampler',
      registers: [registry],
      collect: () => {
        const n = this.#sampledCount
        this.#sampledCount = 0
        if (n > 0) sampled.inc(n)
      }
    })
    const sent = new Counter({ name: 'model_gateway_pipeline_records_sent_total', help: 'Messages the transport confirmed, by kind (record, rollup, health)', labelNames: ['kind'] as const, registers: [registry] })
    const dropped = new Counter({
      name: 'model_gateway_pipeline_records_dropped_total',
      help: 'Messages dropped because the bounded buffer was full, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
      collect: () => { this.#logDrops(false) }
    })
    const records = this.#records
    new Gauge({ name: 'model_gateway_pipeline_buffer_records', help: 'Records waiting in the pipeline buffer', registers: [registry], collect () { this.set(records.size) } })
    new Gauge({ name: 'model_gateway_pipeline_buffer_bytes', help: 'Bytes (approximately) waiting in the pipeline buffer', registers: [registry], collect () { this.set(records.bytes) } })
    registerLedgerMetrics(registry, this.#ledger)
    return { sampled, sent, dropped }
  }
}
