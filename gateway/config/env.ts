/**
 * The one module that reads process.env. Everything else receives values from here
 * or from the loaded config.
 */
export interface GatewayEnv {
  /** Path of the config file when no --config flag is given. */
  GATEWAY_CONFIG: string | undefined
  GATEWAY_INSTANCE_ID: string | undefined
  /** Listen address of the data plane when the config file gives none (the container image sets 0.0.0.0). */
  GATEWAY_HOST: string | undefined
  /** Listen address of the admin listener when the config file gives none. */
  GATEWAY_ADMIN_HOST: string | undefined
  /** Admin token for the CLI. */
  MODEL_GATEWAY_TOKEN: string | undefined
  /** Admin API base URL for the CLI. */
  MODEL_GATEWAY_ADMIN_URL: string | undefined
  /** Data-plane base URL for the CLI's batch and traffic commands. */
  MODEL_GATEWAY_URL: string | undefined
  /** CA bundle (PEM file) the CLI trusts for an https admin URL. */
  MODEL_GATEWAY_CA: string | undefined
  /** Data-plane API key for `model-gateway batch` when access control is on. */
  MODEL_GATEWAY_API_KEY: string | undefined
  REDIS_URL: string | undefined
  /** Redis ACL user and password (TLS: a rediss:// URL, or the CA/certificate files below). */
  REDIS_USERNAME: string | undefined
  REDIS_PASSWORD: string | undefined
  REDIS_TLS_CA_FILE: string | undefined
  REDIS_TLS_CERT_FILE: string | undefined
  REDIS_TLS_KEY_FILE: string | undefined
  KAFKA_BROKERS: string | undefined
  /** "true" for TLS with the system's CAs; any KAFKA_TLS_*_FILE turns TLS on too. */
  KAFKA_TLS: string | undefined
  KAFKA_TLS_CA_FILE: string | undefined
  KAFKA_TLS_CERT_FILE: string | undefined
  KAFKA_TLS_KEY_FILE: string | undefined
  /** plain, scram-sha-256 or scram-sha-512. */
  KAFKA_SASL_MECHANISM: string | undefined
  KAFKA_SASL_USERNAME: string | undefined
  KAFKA_SASL_PASSWORD: string | undefined
  CLICKHOUSE_URL: string | undefined
  CLICKHOUSE_USER: string | undefined
  CLICKHOUSE_PASSWORD: string | undefined
  CLICKHOUSE_DATABASE: string | undefined
  /** For an https CLICKHOUSE_URL with a private CA, or client certificates. */
  CLICKHOUSE_TLS_CA_FILE: string | undefined
  CLICKHOUSE_TLS_CERT_FILE: string | undefined
  CLICKHOUSE_TLS_KEY_FILE: string | undefined
  LOG_LEVEL: string | undefined
}

const NAMES: ReadonlyArray<keyof GatewayEnv> = [
  'GATEWAY_CONFIG', 'GATEWAY_INSTANCE_ID', 'GATEWAY_HOST', 'GATEWAY_ADMIN_HOST', 'MODEL_GATEWAY_TOKEN', 'MODEL_GATEWAY_ADMIN_URL',
  'MODEL_GATEWAY_URL', 'MODEL_GATEWAY_CA', 'MODEL_GATEWAY_API_KEY', 'REDIS_URL', 'REDIS_USERNAME', 'REDIS_PASSWORD', 'REDIS_TLS_CA_FILE', 'REDIS_TLS_CERT_FILE', 'REDIS_TLS_KEY_FILE',
  'KAFKA_BROKERS', 'KAFKA_TLS', 'KAFKA_TLS_CA_FILE', 'KAFKA_TLS_CERT_FILE', 'KAFKA_TLS_KEY_FILE', 'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD', 'CLICKHOUSE_DATABASE',
  'CLICKHOUSE_TLS_CA_FILE', 'CLICKHOUSE_TLS_CERT_FILE', 'CLICKHOUSE_TLS_KEY_FILE', 'LOG_LEVEL'
]

export function readEnv (source: NodeJS.ProcessEnv = process.env): Readonly<GatewayEnv> {
  const out: Partial<Record<keyof GatewayEnv, string | undefined>> = {}
  for (const n of NAMES) out[n] = source[n]
  return Object.freeze(out as GatewayEnv)
}

/** Looks up a variable named in a config file as ${NAME}. */
export function lookupEnv (name: string, source: NodeJS.ProcessEnv = process.env): string | undefined {
  return source[name]
}
