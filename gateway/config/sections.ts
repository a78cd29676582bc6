/**
 * Three sections of a loaded config with their defaults and the checks that
 * span fields: the admin listener (token names unique), the state store (a
 * Redis address or Sentinel when the store is Redis) and the scoring log (a
 * destination for its sink; models with outcomes or hashed fields need one).
 * Errors name the file, the path and the reason.
 */
import type { GatewayEnv } from './env.js'
import * as D from './defaults.js'
import { ConfigError } from './raw.js'
import type { GatewayConfigFile } from './schema.js'
import { resolveListenerTls } from './resolve-access.js'
import type { KafkaSecurity, RedisSecurity } from './connections.js'

export function adminSection (cfg: GatewayConfigFile, file: string, env: Readonly<GatewayEnv>) {
  const admin = cfg.admin ?? {}
  const tokens = admin.tokens ?? []
  const seen = new Set<string>()
  tokens.forEach((t, i) => {
    if (seen.has(t.name)) throw new ConfigError(file, `admin.tokens[${i}].name`, `token name "${t.name}" is used twice`)
    seen.add(t.name)
  })
  return {
    enabled: admin.enabled ?? true,
    host: admin.host ?? env.GATEWAY_ADMIN_HOST ?? D.DEFAULT_HOST,
    port: admin.port ?? D.DEFAULT_ADMIN_PORT,
    tokens,
    metricsPublic: admin.metricsPublic ?? D.DEFAULT_METRICS_PUBLIC,
    console: admin.console ?? D.DEFAULT_CONSOLE,
    tls: resolveListenerTls(admin.tls)
  }
}

export function stateSection (cfg: GatewayConfigFile, file: string, env: Readonly<GatewayEnv>, redis: RedisSecurity) {
  const state = cfg.state ?? {}
  const store = state.store ?? 'memory'
  const redisUrl = state.redisUrl ?? env.REDIS_URL
  state.sentinel?.hosts.forEach((h, i) => {
    if (hostPort(h).port > 65535) throw new ConfigError(file, `state.sentinel.hosts[${i}]`, `port of "${h}" is above 65535`)
  })
  if (store === 'redis' && redisUrl === undefined && state.sentinel === undefined) throw new ConfigError(file, 'state.redisUrl', 'is required with store "redis" (or set REDIS_URL, or give state.sentinel)')
  return {
    store,
    file: state.file,
    redisUrl,
    redis,
    keyPrefix: state.keyPrefix ?? D.DEFAULT_STATE_KEY_PREFIX,
    sentinel: state.sentinel === undefined ? undefined : { name: state.sentinel.name, hosts: state.sentinel.hosts.map(hostPort), password: state.sentinel.password, sentinelPassword: state.sentinel.sentinelPassword },
    minReplicaAcks: state.minReplicaAcks ?? D.DEFAULT_MIN_REPLICA_ACKS,
    controlLog: {
      file: state.controlLog?.file ?? (store === 'memory' && state.file !== undefined ? `${state.file}.control.ndjson` : undefined),
      clickhouseUrl: state.controlLog?.clickhouseUrl,
      clickhouseDatabase: state.controlLog?.clickhouseDatabase
    }
  }
}

/** What the logging section needs to know of each resolved model. */
interface LoggedModel { outcomes: unknown, redact: { hash: readonly string[] } }

export function loggingSection (cfg: GatewayConfigFile, file: string, env: Readonly<GatewayEnv>, models: Readonly<Record<string, LoggedModel>>, kafkaSecurity: KafkaSecurity) {
  const logging = cfg.logging ?? {}
  const sink = logging.sink ?? 'off'
  const kafkaBrokers = logging.kafkaBrokers ?? env.KAFKA_BROKERS?.split(',').map(s => s.trim()).filter(s => s !== '')
  if (sink === 'kafka' && (kafkaBrokers === undefined || kafkaBrokers.length === 0)) throw new ConfigError(file, 'logging.kafkaBrokers', 'is required with sink "kafka" (or set KAFKA_BROKERS)')
  if (sink === 'file' && logging.file === undefined) throw new ConfigError(file, 'logging.file', 'is required with sink "file"')
  for (const [name, m] of Object.entries(models)) {
    // The ledger and accepted outcomes travel through the scoring-log pipeline: without one they would go nowhere.
    if (m.outcomes !== null && sink === 'off') throw new ConfigError(file, `models.${name}.outcomes`, 'needs logging.sink "kafka" or "file": the ledger and the outcomes travel through the scoring-log pipeline')
  }
  const hashed = Object.entries(models).find(([, m]) => m.redact.hash.length > 0)
  if (hashed !== undefined && logging.hashKey === undefined) throw new ConfigError(file, 'logging.hashKey', `is required: model "${hashed[0]}" hashes fields (redact.hash)`)
  return {
    sink,
    file: logging.file,
    kafkaBrokers,
    kafkaSecurity,
    topicPrefix: logging.topicPrefix ?? D.DEFAULT_TOPIC_PREFIX,
    bufferMaxRecords: logging.bufferMaxRecords ?? D.DEFAULT_BUFFER_MAX_RECORDS,
    bufferMaxBytes: logging.bufferMaxBytes ?? D.DEFAULT_BUFFER_MAX_BYTES,
    flushIntervalMs: logging.flushIntervalMs ?? D.DEFAULT_FLUSH_INTERVAL_MS,
    rollupFlushMs: logging.rollupFlushMs ?? D.DEFAULT_ROLLUP_FLUSH_MS,
    hashKey: logging.hashKey
  }
}

/** "host:port" (the schema checked the shape); an IPv6 host loses its brackets. */
function hostPort (s: string): { host: string, port: number } {
  const i = s.lastIndexOf(':')
  return { host: s.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(s.slice(i + 1)) }
}
