/**
 * Topic names and creation, shared by the gateway's producer, the sink and
 * `model-gateway migrate --kafka`. Brokers may have topic auto-creation off, so
 * whoever starts first creates them (createTopics is idempotent).
 */
import { Kafka, logLevel, type LogEntry } from 'kafkajs'
import type { Logger } from './log.js'

export type TopicKind = 'records' | 'rollups' | 'health' | 'shadow' | 'control'
export const TOPIC_KINDS: readonly TopicKind[] = ['records', 'rollups', 'health', 'shadow', 'control']
/** Partitions per topic: several sink processes share the work, and keys (model/version) keep per-version order. */
export const DEFAULT_TOPIC_PARTITIONS = 3

export function topicName (prefix: string, kind: TopicKind): string {
  return `${prefix}.${kind}`
}

export function topicNames (prefix: string): Record<TopicKind, string> {
  return { records: topicName(prefix, 'records'), rollups: topicName(prefix, 'rollups'), health: topicName(prefix, 'health'), shadow: topicName(prefix, 'shadow'), control: topicName(prefix, 'control') }
}

/**
 * kafkajs logs every failed connection attempt at ERROR; while a broker is down
 * that is a line per retry. Its messages go to our logger at debug; the pipeline
 * writes its own rate-limited warnings instead.
 */
export function kafkaClient (brokers: string[], clientId: string, logger: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      logger.debug({ kafka: entry.namespace, ...entry.log }, entry.log.message)
    }
  })
}

export async function ensureTopics (kafka: Kafka, prefix: string, partitions = DEFAULT_TOPIC_PARTITIONS): Promise<string[]> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const existing = new Set(await admin.listTopics())
    const wanted = Object.values(topicNames(prefix)).filter(t => !existing.has(t))
    if (wanted.length > 0) {
      await admin.createTopics({ waitForLeaders: true, topics: wanted.map(topic => ({ topic, numPartitions: partitions, replicationFactor: -1 })) })
    }
    return wanted
  } finally {
    await admin.disconnect()
  }
}
