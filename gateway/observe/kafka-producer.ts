/**
 * Sends pipeline batches to Kafka with kafkajs: one sendBatch per drain, GZIP,
 * message key model/version so a version's messages keep their order within a
 * partition. Connecting and creating topics happen lazily on the first send and
 * again after any failure, so a broker that is down at start or goes away later
 * only makes sends fail (fast: short connection and request timeouts, two
 * retries); the pipeline keeps the batch and tries again with backoff.
 */
import { promisify } from 'node:util'
import { gzip, unzip } from 'node:zlib'
import kafkajs, { CompressionTypes, type TopicMessages } from 'kafkajs'
import type { Logger } from './log.js'
import type { PipelineBatch, PipelineTransport } from './transport.js'
import type { BufferedMessage } from './buffer.js'
import { describeKafkaError, kafkaClient, topicNames, type TopicKind } from './topics.js'
import { LazyProducer } from './lazy-producer.js'
import { NO_KAFKA_SECURITY, type KafkaSecurity } from '../config/connections.js'

/**
 * zlib level of the GZIP codec. kafkajs compresses at zlib's default (6); level 1
 * is about 4x cheaper in CPU on scoring records (repetitive JSON), which matters
 * on the gateway's cores, and still shrinks them several-fold. Consumers need
 * nothing special: it is ordinary GZIP.
 */
export const GZIP_LEVEL = 1
const gzipAsync = promisify(gzip)
const unzipAsync = promisify(unzip)
// kafkajs is CommonJS and its codec registry is not a named ESM export.
kafkajs.CompressionCodecs[CompressionTypes.GZIP] = () => ({
  compress: async (encoder: { buffer: Buffer }) => await gzipAsync(encoder.buffer, { level: GZIP_LEVEL }),
  decompress: async (buffer: Buffer) => await unzipAsync(buffer)
})

/**
 * Assignment-ledger segments go to Kafka uncompressed. A RowBinary row is
 * mostly its random request id: gzip (level 1) shrinks a segment only 2.6x and
 * cost the gateway about 1.2 µs of CPU per request (the deflate on a worker
 * thread plus the stream's callbacks on the main one), a quarter of what the
 * ledger cost at 100% of requests. Kafka and the network carry ~73 bytes per
 * request instead of ~28; the pipeline keeps each ledger send under
 * LEDGER_BATCH_BYTES so a batch stays below the broker's message.max.bytes.
 */
export const LEDGER_COMPRESSION = CompressionTypes.None

/** Rows per Kafka message are joined up to about this many bytes (see chunkByKey). */
export const MESSAGE_CHUNK_BYTES = 64 * 1024

/**
 * Joins consecutive rows with the same key into one message, newline-separated
 * (NDJSON), up to MESSAGE_CHUNK_BYTES. kafkajs spends most of its CPU per
 * message (partitioning, record encoding, buffers), so a few hundred rows per
 * message cost the gateway a fraction of one message per row. Order per key is
 * kept; the sink splits the lines again.
 */
export function chunkByKey (messages: readonly BufferedMessage[]): Array<{ key: string, value: string }> {
  const open = new Map<string, { parts: string[], bytes: number }>()
  const out: Array<{ key: string, value: string }> = []
  for (const m of messages) {
    let c = open.get(m.key)
    if (c !== undefined && c.bytes + m.value.length > MESSAGE_CHUNK_BYTES) {
      out.push({ key: m.key, value: c.parts.join('\n') })
      c = undefined
    }
    if (c === undefined) open.set(m.key, c = { parts: [], bytes: 0 })
    c.parts.push(m.value)
    c.bytes += m.value.length + 1
  }
  for (const [key, c] of open) out.push({ key, value: c.parts.join('\n') })
  return out
}

export interface KafkaTransportOptions {
  brokers: string[]
  topicPrefix: string
  clientId: string
  logger: Logger
  /** TLS and SASL (default: plaintext, no SASL). */
  security?: KafkaSecurity
  /** Create the topics when first connected (default true). */
  createTopics?: boolean
}

export class KafkaTransport implements PipelineTransport {
  readonly name = 'kafka'
  readonly #topics: Record<TopicKind, string>
  readonly #opts: KafkaTransportOptions
  readonly #producer: LazyProducer

  constructor (opts: KafkaTransportOptions) {
    this.#opts = opts
    this.#producer = new LazyProducer(kafkaClient(opts.brokers, opts.clientId, opts.logger, opts.security), opts.topicPrefix, opts.createTopics !== false)
    this.#topics = topicNames(opts.topicPrefix)
  }

  async send (batch: PipelineBatch): Promise<void> {
    try {
      await this.#send(batch)
    } catch (err) {
      // The pipeline logs this message (rate-limited): make it say what to fix.
      throw new Error(describeKafkaError(err, this.#opts.brokers, this.#opts.security ?? NO_KAFKA_SECURITY), { cause: err })
    }
  }

  async #send (batch: PipelineBatch): Promise<void> {
    const topicMessages: TopicMessages[] = []
    if (batch.records.length > 0) topicMessages.push({ topic: this.#topics.records, messages: chunkByKey(batch.records) })
    if (batch.rollups.length > 0) topicMessages.push({ topic: this.#topics.rollups, messages: chunkByKey(batch.rollups) })
    if (batch.health.length > 0) topicMessages.push({ topic: this.#topics.health, messages: chunkByKey(batch.health) })
    if (batch.shadow.length > 0) topicMessages.push({ topic: this.#topics.shadow, messages: chunkByKey(batch.shadow) })
    if (batch.control.length > 0) topicMessages.push({ topic: this.#topics.control, messages: chunkByKey(batch.control) })
    const ledger = batch.ledger.length === 0 ? null : [{ topic: this.#topics.ledger, messages: batch.ledger.map(m => ({ key: m.key, value: m.value })) }]
    if (topicMessages.length === 0 && ledger === null) return
    await this.#producer.use(async p => {
      // Ledger segments first and uncompressed (see LEDGER_COMPRESSION). When the second send
      // fails the whole batch is sent again; the ledger table collapses the repeated rows.
      if (ledger !== null) await p.sendBatch({ topicMessages: ledger, compression: LEDGER_COMPRESSION, acks: -1, timeout: 5_000 })
      if (topicMessages.length > 0) await p.sendBatch({ topicMessages, compression: CompressionTypes.GZIP, acks: -1, timeout: 5_000 })
    })
  }

  async close (): Promise<void> {
    await this.#producer.close()
  }
}
