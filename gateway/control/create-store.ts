/**
 * Builds the state store the config names: memory (embedded default, optional
 * state file) or Redis (a fleet, one server or through Sentinel), with the
 * durable control log beside it. The Redis client is loaded only when it is used.
 */
import type { Logger } from '../observe/log.js'
import type { GatewayConfig } from '../config/load.js'
import { DEFAULT_DATABASE } from '../sink/clickhouse.js'
import type { StateStore } from './store.js'
import { ControlLog, type ControlLogReader, type ControlLogSinkCloser } from './control-log.js'
import { ControlLogFile } from './control-log-file.js'
import type { RedisTarget } from './redis-connection.js'

/** Where the state store's Redis is (the rollout coordination uses the same). */
export function redisTarget (config: GatewayConfig): RedisTarget {
  return { url: config.state.redisUrl, sentinel: config.state.sentinel, security: config.state.redis }
}

/**
 * The durable record: a file (state.controlLog.file), and the scoring pipeline
 * once it runs (logging.sink file or kafka; attached by the caller). Read back
 * from ClickHouse when state.controlLog.clickhouseUrl is set, else the file.
 */
export async function createControlLog (config: GatewayConfig, logger: Logger): Promise<ControlLog> {
  const c = config.state.controlLog
  const file = c.file === undefined ? null : new ControlLogFile(c.file, logger.child({ component: 'control-log' }))
  let reader: ControlLogReader | null = file
  if (c.clickhouseUrl !== undefined) {
    const { ControlLogClickHouse } = await import('./control-log-clickhouse.js')
    // The same ClickHouse credentials as the rollout source (CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_TLS_*).
    const sec = config.rollouts.clickhouse
    reader = new ControlLogClickHouse({ url: c.clickhouseUrl, database: c.clickhouseDatabase ?? DEFAULT_DATABASE, username: sec.username, password: sec.password, tls: sec.tls })
  }
  const sinks: ControlLogSinkCloser[] = file === null ? [] : [file]
  return new ControlLog({ sinks, reader, logger, awaitPipeline: config.logging.sink !== 'off' })
}

export async function createStateStore (config: GatewayConfig, logger: Logger, controlLog?: ControlLog): Promise<StateStore> {
  if (config.state.store === 'redis') {
    const { RedisStateStore } = await import('./store-redis.js')
    return new RedisStateStore({ target: redisTarget(config), keyPrefix: config.state.keyPrefix, instanceId: config.instanceId, logger, controlLog, minReplicaAcks: config.state.minReplicaAcks })
  }
  const { MemoryStateStore } = await import('./store-memory.js')
  return new MemoryStateStore({ file: config.state.file, instanceId: config.instanceId, logger, controlLog })
}
