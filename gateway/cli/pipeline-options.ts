/** Options shared by the pipeline commands (sink, migrate, report): where Kafka and ClickHouse are. */
import type { GatewayEnv } from '../config/env.js'
import { DEFAULT_TOPIC_PREFIX } from '../config/defaults.js'
import { DEFAULT_DATABASE } from '../sink/clickhouse.js'
import { NAME_RE } from '../state/names.js'
import { UsageError } from './usage-error.js'

export const DEFAULT_CLICKHOUSE_URL = 'http://127.0.0.1:8123'

export interface Endpoints {
  clickhouseUrl: string
  database: string
  username: string | undefined
  password: string | undefined
  brokers: string[] | undefined
  topicPrefix: string
}

export const COMMON_OPTIONS = {
  clickhouse: { type: 'string' },
  database: { type: 'string' },
  brokers: { type: 'string' },
  'topic-prefix': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

export function endpoints (values: { clickhouse?: string, database?: string, brokers?: string, 'topic-prefix'?: string }, env: Readonly<GatewayEnv>): Endpoints {
  const url = values.clickhouse ?? env.CLICKHOUSE_URL ?? DEFAULT_CLICKHOUSE_URL
  if (!/^https?:\/\/[^\s/]+/.test(url)) throw new UsageError(`--clickhouse must be an http(s) URL, got "${url}"`)
  const brokersText = values.brokers ?? env.KAFKA_BROKERS
  const brokers = brokersText?.split(',').map(s => s.trim()).filter(s => s !== '')
  if (brokers !== undefined && brokers.some(b => !/^[^\s:]+:\d{1,5}$/.test(b))) throw new UsageError(`--brokers must be host:port[,host:port…], got "${brokersText}"`)
  const topicPrefix = values['topic-prefix'] ?? DEFAULT_TOPIC_PREFIX
  if (!NAME_RE.test(topicPrefix)) throw new UsageError(`--topic-prefix may hold letters, digits, ".", "_" and "-", got "${topicPrefix}"`)
  const database = values.database ?? env.CLICKHOUSE_DATABASE ?? DEFAULT_DATABASE
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(database)) throw new UsageError(`--database may hold letters, digits and "_", got "${database}"`)
  return { clickhouseUrl: url, database, username: env.CLICKHOUSE_USER, password: env.CLICKHOUSE_PASSWORD, brokers, topicPrefix }
}
