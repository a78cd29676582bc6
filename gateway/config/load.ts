/**
 * Loads the config file once at start-up: parse (YAML or JSON), substitute
 * ${ENV_VAR}s, validate against the schema, check release semantics, apply
 * defaults. Every error names the file, the path inside it and the reason.
 */
import { readFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { parse as parseYaml, YAMLParseError } from 'yaml'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { ConfigSchema, type GatewayConfigFile, type ModelConfig, type AdminToken, type SuiteConfig } from './schema.js'
import { resolveRollouts, segmentsOf, suitesOf, type ResolvedRollouts, type ResolvedSegments } from './release-config.js'

export { OTHER_SEGMENT, type ResolvedRollouts, type ResolvedSegments } from './release-config.js'
import { lookupEnv, readEnv, type GatewayEnv } from './env.js'
import * as D from './defaults.js'
import { isReplicaUrl } from '../state/names.js'
import { modelStateFromConfig } from './initial-state.js'
import { StateError, type RoutingState } from '../state/routing-state.js'
import type { TlsFiles } from '../tls/material.js'
import { readUpstreamTls, resolveAccess, resolveListenerTls, resolveRedact, resolveUpstreamTls, ResolveError, type ResolvedAccess, type ResolvedRedact, type ResolvedUpstreamTls } from './resolve-access.js'
import { ConfigError, describeSchemaError, jsonPointerToPath, substituteEnv } from './raw.js'
import { ConnectionSettingError, securityOf, type KafkaSecurity, type RedisSecurity } from './connections.js'
import { adminSection, loggingSection, stateSection } from './sections.js'

export { ConfigError }

/** A version's DNS discovery with defaults applied; replica URLs are `${scheme}://ADDRESS:${port}${path}`. */
export interface ResolvedDiscovery {
  dns: string
  port: number
  scheme: 'http' | 'https' | 'grpc' | 'grpcs'
  path: string
  family: 4 | 6 | 'any'
}

export interface ResolvedModel {
  name: string
  /** Versions whose replicas (also) come from DNS, by version name. */
  discovery: Record<string, ResolvedDiscovery>
  stickyHeader: string | undefined
  stickyCookie: string | undefined
  allowVersionHeader: boolean
  fallbackToStable: boolean
  connectTimeoutMs: number
  requestTimeoutMs: number
  bodyLimitBytes: number
  maxResponseBytes: number
  idempotent: boolean
  maxConnectionsPerReplica: number
  queueTimeoutMs: number
  healthCheck: {
    enabled: boolean
    intervalMs: number
    timeoutMs: number
    jitter: number
    unhealthyThreshold: number
    healthyThreshold: number
    /** Unset: the server's readiness, or the version's own readiness URL when it is mapped upstream. */
    path: string | undefined
    inferPayload: unknown
    expectBodyContains: string | undefined
  }
  outlierDetection: {
    enabled: boolean
    consecutiveFailures: number
    baseEjectionMs: number
    maxEjectionMs: number
    maxEjectionPercent: number
  }
  sampling: {
    rate: number
    versions: Record<string, number>
    alwaysSampleErrors: boolean
    captureBodies: boolean
    maxBodyBytes: number
  }
  /** Outcome tracking (labels and business values by request id); null when the model has no `outcomes` section. */
  outcomes: ResolvedOutcomes | null
  /** Verification suites by name, as configured (files are read when the gateway starts: gateway/verify/suites.ts). */
  suites: Record<string, SuiteConfig>
  /** What rollout policies and scoped admin tokens select this model by. */
  labels: Record<string, string>
  /** Where a request's segment comes from, and the segments there are; null without segments. */
  segments: ResolvedSegments | null
  /** TLS to the replicas; null: the system's CAs for https:// replicas, no client certificate. */
  tls: ResolvedUpstreamTls | null
  /** Fields kept out of recorded bodies. */
  redact: ResolvedRedact
}

export interface ResolvedOutcomes {
  /** Every live request goes to the assignment ledger. */
  ledger: boolean
  /** Output whose first element the ledger keeps as the request's prediction; null: none kept. */
  prediction: string | null
  label: 'binary' | 'numeric'
  threshold: number
}

export interface GatewayConfig {
  file: string
  instanceId: string
  host: string
  port: number
  bodyLimitBytes: number
  shutdownTimeoutMs: number
  drainDelayMs: number
  validateJson: boolean
  /** Load shedding (0 = that measure off). */
  overload: { maxEventLoopDelayMs: number, maxInFlight: number, retryAfterS: number }
  /** Data-plane certificate files; null: plain HTTP. */
  tls: TlsFiles | null
  admin: { enabled: boolean, host: string, port: number, tokens: AdminToken[], metricsPublic: boolean, console: boolean, tls: TlsFiles | null }
  grpc: { enabled: boolean, host: string, port: number, tls: { certFile: string, keyFile: string } | undefined }
  discovery: { resolver: string | undefined, minIntervalMs: number, maxIntervalMs: number, timeoutMs: number }
  state: {
    store: 'memory' | 'redis'
    file: string | undefined
    redisUrl: string | undefined
    /** ACL user, password and TLS of the Redis servers. */
    redis: RedisSecurity
    keyPrefix: string
    sentinel: { name: string, hosts: Array<{ host: string, port: number }>, password: string | undefined, sentinelPassword: string | undefined } | undefined
    minReplicaAcks: number
    controlLog: { file: string | undefined, clickhouseUrl: string | undefined, clickhouseDatabase: string | undefined }
  }
  logging: {
    sink: 'off' | 'file' | 'kafka'
    file: string | undefined
    kafkaBrokers: string[] | undefined
    kafkaSecurity: KafkaSecurity
    topicPrefix: string
    bufferMaxRecords: number
    bufferMaxBytes: number
    flushIntervalMs: number
    rollupFlushMs: number
    /** Secret of the keyed hash for redact.hash fields. */
    hashKey: string | undefined
  }
  /** Who may score what: keys, JWTs, scopes, quotas. */
  access: ResolvedAccess
  shadow: { maxInFlight: number, timeoutMs: number | undefined, maxOutputBytes: number, pipelining: number }
  rollouts: ResolvedRollouts
  models: Record<string, ResolvedModel>
  /** The outcome intake's bounds (per request). */
  outcomes: { maxBodyBytes: number, maxItems: number, timeoutMs: number }
  /** The routing state the config declares; the state store starts from it when it holds none. */
  initialState: RoutingState
}

let compiledSchema: TypeCheck<typeof ConfigSchema> | undefined

export async function loadConfigFile (file: string, env: Readonly<GatewayEnv> = readEnv()): Promise<GatewayConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new ConfigError(file, '', `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)}); give another with --config FILE or GATEWAY_CONFIG`)
  }
  const config = parseConfig(text, file, env)
  await readUpstreamTls(config.file, config.models)
  return config
}


export function parseConfig (text: string, file: string, env: Readonly<GatewayEnv> = readEnv(), envLookup: (name: string) => string | undefined = lookupEnv): GatewayConfig {
  let raw: unknown
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { prettyErrors: true })
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos !== undefined ? `line ${err.linePos[0].line}` : ''
    // V8's JSON errors quote a slice of the input, which may be part of an admin token: cut it off.
    const reason = (err as Error).message.split('\n')[0]!.replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/, '')
    throw new ConfigError(file, where, `not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${reason}`)
  }
  raw = substituteEnv(raw, '', file, envLookup)
  if (raw === null || typeof raw !== 'object') throw new ConfigError(file, '', 'must be a mapping with at least a "models" key')

  // Compiled once: walking a 1,000-model config with the interpreting checker took
  // about a second of start-up and of every reload (bench/scale.ts).
  const check = compiledSchema ??= TypeCompiler.Compile(ConfigSchema)
  const first = check.Check(raw) ? undefined : check.Errors(raw).First()
  if (first !== undefined) {
    const path = jsonPointerToPath(first.path)
    throw new ConfigError(file, path, describeSchemaError(first.message, /token|key|secret|password/i.test(path) ? undefined : first.value, first.schema))
  }
  const cfg = raw as GatewayConfigFile
  if (Object.keys(cfg.models).length === 0) throw new ConfigError(file, 'models', 'must declare at least one model')
  try {
    return resolve(cfg, file, env)
  } catch (err) {
    if (err instanceof ResolveError) throw new ConfigError(file, err.path, err.reason)
    throw err
  }
}

function resolve (cfg: GatewayConfigFile, file: string, env: Readonly<GatewayEnv>): GatewayConfig {
  const g = cfg.gateway ?? {}
  const bodyLimit = g.bodyLimitBytes ?? D.DEFAULT_BODY_LIMIT_BYTES
  const models: Record<string, ResolvedModel> = {}
  const initialState: RoutingState = { revision: 1, models: {} }
  for (const [name, m] of Object.entries(cfg.models)) {
    try {
      initialState.models[name] = modelStateFromConfig(name, m)
    } catch (err) {
      if (err instanceof StateError) throw new ConfigError(file, `models.${name}.${err.path}`, err.message)
      throw err
    }
    models[name] = resolveModel(name, m, bodyLimit, file)
  }
  const discovery = cfg.discovery ?? {}
  const minIntervalMs = discovery.minIntervalMs ?? D.DEFAULT_DISCOVERY_MIN_INTERVAL_MS
  const maxIntervalMs = discovery.maxIntervalMs ?? Math.max(minIntervalMs, D.DEFAULT_DISCOVERY_MAX_INTERVAL_MS)
  if (maxIntervalMs < minIntervalMs) throw new ConfigError(file, 'discovery.maxIntervalMs', `${maxIntervalMs} is below discovery.minIntervalMs (${minIntervalMs})`)
  const security = connectionSecurity(cfg, file, env)
  const logging = loggingSection(cfg, file, env, models, security.kafka)
  return {
    file,
    instanceId: g.instanceId ?? env.GATEWAY_INSTANCE_ID ?? `${hostname()}-${process.pid}`,
    host: g.host ?? env.GATEWAY_HOST ?? D.DEFAULT_HOST,
    port: g.port ?? D.DEFAULT_PORT,
    bodyLimitBytes: bodyLimit,
    shutdownTimeoutMs: g.shutdownTimeoutMs ?? D.DEFAULT_SHUTDOWN_TIMEOUT_MS,
    drainDelayMs: g.drainDelayMs ?? D.DEFAULT_DRAIN_DELAY_MS,
    validateJson: g.validateJson ?? D.DEFAULT_VALIDATE_JSON,
    overload: {
      maxEventLoopDelayMs: g.overload?.maxEventLoopDelayMs ?? D.DEFAULT_OVERLOAD_MAX_EVENT_LOOP_DELAY_MS,
      maxInFlight: g.overload?.maxInFlight ?? D.DEFAULT_OVERLOAD_MAX_IN_FLIGHT,
      retryAfterS: g.overload?.retryAfterS ?? D.DEFAULT_OVERLOAD_RETRY_AFTER_S
    },
    tls: resolveListenerTls(g.tls),
    admin: adminSection(cfg, file, env),
    grpc: {
      enabled: cfg.grpc?.enabled ?? false,
      host: cfg.grpc?.host ?? g.host ?? env.GATEWAY_HOST ?? D.DEFAULT_HOST,
      port: cfg.grpc?.port ?? D.DEFAULT_GRPC_PORT,
      tls: cfg.grpc?.tls
    },
    discovery: { resolver: discovery.resolver, minIntervalMs, maxIntervalMs, timeoutMs: discovery.timeoutMs ?? D.DEFAULT_DISCOVERY_TIMEOUT_MS },
    state: stateSection(cfg, file, env, security.redis),
    logging,
    access: resolveAccess(cfg.access, Object.keys(models)),
    shadow: {
      maxInFlight: cfg.shadow?.maxInFlight ?? D.DEFAULT_SHADOW_MAX_IN_FLIGHT,
      timeoutMs: cfg.shadow?.timeoutMs,
      maxOutputBytes: cfg.shadow?.maxOutputBytes ?? D.DEFAULT_SHADOW_MAX_OUTPUT_BYTES,
      pipelining: cfg.shadow?.pipelining ?? D.DEFAULT_SHADOW_PIPELINING
    },
    rollouts: resolveRollouts(cfg, env, logging.sink, security.clickhouse),
    outcomes: {
      maxBodyBytes: cfg.outcomes?.maxBodyBytes ?? D.DEFAULT_OUTCOMES_MAX_BODY_BYTES,
      maxItems: cfg.outcomes?.maxItems ?? D.DEFAULT_OUTCOMES_MAX_ITEMS,
      timeoutMs: cfg.outcomes?.timeoutMs ?? D.DEFAULT_OUTCOMES_TIMEOUT_MS
    },
    models,
    initialState
  }
}

/** TLS, SASL and credentials of the backing services; a bad environment setting is a config error naming the variable. */
function connectionSecurity (cfg: GatewayConfigFile, file: string, env: Readonly<GatewayEnv>): ReturnType<typeof securityOf> {
  try {
    return securityOf(cfg, env)
  } catch (err) {
    if (err instanceof ConnectionSettingError) throw new ConfigError(file, `(environment) ${err.setting}`, err.message.slice(err.setting.length + 2))
    throw err
  }
}

function resolveModel (name: string, m: ModelConfig, gatewayBodyLimit: number, file: string): ResolvedModel {
  for (const [v, vc] of Object.entries(m.versions)) {
    (vc.replicas ?? []).forEach((u, i) => {
      if (!isReplicaUrl(u)) throw new ConfigError(file, `models.${name}.versions.${v}.replicas.${i}`, `"${u.slice(0, 200)}" is not a valid http(s) or grpc(s) base URL`)
    })
  }
  if (m.sticky?.header !== undefined && m.sticky.cookie !== undefined) {
    throw new ConfigError(file, `models.${name}.sticky`, 'set either header or cookie, not both')
  }
  const hc = m.healthCheck ?? {}
  const od = m.outlierDetection ?? {}
  const s = m.sampling ?? {}
  for (const v of Object.keys(s.versions ?? {})) {
    if (m.versions[v] === undefined) throw new ConfigError(file, `models.${name}.sampling.versions.${v}`, `names version "${v}", which is not under versions`)
  }
  const discovery: Record<string, ResolvedDiscovery> = {}
  for (const [v, vc] of Object.entries(m.versions)) {
    if (vc.replicas === undefined && vc.discovery === undefined) throw new ConfigError(file, `models.${name}.versions.${v}`, 'needs replicas (a list of base URLs) or discovery (a DNS name and port)')
    const d = vc.discovery
    if (d !== undefined) discovery[v] = { dns: d.dns, port: d.port, scheme: d.scheme ?? 'http', path: (d.path ?? '').replace(/\/$/, ''), family: d.family ?? 'any' }
  }
  return {
    name,
    discovery,
    stickyHeader: m.sticky?.header?.toLowerCase(),
    stickyCookie: m.sticky?.cookie,
    allowVersionHeader: m.allowVersionHeader ?? D.DEFAULT_ALLOW_VERSION_HEADER,
    fallbackToStable: m.fallbackToStable ?? D.DEFAULT_FALLBACK_TO_STABLE,
    connectTimeoutMs: m.timeouts?.connectMs ?? D.DEFAULT_CONNECT_TIMEOUT_MS,
    requestTimeoutMs: m.timeouts?.requestMs ?? D.DEFAULT_REQUEST_TIMEOUT_MS,
    bodyLimitBytes: m.bodyLimitBytes ?? gatewayBodyLimit,
    maxResponseBytes: m.maxResponseBytes ?? D.DEFAULT_MAX_RESPONSE_BYTES,
    idempotent: m.idempotent ?? false,
    maxConnectionsPerReplica: m.maxConnectionsPerReplica ?? D.DEFAULT_MAX_CONNECTIONS_PER_REPLICA,
    queueTimeoutMs: m.queueTimeoutMs ?? D.DEFAULT_QUEUE_TIMEOUT_MS,
    healthCheck: {
      enabled: hc.enabled ?? true,
      intervalMs: hc.intervalMs ?? D.DEFAULT_HEALTH_INTERVAL_MS,
      timeoutMs: hc.timeoutMs ?? D.DEFAULT_HEALTH_TIMEOUT_MS,
      jitter: hc.jitter ?? D.DEFAULT_HEALTH_JITTER,
      unhealthyThreshold: hc.unhealthyThreshold ?? D.DEFAULT_UNHEALTHY_THRESHOLD,
      healthyThreshold: hc.healthyThreshold ?? D.DEFAULT_HEALTHY_THRESHOLD,
      path: hc.path,
      inferPayload: hc.inferPayload,
      expectBodyContains: hc.expectBodyContains
    },
    outlierDetection: {
      enabled: od.enabled ?? true,
      consecutiveFailures: od.consecutiveFailures ?? D.DEFAULT_OUTLIER_CONSECUTIVE_FAILURES,
      baseEjectionMs: od.baseEjectionMs ?? D.DEFAULT_OUTLIER_BASE_EJECTION_MS,
      maxEjectionMs: od.maxEjectionMs ?? D.DEFAULT_OUTLIER_MAX_EJECTION_MS,
      maxEjectionPercent: od.maxEjectionPercent ?? D.DEFAULT_OUTLIER_MAX_EJECTION_PERCENT
    },
    sampling: {
      rate: s.rate ?? D.DEFAULT_SAMPLING_RATE,
      versions: { ...(s.versions ?? {}) },
      alwaysSampleErrors: s.alwaysSampleErrors ?? D.DEFAULT_SAMPLE_ERRORS,
      captureBodies: s.captureBodies ?? D.DEFAULT_CAPTURE_BODIES,
      maxBodyBytes: s.maxBodyBytes ?? D.DEFAULT_MAX_BODY_BYTES
    },
    outcomes: m.outcomes === undefined
      ? null
      : {
          ledger: m.outcomes.ledger ?? true,
          prediction: m.outcomes.prediction ?? null,
          label: m.outcomes.label ?? 'binary',
          threshold: m.outcomes.threshold ?? D.DEFAULT_OUTCOME_THRESHOLD
        },
    suites: suitesOf(name, m, file),
    labels: { ...(m.labels ?? {}) },
    segments: segmentsOf(name, m, file),
    tls: resolveUpstreamTls(`models.${name}.tls`, m.tls),
    redact: resolveRedact(m.redact)
  }
}

