/**
 * Redis for a benchmark: REDIS_URL when set, else the project's own Redis from
 * scripts/services (installed and started here, stopped again if we started it).
 * Only Redis: the scale bench needs no Kafka or ClickHouse.
 */
import { mkdirSync } from 'node:fs'
import { CONF_DIR, DATA_DIR, LOG_DIR, SERVICES_DIR, dataDir } from '../../scripts/services/paths.js'
import { ensureRunning, LOCAL_ENV, stopManaged } from '../../scripts/services/services.js'
import { install } from '../../scripts/services/install.js'

export interface BenchRedis {
  url: string
  close (): Promise<void>
}

export async function startBenchRedis (log: (s: string) => void): Promise<BenchRedis> {
  const external = process.env.REDIS_URL
  if (external !== undefined && external !== '') return { url: external, close: async () => {} }
  for (const d of [SERVICES_DIR, DATA_DIR, CONF_DIR, LOG_DIR, dataDir('redis')]) mkdirSync(d, { recursive: true })
  install(['redis'])
  const how = await ensureRunning('redis', { truncateLog: true })
  log(`   redis ${how} at ${LOCAL_ENV.REDIS_URL}`)
  return {
    url: LOCAL_ENV.REDIS_URL,
    close: async () => { if (how === 'started') await stopManaged('redis') }
  }
}
