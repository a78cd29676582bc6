import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../../gateway/config/load.js'
import { readEnv } from '../../gateway/config/env.js'

// TLS, SASL and credentials of Kafka, ClickHouse and Redis from the config or the
// environment, and the rollout source a fleet with a pipeline gets by default.

const FILE = 'gateway.yaml'
const MODELS = `models:
  fraud:
    versions: { v1: { replicas: [http://127.0.0.1:9101] } }
    release: { strategy: canary, stable: v1 }
`

function load (text: string, vars: Record<string, string> = {}): ReturnType<typeof parseConfig> {
  return parseConfig(text + MODELS, FILE, readEnv(vars), (n) => vars[n])
}

function configError (text: string, vars: Record<string, string> = {}): ConfigError {
  try {
    load(text, vars)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error('parseConfig accepted the config')
}

describe('Kafka security', () => {
  it('is plaintext without SASL when neither the config nor the environment says otherwise', () => {
    expect(load('logging: { sink: kafka, kafkaBrokers: [k:9092] }\n').logging.kafkaSecurity).toEqual({ tls: null, sasl: null })
  })

  it('takes TLS files and SASL from the environment', () => {
    const c = load('logging: { sink: kafka, kafkaBrokers: [k:9093] }\n', {
      KAFKA_TLS_CA_FILE: '/tls/ca.pem', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'gw', KAFKA_SASL_PASSWORD: 'pw'
    })
    expect(c.logging.kafkaSecurity).toEqual({ tls: { caFile: '/tls/ca.pem', certFile: undefined, keyFile: undefined }, sasl: { mechanism: 'scram-sha-512', username: 'gw', password: 'pw' } })
  })

  it('KAFKA_TLS=true turns TLS on with the system CAs', () => {
    expect(load('logging: { sink: kafka, kafkaBrokers: [k:9093] }\n', { KAFKA_TLS: 'true' }).logging.kafkaSecurity.tls).toEqual({})
  })

  it('the config file wins over the environment, with ${VAR} for the password', () => {
    const c = load('logging: { sink: kafka, kafkaBrokers: [k:9093], kafkaTls: true, kafkaSasl: { mechanism: plain, username: app, password: "${SASL_PW}" } }\n', {
      SASL_PW: 'from-env', KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'other', KAFKA_SASL_PASSWORD: 'other'
    })
    expect(c.logging.kafkaSecurity).toEqual({ tls: {}, sasl: { mechanism: 'plain', username: 'app', password: 'from-env' } })
  })

  it('an unknown KAFKA_SASL_MECHANISM is a config error naming the variable and the mechanisms', () => {
    const e = configError('logging: { sink: kafka, kafkaBrokers: [k:9093] }\n', { KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })
    expect(e.message).toBe('gateway.yaml: (environment) KAFKA_SASL_MECHANISM: must be one of plain, scram-sha-256, scram-sha-512, got "gssapi"')
  })

  it('a SASL mechanism without a user is a config error naming KAFKA_SASL_USERNAME', () => {
    expect(configError('', { KAFKA_SASL_MECHANISM: 'plain' }).message).toBe('gateway.yaml: (environment) KAFKA_SASL_USERNAME: is required with KAFKA_SASL_MECHANISM=plain')
  })

  it('a wrong kafkaSasl in the file names its path and never shows the password', () => {
    const e = configError('logging: { kafkaSasl: { mechanism: plain, username: app, password: 42 } }\n')
    expect(e.path).toBe('logging.kafkaSasl.password')
    expect(e.message).not.toContain('42')
  })
})

describe('ClickHouse and Redis credentials', () => {
  it('ClickHouse user, password and CA come from the environment unless the config gives them', () => {
    expect(load('', { CLICKHOUSE_USER: 'analyst', CLICKHOUSE_PASSWORD: 'pw', CLICKHOUSE_TLS_CA_FILE: '/ca.pem' }).rollouts.clickhouse)
      .toEqual({ username: 'analyst', password: 'pw', tls: { caFile: '/ca.pem', certFile: undefined, keyFile: undefined } })
    expect(load('rollouts: { clickhouseUser: app, clickhousePassword: secret }\n', { CLICKHOUSE_USER: 'analyst' }).rollouts.clickhouse)
      .toEqual({ username: 'app', password: 'secret', tls: null })
  })

  it('Redis user and password come from REDIS_USERNAME / REDIS_PASSWORD unless the config gives them', () => {
    expect(load('', { REDIS_USERNAME: 'gw', REDIS_PASSWORD: 'pw' }).state.redis).toEqual({ username: 'gw', password: 'pw', tls: null })
    expect(load('state: { redisUsername: a, redisPassword: b, redisTls: { caFile: /ca.pem } }\n').state.redis).toEqual({ username: 'a', password: 'b', tls: { caFile: '/ca.pem' } })
  })
})

describe('rollout source default', () => {
  const pipeline = 'logging: { sink: kafka, kafkaBrokers: [k:9092] }\n'

  it('is clickhouse (fleet-wide) when the scoring log goes to Kafka and a ClickHouse URL is known', () => {
    expect(load(pipeline, { CLICKHOUSE_URL: 'https://ch:8443' }).rollouts.source).toBe('clickhouse')
    expect(load(`${pipeline}rollouts: { clickhouseUrl: "http://ch:8123" }\n`).rollouts.source).toBe('clickhouse')
  })

  it('is local without a Kafka pipeline or without a ClickHouse URL', () => {
    expect(load(pipeline).rollouts.source).toBe('local')
    expect(load('logging: { sink: file, file: /tmp/x.ndjson }\n', { CLICKHOUSE_URL: 'http://ch:8123' }).rollouts.source).toBe('local')
  })

  it('an explicit source wins', () => {
    expect(load(`${pipeline}rollouts: { source: local }\n`, { CLICKHOUSE_URL: 'http://ch:8123' }).rollouts.source).toBe('local')
  })
})
