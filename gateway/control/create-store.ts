/**
 * Builds the state store the config names: memory (embedded default, optional
 * state file) or Redis (a fleet). The Redis client is loaded only when it is used.
 */
import type { Logger } from '../observe/log.js'
import type { GatewayConfig } from '../config/load.js'
import type { StateStore } from './store.js'

export async function createStateStore (config: GatewayConfig, logger: Logger): Promise<StateStore> {
  if (config.state.store === 'redis') {
    const { RedisStateStore } = await import('./store-redis.js')
    return new RedisStateStore({ url: config.state.redisUrl!, security: config.state.redis, keyPrefix: config.state.keyPrefix, instanceId: config.instanceId, logger })
  }
  const { MemoryStateStore } = await import('./store-memory.js')
  return new MemoryStateStore({ file: config.state.file, instanceId: config.instanceId, logger })
}
