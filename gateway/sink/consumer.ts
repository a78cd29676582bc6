/**
 * Kafka -> ClickHouse. A consumer group over the pipeline's topics (records,
 * rollups, health, shadow pairs, the assignment ledger and outcomes); each
 * fetched batch (one topic-partition) becomes inserts of at most INSERT_BYTES
 * each (batch-rows.ts), and offsets are committed only after an insert succeeded. While
 * ClickHouse fails, the partition is paused and its batch retried with backoff;
 * nothing is resolved or committed, so nothing is skipped: after a pause, a
 * rebalance or a crash, consumption resumes at the first uncommitted message.
 * Messages stored twice that way collapse in ClickHouse (see schema.ts).
 * Several sink processes in one group share the partitions.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs'
import type { Logger } from '../observe/log.js'
import { TOPIC_KINDS, describeKafkaError, ensureTopics, isKafkaAuthError, kafkaClient, topicName, type TopicKind } from '../observe/topics.js'
import { NO_KAFKA_SECURITY, type KafkaSecurity } from '../config/connections.js'
import type { ClickHouse } from './clickhouse.js'
import { batchInsert } from './batch-rows.js'

export const DEFAULT_GROUP = 'model-gateway-sink'
/**
 * How long the group coordinator waits for a member that stopped heartbeating.
 * A sink killed with SIGKILL (no LeaveGroup) holds its partitions that long: a
 * restarted or remaining sink joins, and the rebalance waits until the dead
 * member's session expires (kafkajs has no static membership). 6 s is the
 * broker's default minimum (group.min.session.timeout.ms), down from kafkajs'
 * 30 s, so data lands again within about SESSION_TIMEOUT_MS + HEARTBEAT_MS plus
 * a join. A sink stopped with SIGTERM leaves the group at once (disconnect).
 */
export const SESSION_TIMEOUT_MS = 6_000
/** Heartbeats every second, so a live member hears of a rebalance quickly and the session never lapses under load. */
export const HEARTBEAT_MS = 1_000
/**
 * How long a rebalance waits for live members to rejoin. A member rejoins after
 * the batch in hand, one ClickHouse insert bounded by its 30 s request timeout,
 * so this stays above it. A dead member does not hold a rebalance this long: it
 * is dropped when its session expires.
 */
export const REBALANCE_TIMEOUT_MS = 35_000
/** Uncompressed message bytes per insert at most (a fetch is split into parts of this size). */
export const INSERT_BYTES = 4 * 1024 * 1024
export const RETRY_MIN_MS = 250
export const RETRY_MAX_MS = 5_000
const ERROR_LOG_INTERVAL_MS = 10_000

export interface SinkOptions {
  brokers: string[]
  /** TLS and SASL (default: plaintext, no SASL). */
  security?: KafkaSecurity
  topicPrefix: string
  groupId: string
  clickhouse: ClickHouse
  logger: Logger
  /** The consumer stopped for good (kafkajs will not restart it): the sink process should exit non-zero and be restarted. */
  onFatal?: (err: Error) => void
}

export interface SinkStats {
  inserted: Record<TopicKind, number>
  skipped: number
  insertFailures: number
}

export class KafkaSink {
  readonly #opts: SinkOptions
  readonly #kafka: Kafka
  readonly #consumer: Consumer
  readonly #kindOf = new Map<string, TopicKind>()
  readonly #failures = new Map<string, number>()
  readonly stats: SinkStats = { inserted: { records: 0, rollups: 0, health: 0, shadow: 0, control: 0, ledger: 0, outcomes: 0 }, skipped: 0, insertFailures: 0 }
  #lastErrorLog = 0
  #ready = false

  /** True from the first group join until stop(). */
  get ready (): boolean { return this.#ready }
  /** Partitions paused because their insert failed (retried with backoff). */
  get failingPartitions (): number { return this.#failures.size }

  constructor (opts: SinkOptions) {
    this.#opts = opts
    this.#kafka = kafkaClient(opts.brokers, `model-gateway-sink-${process.pid}`, opts.logger, opts.security)
    for (const k of TOPIC_KINDS) this.#kindOf.set(topicName(opts.topicPrefix, k), k)
    this.#consumer = this.#kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_MS,
      rebalanceTimeout: REBALANCE_TIMEOUT_MS,
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxWaitTimeInMs: 200,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5_000 }
    })
  }

  /**
   * Creates the topics if needed, joins the group and starts consuming; resolves
   * once the group was joined. Rejects, with one line saying what to fix, when
   * Kafka refuses the credentials: waiting cannot mend that.
   */
  async start (): Promise<void> {
    const security = this.#opts.security ?? NO_KAFKA_SECURITY
    // A sink started before Kafka is up waits for it instead of exiting.
    for (let attempt = 1; ; attempt++) {
      try {
        await ensureTopics(this.#kafka, this.#opts.topicPrefix)
        break
      } catch (err) {
        if (isKafkaAuthError(err)) throw new Error(describeKafkaError(err, this.#opts.brokers, security), { cause: err })
        if (attempt === 1) this.#opts.logger.warn({ err: describeKafkaError(err, this.#opts.brokers, security) }, 'Kafka not reachable yet; retrying')
        await new Promise(resolve => setTimeout(resolve, Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(attempt, 10))))
      }
    }
    const joined = new Promise<void>(resolve => {
      this.#consumer.on(this.#consumer.events.GROUP_JOIN, () => { resolve() })
    })
    this.#consumer.on(this.#consumer.events.CRASH, (e) => {
      this.#opts.logger.warn({ err: e.payload.error?.message, restart: e.payload.restart }, 'sink consumer crashed')
      // kafkajs gives up on some errors: the process must not linger (or exit 0) without consuming.
      if (!e.payload.restart) this.#opts.onFatal?.(e.payload.error)
    })
    await this.#consumer.connect()
    await this.#consumer.subscribe({ topics: [...this.#kindOf.keys()], fromBeginning: true })
    await this.#consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: async (p) => { await this.#eachBatch(p) }
    })
    await joined
    this.#ready = true
  }

  async stop (): Promise<void> {
    this.#ready = false
    await this.#consumer.disconnect()
  }

  async #eachBatch ({ batch, resolveOffset, heartbeat, isRunning, isStale, pause }: EachBatchPayload): Promise<void> {
    const kind = this.#kindOf.get(batch.topic)
    if (kind === undefined || batch.messages.length === 0 || !isRunning() || isStale()) return
    // A fetch can hold hundreds of thousands of rows (outcomes compress tenfold): insert and commit it in
    // parts of at most INSERT_BYTES, so each step stays short and the member keeps heartbeating.
    for (const part of parts(batch.messages, INSERT_BYTES)) {
      if (!isRunning() || isStale()) return
      if (!await this.#insertPart(kind, batch.topic, batch.partition, part, heartbeat, pause)) return
      const last = part[part.length - 1]!.offset
      resolveOffset(last)
      await this.#consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }])
      await heartbeat()
    }
  }

  /** One insert; false (partition paused, nothing committed) when ClickHouse refused it. */
  async #insertPart (kind: TopicKind, topic: string, partition: number, messages: KafkaMessage[], heartbeat: () => Promise<void>, pause: () => () => void): Promise<boolean> {
    const ins = batchInsert(kind, messages, (offset, reason) => {
      this.stats.skipped++
      this.#opts.logger.warn({ topic, partition, offset, reason }, 'skipping a row that cannot be stored')
    })
    const tp = `${topic}:${partition}`
    // An insert can outlast the session timeout on a busy host: keep heartbeating meanwhile.
    const beat = setInterval(() => { heartbeat().catch(() => {}) }, HEARTBEAT_MS)
    try {
      if (ins.binary.length > 0) await this.#opts.clickhouse.insertRowBinary(ins.table, ins.columns, ins.binary)
      else await this.#opts.clickhouse.insert(ins.table, ins.json)
    } catch (err) {
      this.stats.insertFailures++
      const n = (this.#failures.get(tp) ?? 0) + 1
      this.#failures.set(tp, n)
      const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(n - 1, 10))
      const now = Date.now()
      if (now - this.#lastErrorLog >= ERROR_LOG_INTERVAL_MS) {
        this.#lastErrorLog = now
        this.#opts.logger.warn({ err: (err as Error).message, topic, partition, messages: messages.length, retryInMs: delay }, 'ClickHouse insert failed; partition paused, nothing committed')
      }
      // Nothing resolved: once resumed, the partition is fetched again from the first uncommitted offset.
      const resume = pause()
      setTimeout(resume, delay).unref()
      return false
    } finally {
      clearInterval(beat)
    }
    if (this.#failures.delete(tp)) this.#opts.logger.info({ topic, partition }, 'ClickHouse inserts succeed again')
    this.stats.inserted[kind] += ins.rows
    return true
  }
}

/** Consecutive messages in parts of at most `maxBytes` of values (at least one message each). */
export function parts (messages: readonly KafkaMessage[], maxBytes: number): KafkaMessage[][] {
  const out: KafkaMessage[][] = []
  let cur: KafkaMessage[] = []
  let bytes = 0
  for (const m of messages) {
    const n = m.value?.length ?? 0
    if (cur.length > 0 && bytes + n > maxBytes) {
      out.push(cur)
      cur = []
      bytes = 0
    }
    cur.push(m)
    bytes += n
  }
  if (cur.length > 0) out.push(cur)
  return out
}
