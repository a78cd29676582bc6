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
  /** CA bundle (PEM file) the CLI trusts for an https admin URL. */
  MODEL_GATEWAY_CA: string | undefined
  /** Data-plane API key for `model-gateway batch` when access control is on. */
  MODEL_GATEWAY_API_KEY: string | undefined
  REDIS_URL: string | undefined
  KAFKA_BROKERS: string | undefined
  CLICKHOUSE_URL: string | undefined
  CLICKHOUSE_USER: string | undefined
  CLICKHOUSE_PASSWORD: string | undefined
  CLICKHOUSE_DATABASE: string | undefined
  LOG_LEVEL: string | undefined
}

export function readEnv (source: NodeJS.ProcessEnv = process.env): Readonly<GatewayEnv> {
  return Object.freeze({
    GATEWAY_CONFIG: source.GATEWAY_CONFIG,
    GATEWAY_INSTANCE_ID: source.GATEWAY_INSTANCE_ID,
    GATEWAY_HOST: source.GATEWAY_HOST,
    GATEWAY_ADMIN_HOST: source.GATEWAY_ADMIN_HOST,
    MODEL_GATEWAY_TOKEN: source.MODEL_GATEWAY_TOKEN,
    MODEL_GATEWAY_ADMIN_URL: source.MODEL_GATEWAY_ADMIN_URL,
    MODEL_GATEWAY_CA: source.MODEL_GATEWAY_CA,
    MODEL_GATEWAY_API_KEY: source.MODEL_GATEWAY_API_KEY,
    REDIS_URL: source.REDIS_URL,
    KAFKA_BROKERS: source.KAFKA_BROKERS,
    CLICKHOUSE_URL: source.CLICKHOUSE_URL,
    CLICKHOUSE_USER: source.CLICKHOUSE_USER,
    CLICKHOUSE_PASSWORD: source.CLICKHOUSE_PASSWORD,
    CLICKHOUSE_DATABASE: source.CLICKHOUSE_DATABASE,
    LOG_LEVEL: source.LOG_LEVEL
  })
}

/** Looks up a variable named in a config file as ${NAME}. */
export function lookupEnv (name: string, source: NodeJS.ProcessEnv = process.env): string | undefined {
  return source[name]
}
