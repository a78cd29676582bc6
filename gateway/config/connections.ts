/**
 * How the gateway and its tools reach the backing services a platform team
 * runs: Kafka over TLS and SASL (PLAIN, SCRAM-SHA-256/512), ClickHouse over
 * https with a user and password, Redis over TLS (rediss://) with ACL auth.
 * One vocabulary for the config loader, the CLI's pipeline options and every
 * client: the settings come from the config file or the environment, secrets
 * stay in these objects and are never logged (observe/log.ts redacts the keys).
 *
 * Certificate files are read when a client is made (once, at start-up), so a
 * config can name files that exist only where it runs (a mounted Secret).
 */
import { readFileSync } from 'node:fs'
import type { GatewayEnv } from './env.js'
import type { GatewayConfigFile } from './schema.js'

/** PEM files for client-side TLS; none given means the system's CAs and no client certificate. */
export interface TlsFiles {
  caFile?: string | undefined
  certFile?: string | undefined
  keyFile?: string | undefined
  /** Server name to verify instead of the host in the address (SNI). */
  servername?: string | undefined
}

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512'
export const SASL_MECHANISMS: readonly SaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512']

export interface KafkaSasl {
  mechanism: SaslMechanism
  username: string
  password: string
}

/** Kafka security: TLS (null = plaintext) and SASL (null = none). */
export interface KafkaSecurity {
  tls: TlsFiles | null
  sasl: KafkaSasl | null
}

/** ClickHouse security: credentials, and TLS files for an https URL with a private CA or client certificates. */
export interface ClickHouseSecurity {
  username: string | undefined
  password: string | undefined
  tls: TlsFiles | null
}

/** Redis security: ACL user (or none: the default user) and password; TLS when the URL is rediss:// or files are given. */
export interface RedisSecurity {
  username: string | undefined
  password: string | undefined
  tls: TlsFiles | null
}

export const NO_KAFKA_SECURITY: KafkaSecurity = Object.freeze({ tls: null, sasl: null })
export const NO_CLICKHOUSE_SECURITY: ClickHouseSecurity = Object.freeze({ username: undefined, password: undefined, tls: null })
export const NO_REDIS_SECURITY: RedisSecurity = Object.freeze({ username: undefined, password: undefined, tls: null })

/** A setting that cannot work, named by where it came from (config path or environment variable). */
export class ConnectionSettingError extends Error {
  constructor (readonly setting: string, reason: string) {
    super(`${setting}: ${reason}`)
    this.name = 'ConnectionSettingError'
  }
}

export interface PemMaterial { ca?: Buffer, cert?: Buffer, key?: Buffer }

/** Reads the PEM files of `tls`; an unreadable file is an error naming the service and the file. */
export function readTlsFiles (tls: TlsFiles, service: string): PemMaterial {
  const read = (file: string | undefined, what: string): Buffer | undefined => {
    if (file === undefined) return undefined
    try {
      return readFileSync(file)
    } catch (err) {
      throw new Error(`${service}: cannot read the TLS ${what} file ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
    }
  }
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) throw new Error(`${service}: a TLS client certificate needs both certFile and keyFile`)
  const out: PemMaterial = {}
  const ca = read(tls.caFile, 'CA')
  const cert = read(tls.certFile, 'certificate')
  const key = read(tls.keyFile, 'key')
  if (ca !== undefined) out.ca = ca
  if (cert !== undefined) out.cert = cert
  if (key !== undefined) out.key = key
  return out
}

/** TLS files from KAFKA_TLS_* / CLICKHOUSE_TLS_* / REDIS_TLS_* style variables; null when none is set. */
function tlsFromEnv (ca: string | undefined, cert: string | undefined, key: string | undefined): TlsFiles | null {
  if (ca === undefined && cert === undefined && key === undefined) return null
  return { caFile: ca, certFile: cert, keyFile: key }
}

function isTrue (v: string | undefined): boolean {
  return v !== undefined && /^(1|true|yes|on)$/i.test(v.trim())
}

function isFalse (v: string | undefined): boolean {
  return v !== undefined && /^(0|false|no|off)$/i.test(v.trim())
}

/** The config file's form of a TLS setting: true (system CAs), false/absent (off), or files. */
export type TlsSetting = boolean | TlsFiles | undefined

function tlsOf (setting: TlsSetting): TlsFiles | null | undefined {
  if (setting === undefined) return undefined
  if (setting === false) return null
  return setting === true ? {} : setting
}

export interface KafkaSecurityInput {
  tls?: TlsSetting
  sasl?: { mechanism: SaslMechanism, username: string, password: string } | undefined
}

/**
 * Kafka security from the config (wins) or the environment: KAFKA_TLS=true,
 * KAFKA_TLS_CA_FILE / _CERT_FILE / _KEY_FILE (any of them turns TLS on),
 * KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD.
 */
export function kafkaSecurity (input: KafkaSecurityInput, env: Readonly<GatewayEnv>): KafkaSecurity {
  let tls = tlsOf(input.tls)
  if (tls === undefined) {
    const files = tlsFromEnv(env.KAFKA_TLS_CA_FILE, env.KAFKA_TLS_CERT_FILE, env.KAFKA_TLS_KEY_FILE)
    tls = isFalse(env.KAFKA_TLS) ? null : files ?? (isTrue(env.KAFKA_TLS) ? {} : null)
  }
  let sasl: KafkaSasl | null = input.sasl ?? null
  if (input.sasl === undefined && env.KAFKA_SASL_MECHANISM !== undefined && env.KAFKA_SASL_MECHANISM !== '') {
    const mechanism = env.KAFKA_SASL_MECHANISM.trim().toLowerCase()
    if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) throw new ConnectionSettingError('KAFKA_SASL_MECHANISM', `must be one of ${SASL_MECHANISMS.join(', ')}, got "${env.KAFKA_SASL_MECHANISM}"`)
    if (env.KAFKA_SASL_USERNAME === undefined || env.KAFKA_SASL_USERNAME === '') throw new ConnectionSettingError('KAFKA_SASL_USERNAME', `is required with KAFKA_SASL_MECHANISM=${mechanism}`)
    if (env.KAFKA_SASL_PASSWORD === undefined) throw new ConnectionSettingError('KAFKA_SASL_PASSWORD', `is required with KAFKA_SASL_MECHANISM=${mechanism}`)
    sasl = { mechanism: mechanism as SaslMechanism, username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD }
  }
  return { tls, sasl }
}

export interface ClickHouseSecurityInput {
  username?: string | undefined
  password?: string | undefined
  tls?: TlsFiles | undefined
}

/** ClickHouse security from the config (wins) or CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_TLS_CA_FILE / _CERT_FILE / _KEY_FILE. */
export function clickhouseSecurity (input: ClickHouseSecurityInput, env: Readonly<GatewayEnv>): ClickHouseSecurity {
  return {
    username: input.username ?? env.CLICKHOUSE_USER,
    password: input.password ?? env.CLICKHOUSE_PASSWORD,
    tls: input.tls ?? tlsFromEnv(env.CLICKHOUSE_TLS_CA_FILE, env.CLICKHOUSE_TLS_CERT_FILE, env.CLICKHOUSE_TLS_KEY_FILE)
  }
}

export interface RedisSecurityInput {
  username?: string | undefined
  password?: string | undefined
  tls?: TlsSetting
}

/** Redis security from the config (wins) or REDIS_USERNAME, REDIS_PASSWORD, REDIS_TLS_CA_FILE / _CERT_FILE / _KEY_FILE. */
export function redisSecurity (input: RedisSecurityInput, env: Readonly<GatewayEnv>): RedisSecurity {
  let tls = tlsOf(input.tls)
  if (tls === undefined) tls = tlsFromEnv(env.REDIS_TLS_CA_FILE, env.REDIS_TLS_CERT_FILE, env.REDIS_TLS_KEY_FILE)
  return { username: input.username ?? env.REDIS_USERNAME, password: input.password ?? env.REDIS_PASSWORD, tls }
}

/** The three from a config file (logging.kafka*, rollouts.clickhouse*, state.redis*) and the environment. */
export function securityOf (cfg: GatewayConfigFile, env: Readonly<GatewayEnv>): { kafka: KafkaSecurity, clickhouse: ClickHouseSecurity, redis: RedisSecurity } {
  const l = cfg.logging ?? {}
  const st = cfg.state ?? {}
  const ro = cfg.rollouts ?? {}
  return {
    kafka: kafkaSecurity({ tls: l.kafkaTls, sasl: l.kafkaSasl }, env),
    clickhouse: clickhouseSecurity({ username: ro.clickhouseUser, password: ro.clickhousePassword, tls: ro.clickhouseTls }, env),
    redis: redisSecurity({ username: st.redisUsername, password: st.redisPassword, tls: st.redisTls }, env)
  }
}

/** host:port of a URL, for messages (never the user or password in it). */
export function addressOf (url: string): string {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}`
  } catch {
    return '(an address that is not a URL)'
  }
}
