/**
 * Topic names and creation, shared by the gateway's producer, the sink and
 * `model-gateway migrate --kafka`. Brokers may have topic auto-creation off, so
 * whoever starts first creates them (createTopics is idempotent).
 */
import { Kafka, logLevel, type LogEntry, type SASLOptions } from 'kafkajs'
import type { Logger } from './log.js'
import { NO_KAFKA_SECURITY, readTlsFiles, type KafkaSecurity } from '../config/connections.js'
import { applyKafkaIdleFix } from './kafka-idle-fix.js'

/** Topics whose messages are JSON rows (one per line), checked by sink/rows.ts. */
export type JsonTopicKind = 'records' | 'rollups' | 'health' | 'shadow' | 'control'
/**
 * ledger: RowBinary segments of the assignment ledger (observe/ledger.ts);
 * outcomes: outcome items, from the gateway's intake or written by label jobs
 * directly (observe/outcome-items.ts).
 */
export type TopicKind = JsonTopicKind | 'ledger' | 'outcomes'
export const TOPIC_KINDS: readonly TopicKind[] = ['records', 'rollups', 'health', 'shadow', 'control', 'ledger', 'outcomes']
/** Partitions per topic: several sink processes share the work, and keys (model/version) keep per-version order. */
export const DEFAULT_TOPIC_PARTITIONS = 3

export function topicName (prefix: string, kind: TopicKind): string {
  return `${prefix}.${kind}`
}

export function topicNames (prefix: string): Record<TopicKind, string> {
  return Object.fromEntries(TOPIC_KINDS.map(k => [k, topicName(prefix, k)])) as Record<TopicKind, string>
}

/**
 * kafkajs logs every failed connection attempt at ERROR; while a broker is down
 * that is a line per retry. Its messages go to our logger at debug; the pipeline
 * writes its own rate-limited warnings instead.
 */
export function kafkaClient (brokers: string[], clientId: string, logger: Logger, security: KafkaSecurity = NO_KAFKA_SECURITY): Kafka {
  applyKafkaIdleFix()
  return new Kafka({
    clientId,
    brokers,
    ...kafkaSecurityOptions(security),
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      logger.debug({ kafka: entry.namespace, ...entry.log }, entry.log.message)
    }
  })
}

/** kafkajs' ssl and sasl options; certificate files are read here, once per client. */
export function kafkaSecurityOptions (security: KafkaSecurity): { ssl?: boolean | { ca?: Buffer[], cert?: Buffer, key?: Buffer, servername?: string }, sasl?: SASLOptions } {
  const out: { ssl?: boolean | { ca?: Buffer[], cert?: Buffer, key?: Buffer, servername?: string }, sasl?: SASLOptions } = {}
  if (security.tls !== null) {
    const pem = readTlsFiles(security.tls, 'Kafka')
    out.ssl = { ...(pem.ca === undefined ? {} : { ca: [pem.ca] }), ...(pem.cert === undefined ? {} : { cert: pem.cert, key: pem.key }), ...(security.tls.servername === undefined ? {} : { servername: security.tls.servername }) }
  }
  const sasl = security.sasl
  if (sasl !== null) {
    // The switch keeps kafkajs' discriminated union typed per mechanism.
    switch (sasl.mechanism) {
      case 'plain': out.sasl = { mechanism: 'plain', username: sasl.username, password: sasl.password }; break
      case 'scram-sha-256': out.sasl = { mechanism: 'scram-sha-256', username: sasl.username, password: sasl.password }; break
      case 'scram-sha-512': out.sasl = { mechanism: 'scram-sha-512', username: sasl.username, password: sasl.password }; break
    }
  }
  return out
}

/**
 * One line that says what is wrong with Kafka and what to check, for errors a
 * retry cannot fix (credentials, TLS) and for the rest alike; never the secret.
 */
export function describeKafkaError (err: unknown, brokers: readonly string[], security: KafkaSecurity): string {
  const e = err as Error & { name?: string, cause?: unknown }
  const where = `Kafka at ${brokers.join(',')}`
  if (isKafkaAuthError(err)) {
    const who = security.sasl === null ? 'without SASL' : `SASL ${security.sasl.mechanism.toUpperCase()} as user "${security.sasl.username}"`
    return `${where} refused the credentials (${who}); check KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD (or logging.kafkaSasl)`
  }
  const msg = e?.message ?? String(err)
  if (/certificate|self[- ]signed|SSL|TLS|EPROTO|wrong version number/i.test(msg)) {
    return `${where}: TLS failed (${msg}); check KAFKA_TLS and KAFKA_TLS_CA_FILE (or logging.kafkaTls)`
  }
  return `${where}: ${msg}`
}

/** kafkajs reports refused credentials as KafkaJSSASLAuthenticationError, sometimes wrapped. */
export function isKafkaAuthError (err: unknown): boolean {
  for (let e = err as { name?: string, cause?: unknown, originalError?: unknown } | undefined, i = 0; e !== undefined && e !== null && i < 5; i++) {
    if (e.name === 'KafkaJSSASLAuthenticationError') return true
    e = (e.cause ?? e.originalError) as typeof e
  }
  return false
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
