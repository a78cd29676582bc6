/**
 * Options shared by the pipeline commands (sink, migrate, report, query): where
 * Kafka and ClickHouse are and how to authenticate to them. Passwords come only
 * from the environment (KAFKA_SASL_PASSWORD, CLICKHOUSE_PASSWORD): a flag would
 * show them in `ps` and shell history.
 */
import type { GatewayEnv } from '../config/env.js'
import { DEFAULT_TOPIC_PREFIX } from '../config/defaults.js'
import { DEFAULT_DATABASE, ClickHouse } from '../sink/clickhouse.js'
import { NAME_RE } from '../state/names.js'
import { ConnectionSettingError, SASL_MECHANISMS, clickhouseSecurity, kafkaSecurity, type ClickHouseSecurity, type KafkaSecurity } from '../config/connections.js'
import { UsageError } from './usage-error.js'

export const DEFAULT_CLICKHOUSE_URL = 'http://127.0.0.1:8123'

export interface Endpoints {
  clickhouseUrl: string
  database: string
  clickhouse: ClickHouseSecurity
  brokers: string[] | undefined
  kafka: KafkaSecurity
  topicPrefix: string
}

export const COMMON_OPTIONS = {
  clickhouse: { type: 'string' },
  database: { type: 'string' },
  'clickhouse-user': { type: 'string' },
  'clickhouse-ca': { type: 'string' },
  brokers: { type: 'string' },
  'kafka-tls': { type: 'boolean' },
  'kafka-ca': { type: 'string' },
  'kafka-sasl': { type: 'string' },
  'kafka-user': { type: 'string' },
  'topic-prefix': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

/** The help lines of COMMON_OPTIONS' security flags, for each command's HELP. */
export const SECURITY_HELP = `  --clickhouse-user U    ClickHouse user (default $CLICKHOUSE_USER or default);
                         the password only from $CLICKHOUSE_PASSWORD
  --clickhouse-ca FILE   CA of an https ClickHouse URL (default $CLICKHOUSE_TLS_CA_FILE)
  --kafka-tls            TLS to Kafka with the system's CAs (default $KAFKA_TLS)
  --kafka-ca FILE        TLS to Kafka with this CA (default $KAFKA_TLS_CA_FILE)
  --kafka-sasl MECH      ${SASL_MECHANISMS.join(', ')} (default $KAFKA_SASL_MECHANISM)
  --kafka-user U         SASL user (default $KAFKA_SASL_USERNAME); the password only
                         from $KAFKA_SASL_PASSWORD
`

type Values = { clickhouse?: string, database?: string, brokers?: string, 'topic-prefix'?: string, 'clickhouse-user'?: string, 'clickhouse-ca'?: string, 'kafka-tls'?: boolean, 'kafka-ca'?: string, 'kafka-sasl'?: string, 'kafka-user'?: string }

export function endpoints (values: Values, env: Readonly<GatewayEnv>): Endpoints {
  const url = values.clickhouse ?? env.CLICKHOUSE_URL ?? DEFAULT_CLICKHOUSE_URL
  if (!/^https?:\/\/[^\s/]+/.test(url)) throw new UsageError(`--clickhouse must be an http(s) URL, got "${url}"`)
  const brokersText = values.brokers ?? env.KAFKA_BROKERS
  const brokers = brokersText?.split(',').map(s => s.trim()).filter(s => s !== '')
  if (brokers !== undefined && brokers.some(b => !/^[^\s:]+:\d{1,5}$/.test(b))) throw new UsageError(`--brokers must be host:port[,host:port…], got "${brokersText}"`)
  const topicPrefix = values['topic-prefix'] ?? DEFAULT_TOPIC_PREFIX
  if (!NAME_RE.test(topicPrefix)) throw new UsageError(`--topic-prefix may hold letters, digits, ".", "_" and "-", got "${topicPrefix}"`)
  const database = values.database ?? env.CLICKHOUSE_DATABASE ?? DEFAULT_DATABASE
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(database)) throw new UsageError(`--database may hold letters, digits and "_", got "${database}"`)
  return { clickhouseUrl: url, database, clickhouse: clickhouseOf(values, env), brokers, kafka: kafkaOf(values, env), topicPrefix }
}

function clickhouseOf (values: Values, env: Readonly<GatewayEnv>): ClickHouseSecurity {
  const ca = values['clickhouse-ca']
  return clickhouseSecurity({ username: values['clickhouse-user'], tls: ca === undefined ? undefined : { caFile: ca } }, env)
}

function kafkaOf (values: Values, env: Readonly<GatewayEnv>): KafkaSecurity {
  const mechanism = values['kafka-sasl']?.toLowerCase()
  if (mechanism !== undefined && !(SASL_MECHANISMS as readonly string[]).includes(mechanism)) throw new UsageError(`--kafka-sasl must be one of ${SASL_MECHANISMS.join(', ')}, got "${values['kafka-sasl']}"`)
  const tls = values['kafka-ca'] !== undefined ? { caFile: values['kafka-ca'] } : values['kafka-tls'] === true ? true : undefined
  // Flags name the mechanism and user; the rest (and the password) comes from the environment.
  const merged: Readonly<GatewayEnv> = {
    ...env,
    KAFKA_SASL_MECHANISM: mechanism ?? env.KAFKA_SASL_MECHANISM,
    KAFKA_SASL_USERNAME: values['kafka-user'] ?? env.KAFKA_SASL_USERNAME
  }
  try {
    return kafkaSecurity({ tls, sasl: undefined }, merged)
  } catch (err) {
    if (err instanceof ConnectionSettingError) throw new UsageError(err.message)
    throw err
  }
}

/** A ClickHouse client for these endpoints. */
export function openClickHouse (ep: Endpoints): ClickHouse {
  return new ClickHouse({ url: ep.clickhouseUrl, database: ep.database, username: ep.clickhouse.username, password: ep.clickhouse.password, tls: ep.clickhouse.tls })
}
