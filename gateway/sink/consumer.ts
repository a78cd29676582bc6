/**
 * Kafka -> ClickHouse. A consumer group over the records, rollups and health
 * topics; each fetched batch (one topic-partition) becomes one JSONEachRow insert,
 * and its offsets are committed only after that insert succeeded. While
 * ClickHouse fails, the partition is paused and its batch retried with backoff;
 * nothing is resolved or committed, so nothing is skipped: after a pause, a
 * rebalance or a crash, consumption resumes at the first uncommitted message.
 * Messages stored twice that way collapse in ClickHouse (see schema.ts).
 * Several sink processes in one group share the partitions.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs'
import type { Logger } from '../observe/log.js'
import { TOPIC_KINDS, describeKafkaError, ensureTopics, isKafkaAuthError, kafkaClient, topicName, type TopicKind } from '../observe/topics.js'
import { NO_KAFKA_SECURITY, type KafkaSecurity } from '../config/connections.js'
import type { ClickHouse } from './clickhouse.js'
import { parseRow } from './rows.js'
import { TABLE_OF } from './schema.js'

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
  readonly stats: SinkStats = { inserted: { records: 0, rollups: 0, health: 0, shadow: 0, control: 0 }, skipped: 0, insertFailures: 0 }
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
    const rows: Array<Record<string, unknown>> = []
    for (const m of batch.messages) {
      // A message holds one row or several, newline-separated (the gateway joins rows per key).
      for (const line of m.value === null ? [null] : m.value.toString('utf8').split('\n')) {
        const r = parseRow(kind, line)
        if ('row' in r) rows.push(r.row)
        else {
          this.stats.skipped++
          this.#opts.logger.warn({ topic: batch.topic, partition: batch.partition, offset: m.offset, reason: r.error }, 'skipping a row that cannot be stored')
        }
      }
    }
    const tp = `${batch.topic}:${batch.partition}`
    try {
      await this.#opts.clickhouse.insert(TABLE_OF[kind], rows)
    } catch (err) {
      this.stats.insertFailures++
      const n = (this.#failures.get(tp) ?? 0) + 1
      this.#failures.set(tp, n)
      const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(n - 1, 10))
      const now = Date.now()
      if (now - this.#lastErrorLog >= ERROR_LOG_INTERVAL_MS) {
        this.#lastErrorLog = now
        this.#opts.logger.warn({ err: (err as Error).message, topic: batch.topic, partition: batch.partition, messages: batch.messages.length, retryInMs: delay }, 'ClickHouse insert failed; partition paused, nothing committed')
      }
      // Nothing resolved: once resumed, the partition is fetched again from the same offset.
      const resume = pause()
      setTimeout(resume, delay).unref()
      return
    }
    if (this.#failures.delete(tp)) this.#opts.logger.info({ topic: batch.topic, partition: batch.partition }, 'ClickHouse inserts succeed again')
    this.stats.inserted[kind] += rows.length
    const last = batch.lastOffset()
    resolveOffset(last)
    await this.#consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }])
    await heartbeat()
  }
}
