/**
 * A kafkajs producer connected on first use and again after any failure:
 * topics are created once (brokers may have auto-creation off), and a send
 * that fails drops the producer, since kafkajs does not always recover one
 * whose broker went away. Shared by the scoring-log transport and the outcome
 * queue, so a broker down at start or later only makes their sends fail fast.
 */
import { Partitioners, type Kafka, type Producer } from 'kafkajs'
import { ensureTopics } from './topics.js'

export class LazyProducer {
  readonly #kafka: Kafka
  readonly #topicPrefix: string
  readonly #createTopics: boolean
  #producer: Producer | null = null
  #topicsReady = false

  constructor (kafka: Kafka, topicPrefix: string, createTopics = true) {
    this.#kafka = kafka
    this.#topicPrefix = topicPrefix
    this.#createTopics = createTopics
  }

  /** Runs `fn` with a connected producer; on failure the producer is dropped (reconnected next time) and the error thrown. */
  async use<T> (fn: (p: Producer) => Promise<T>): Promise<T> {
    const p = await this.#connected()
    try {
      return await fn(p)
    } catch (err) {
      this.#producer = null
      p.disconnect().catch(() => {})
      throw err
    }
  }

  async #connected (): Promise<Producer> {
    if (this.#producer !== null) return this.#producer
    if (!this.#topicsReady && this.#createTopics) {
      await ensureTopics(this.#kafka, this.#topicPrefix)
      this.#topicsReady = true
    }
    const p = this.#kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 }
    })
    try {
      await p.connect()
    } catch (err) {
      p.disconnect().catch(() => {})
      throw err
    }
    this.#producer = p
    return p
  }

  async close (): Promise<void> {
    const p = this.#producer
    this.#producer = null
    if (p !== null) await p.disconnect()
  }
}
