/**
 * Where accepted outcomes go before the intake answers. "Accepted" means
 * durably queued: with Kafka, every item is on the outcomes topic with acks
 * from all in-sync replicas (acks = -1) before the 200; with the file sink, the
 * lines are appended and fsync'd. When that cannot be done (Kafka down, the
 * disk failing) the intake answers 503 and nothing counts as accepted, so the
 * client sends the same items again; they collapse by request id if some did
 * land. ClickHouse is never on this path: the sink moves the topic into it and
 * commits offsets only after the insert, so an outage there only delays.
 *
 * Concurrent intake requests share sends: items wait at most LINGER_MS (or
 * until a send's worth is queued), then go in one produce request, and every
 * request in it is answered when the broker acknowledged.
 */
import { CompressionTypes } from 'kafkajs'
import type { Logger } from './log.js'
import { kafkaClient, topicName } from './topics.js'
import { MESSAGE_CHUNK_BYTES } from './kafka-producer.js'
import { LazyProducer } from './lazy-producer.js'
import { AppendFile } from './file-sink.js'

export const LINGER_MS = 2
/** Lines per send at most before it goes without waiting for the linger. */
export const SEND_AT_LINES = 20_000

export interface OutcomeQueue {
  readonly name: string
  /** Resolves once every line is durably queued; rejects (within timeoutMs) when not. Lines are keyed by model. */
  append (model: string, lines: readonly string[], timeoutMs: number): Promise<void>
  close (): Promise<void>
}

interface Pending { model: string, lines: readonly string[], resolve: () => void, reject: (err: Error) => void }

/** Batches appends from concurrent callers into one durable write. */
abstract class GroupCommit implements OutcomeQueue {
  abstract readonly name: string
  #queue: Pending[] = []
  #lines = 0
  #timer: NodeJS.Timeout | null = null

  append (model: string, lines: readonly string[], timeoutMs: number): Promise<void> {
    if (lines.length === 0) return Promise.resolve()
    const done = new Promise<void>((resolve, reject) => {
      this.#queue.push({ model, lines, resolve, reject })
    })
    this.#lines += lines.length
    if (this.#lines >= SEND_AT_LINES) this.#flush()
    else this.#timer ??= setTimeout(() => { this.#flush() }, LINGER_MS)
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`not confirmed within ${timeoutMs} ms`)) }, timeoutMs) })
    return Promise.race([done, late]).finally(() => { clearTimeout(timer) })
  }

  #flush (): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    const batch = this.#queue
    this.#queue = []
    this.#lines = 0
    if (batch.length === 0) return
    this.write(batch).then(() => { for (const p of batch) p.resolve() }, (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err))
      for (const p of batch) p.reject(e)
    })
  }

  protected abstract write (batch: readonly Pending[]): Promise<void>
  abstract close (): Promise<void>
}

export class KafkaOutcomeQueue extends GroupCommit {
  readonly name = 'kafka'
  readonly #topic: string
  readonly #producer: LazyProducer

  constructor (brokers: string[], topicPrefix: string, clientId: string, logger: Logger) {
    super()
    this.#producer = new LazyProducer(kafkaClient(brokers, clientId, logger), topicPrefix)
    this.#topic = topicName(topicPrefix, 'outcomes')
  }

  protected async write (batch: readonly Pending[]): Promise<void> {
    const messages: Array<{ key: string, value: string }> = []
    for (const p of batch) {
      // Up to MESSAGE_CHUNK_BYTES of NDJSON per message, keyed by model (its outcomes stay in order per partition).
      let parts: string[] = []
      let bytes = 0
      for (const l of p.lines) {
        if (bytes + l.length > MESSAGE_CHUNK_BYTES && parts.length > 0) {
          messages.push({ key: p.model, value: parts.join('\n') })
          parts = []
          bytes = 0
        }
        parts.push(l)
        bytes += l.length + 1
      }
      if (parts.length > 0) messages.push({ key: p.model, value: parts.join('\n') })
    }
    await this.#producer.use(pr => pr.send({ topic: this.#topic, messages, acks: -1, compression: CompressionTypes.GZIP, timeout: 5_000 }))
  }

  async close (): Promise<void> {
    await this.#producer.close()
  }
}

/** The embedded form: `{"kind":"outcomes","row":{…}}` lines in the scoring-log file, fsync'd before the answer. */
export class FileOutcomeQueue extends GroupCommit {
  readonly name = 'file'
  readonly #file: AppendFile

  constructor (path: string) {
    super()
    this.#file = new AppendFile(path)
  }

  protected async write (batch: readonly Pending[]): Promise<void> {
    let text = ''
    for (const p of batch) for (const l of p.lines) text += `{"kind":"outcomes","row":${l}}\n`
    await this.#file.append(text, true)
  }

  async close (): Promise<void> {
    await this.#file.close()
  }
}
