/**
 * The gateway's configuration schema. One TypeBox schema is the source of both
 * the runtime check (unknown keys rejected everywhere) and the TypeScript types.
 */
import { MAX_REPLICAS } from '../state/names.js'
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { BasisPoints, HeaderName, Labels, Name, Port, PositiveMs, Rate, ReplicaUrl, Strict, TlsFilesSchema } from './schema-parts.js'
import { RolloutsSchema, SegmentsSchema, SuiteSchema, type PolicySchema, type TemplateSchema } from './release-schema.js'
import { AccessSchema, ListenerTlsSchema, RedactSchema, UpstreamTlsSchema } from './access-schema.js'

/** Where the version lives upstream when not at /v2/models/{model}: another model name and/or a numbered version. */
export const UpstreamSchema = Strict({
  model: Type.Optional(Name),
  version: Type.Optional(Name)
}, { minProperties: 1 })

/**
 * Replicas found by DNS (a Kubernetes headless Service answers with one A/AAAA
 * record per ready pod). Records carry no port, so every replica of the version
 * listens on `port`; each instance resolves for itself.
 */
export const DiscoverySchema = Strict({
  dns: Type.String({ pattern: '^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\\.?$' }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  scheme: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('https'), Type.Literal('grpc'), Type.Literal('grpcs')])),
  /** Base path of every replica, e.g. "/fraud" for http://ADDRESS:PORT/fraud. */
  path: Type.Optional(Type.String({ pattern: '^(/[^\\s]*)?$', maxLength: 512 })),
  /** Which record types to ask for: 4 (A), 6 (AAAA) or both (default). */
  family: Type.Optional(Type.Union([Type.Literal(4), Type.Literal(6), Type.Literal('any')]))
})

/** A version's replicas: static base URLs, a DNS name to follow, or both (the union is served). */
export const VersionSchema = Strict({
  replicas: Type.Optional(Type.Array(ReplicaUrl, { minItems: 1, maxItems: MAX_REPLICAS })),
  discovery: Type.Optional(DiscoverySchema),
  upstream: Type.Optional(UpstreamSchema)
})

export const ReleaseSchema = Strict({
  /** canary: stable + canary by weight; blue-green: active 100%, preview reachable only by explicit selection; split: any weights. */
  strategy: Type.Union([Type.Literal('canary'), Type.Literal('blue-green'), Type.Literal('split')]),
  stable: Type.Optional(Name),
  canary: Type.Optional(Name),
  /** Share of traffic for the canary, in basis points (10000 = 100%). */
  canaryWeight: Type.Optional(BasisPoints),
  active: Type.Optional(Name),
  preview: Type.Optional(Name),
  /** split: version -> basis points, summing to 10000. Order of keys is the order of bucket ranges. */
  weights: Type.Optional(Type.Record(Type.String(), BasisPoints)),
  /** Seed of the sticky hash. Default: derived from the model and the release's versions, so every instance agrees. */
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffffffff })),
  /** Refuse weight to a version without a passed verification (`model-gateway verify`); --force overrides. */
  requireVerification: Type.Optional(Type.Boolean()),
  /** The automated rollout plan used by `rollout start` without --plan; checked by gateway/release/plan.ts. */
  rollout: Type.Optional(Type.Unknown())
})

export const StickySchema = Strict({
  header: Type.Optional(HeaderName),
  cookie: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]{1,128}$' }))
})

export const TimeoutsSchema = Strict({
  connectMs: Type.Optional(PositiveMs),
  requestMs: Type.Optional(PositiveMs)
})

export const HealthCheckSchema = Strict({
  enabled: Type.Optional(Type.Boolean()),
  intervalMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
  timeoutMs: Type.Optional(PositiveMs),
  /** Fraction of the interval used as random jitter so replicas are not probed at the same instant. */
  jitter: Type.Optional(Rate),
  unhealthyThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  healthyThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  /** GET this path (default /v2/health/ready) ... */
  path: Type.Optional(Type.String({ pattern: '^/' })),
  /** ... or POST this scoring payload to the model's infer endpoint instead. */
  inferPayload: Type.Optional(Type.Unknown()),
  /** With inferPayload: the response body must contain this substring. */
  expectBodyContains: Type.Optional(Type.String({ maxLength: 1024 }))
})

export const OutlierSchema = Strict({
  enabled: Type.Optional(Type.Boolean()),
  consecutiveFailures: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  baseEjectionMs: Type.Optional(PositiveMs),
  maxEjectionMs: Type.Optional(PositiveMs),
  /** Never eject more than this share of a version's replicas (panic threshold). */
  maxEjectionPercent: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 }))
})

export const SamplingSchema = Strict({
  /** Share of requests recorded in full, 0..1. */
  rate: Type.Optional(Rate),
  /** Per-version override, e.g. a canary at 1.0 while stable is at 0.01. */
  versions: Type.Optional(Type.Record(Type.String(), Rate)),
  /** Record every error response regardless of the rate. */
  alwaysSampleErrors: Type.Optional(Type.Boolean()),
  /** Capture request and response bodies (truncated to maxBodyBytes). */
  captureBodies: Type.Optional(Type.Boolean()),
  maxBodyBytes: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_048_576 }))
})

/**
 * Outcomes of the model's requests (labels, business values) arriving later by
 * request id: the assignment ledger (every live request's version) and what
 * the intake accepts for this model.
 */
export const ModelOutcomesSchema = Strict({
  /** Record every live request's id, version, time and sticky bucket (default true). */
  ledger: Type.Optional(Type.Boolean()),
  /** Output tensor whose first element is stored on the ledger as the request's prediction. */
  prediction: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:/-]{1,128}$' })),
  /** What `label` means: binary (0/1, true/false) or numeric (a regression target). */
  label: Type.Optional(Type.Union([Type.Literal('binary'), Type.Literal('numeric')])),
  /** Binary labels: a prediction at or above it counts as 1 (accuracy). */
  threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 }))
})

export const ModelSchema = Strict({
  versions: Type.Record(Name, VersionSchema),
  release: ReleaseSchema,
  /** e.g. { tier: critical, team: fraud }: rollout policies and scoped admin tokens select models by them. */
  labels: Type.Optional(Labels),
  /**
   * Segments of users (a region, a platform): read from a header, a cookie or a
   * request parameter; rollouts judge each segment apart and may be limited to some.
   */
  segments: Type.Optional(SegmentsSchema),
  sticky: Type.Optional(StickySchema),
  /** Allow choosing a version with the x-model-version request header. */
  allowVersionHeader: Type.Optional(Type.Boolean()),
  /** When the chosen version has no healthy replica, serve the stable version instead. */
  fallbackToStable: Type.Optional(Type.Boolean()),
  timeouts: Type.Optional(TimeoutsSchema),
  bodyLimitBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 * 1024 * 1024 })),
  /** Largest response a replica may send; a larger one is cut and answered with 502. */
  maxResponseBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 * 1024 * 1024 })),
  /**
   * The model answers the same request the same way and has no side effects, so a
   * request whose connection dropped after it was sent may be sent again to another
   * replica. Off: only requests that never reached a replica are retried.
   */
  idempotent: Type.Optional(Type.Boolean()),
  /** Requests one replica may have in flight (and sockets open) at once. */
  maxConnectionsPerReplica: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  /** How long a request waits for a slot when its replica is at maxConnectionsPerReplica; then 503 GW_REPLICA_BUSY. */
  queueTimeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
  healthCheck: Type.Optional(HealthCheckSchema),
  outlierDetection: Type.Optional(OutlierSchema),
  sampling: Type.Optional(SamplingSchema),
  outcomes: Type.Optional(ModelOutcomesSchema),
  /** Named verification suites (`verify --suite`, a plan's verify steps, policies' required suites). */
  verification: Type.Optional(Strict({ suites: Type.Record(Name, SuiteSchema) })),
  /** TLS to the replicas (https:// URLs): CA, client certificate (docs/security.md). */
  tls: Type.Optional(UpstreamTlsSchema),
  /** Fields kept out of recorded request and response bodies (docs/security.md). */
  redact: Type.Optional(RedactSchema)
})

/** true: TLS with the system's CAs; false: plaintext; an object: TLS with these files. */
const TlsSetting = Type.Union([Type.Boolean(), TlsFilesSchema])

export const KafkaSaslSchema = Strict({
  mechanism: Type.Union([Type.Literal('plain'), Type.Literal('scram-sha-256'), Type.Literal('scram-sha-512')]),
  username: Type.String({ minLength: 1 }),
  /** Use ${ENV_VAR} to keep it out of the file. */
  password: Type.String()
})

export const AdminTokenSchema = Strict({
  name: Name,
  /** The token itself; use ${ENV_VAR} to keep it out of the file. */
  token: Type.String({ minLength: 16, maxLength: 512 }),
  /** read: GET only; release: GET and the rollout verbs in `actions`; admin: everything. */
  role: Type.Union([Type.Literal('admin'), Type.Literal('read'), Type.Literal('release')]),
  /** The rollout verbs this token may use (default: all three). */
  actions: Type.Optional(Type.Array(Type.Union([Type.Literal('start'), Type.Literal('approve'), Type.Literal('abort')]), { minItems: 1, maxItems: 3 })),
  /** Only these models may be changed with this token… */
  models: Type.Optional(Type.Array(Name, { minItems: 1, maxItems: 10_000 })),
  /** …or the models carrying all of these labels. */
  labels: Type.Optional(Labels)
})

export const ConfigSchema = Strict({
  gateway: Type.Optional(Strict({
    host: Type.Optional(Type.String()),
    port: Type.Optional(Port),
    instanceId: Type.Optional(Name),
    bodyLimitBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 * 1024 * 1024 })),
    shutdownTimeoutMs: Type.Optional(PositiveMs),
    /** On SIGTERM, keep serving this long with readiness false (a load balancer's deregistration delay). */
    drainDelayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    /** Reject JSON that does not parse before it reaches a model (costs one JSON.parse per request). */
    validateJson: Type.Optional(Type.Boolean()),
    /** Load shedding: 503 GW_OVERLOADED with Retry-After while the event loop lags or too many requests are in progress. */
    overload: Type.Optional(Strict({
      maxEventLoopDelayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
      maxInFlight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
      retryAfterS: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600 }))
    })),
    /** Serve the data plane over TLS (docs/security.md). */
    tls: Type.Optional(ListenerTlsSchema)
  })),
  /** The gRPC listener (Open Inference Protocol over gRPC); see docs/grpc.md. */
  grpc: Type.Optional(Strict({
    enabled: Type.Optional(Type.Boolean()),
    host: Type.Optional(Type.String()),
    port: Type.Optional(Port),
    /** Serve TLS instead of h2c: PEM files of the certificate chain and its key. */
    tls: Type.Optional(Strict({
      certFile: Type.String({ minLength: 1 }),
      keyFile: Type.String({ minLength: 1 })
    }))
  })),
  admin: Type.Optional(Strict({
    enabled: Type.Optional(Type.Boolean()),
    host: Type.Optional(Type.String()),
    port: Type.Optional(Port),
    tokens: Type.Optional(Type.Array(AdminTokenSchema, { maxItems: 64 })),
    /** Serve GET /metrics on the admin listener without a token. */
    metricsPublic: Type.Optional(Type.Boolean()),
    /** Serve the browser console at /console and keep the per-version series it draws. */
    console: Type.Optional(Type.Boolean()),
    /** Serve the admin API over TLS. */
    tls: Type.Optional(ListenerTlsSchema)
  })),
  /** How this instance resolves the DNS names of versions.<v>.discovery. */
  discovery: Type.Optional(Strict({
    /** DNS server "host" or "host:port" to ask instead of the system's (resolv.conf). */
    resolver: Type.Optional(Type.String({ pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f:.]+)(:[0-9]{1,5})?$' })),
    /** Never re-resolve sooner than this, however short the records' TTL. */
    minIntervalMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
    /** Re-resolve at least this often, however long the records' TTL; also the cap of the failure backoff. */
    maxIntervalMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
    /** One query's timeout; a query that times out counts as a failure. */
    timeoutMs: Type.Optional(PositiveMs)
  })),
  state: Type.Optional(Strict({
    store: Type.Optional(Type.Union([Type.Literal('memory'), Type.Literal('redis')])),
    /** memory store: keep the last state in this file so a restart resumes it. */
    file: Type.Optional(Type.String()),
    redisUrl: Type.Optional(Type.String()),
    /** Redis ACL user (default REDIS_USERNAME, else the default user). */
    redisUsername: Type.Optional(Type.String({ minLength: 1 })),
    /** Default REDIS_PASSWORD; use ${ENV_VAR} to keep it out of the file. */
    redisPassword: Type.Optional(Type.String()),
    /** TLS to Redis; a rediss:// URL turns it on with the system's CAs. */
    redisTls: Type.Optional(TlsSetting),
    keyPrefix: Type.Optional(Name),
    /** Reach Redis through Redis Sentinel (the primary it names, followed across failovers) instead of redisUrl. */
    sentinel: Type.Optional(Strict({
      /** The primary's name as the sentinels know it (`sentinel monitor <name> …`). */
      name: Type.String({ pattern: '^[A-Za-z0-9._-]{1,128}$' }),
      /** Sentinels as "host:port"; any one that answers is enough. */
      hosts: Type.Array(Type.String({ pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$' }), { minItems: 1, maxItems: 16 }),
      password: Type.Optional(Type.String({ maxLength: 512 })),
      sentinelPassword: Type.Optional(Type.String({ maxLength: 512 }))
    })),
    /** A write is acknowledged only once this many replicas have it (Redis WAIT), so a failover cannot lose it. */
    minReplicaAcks: Type.Optional(Type.Integer({ minimum: 0, maximum: 16 })),
    /** The durable record of the audit log and rollout decisions, read back when Redis has lost its copy. */
    controlLog: Type.Optional(Strict({
      /** Append every entry to this file (default for the memory store with state.file: <state.file>.control.ndjson). */
      file: Type.Optional(Type.String({ minLength: 1 })),
      /** Read the record back from ClickHouse's control_log (written through logging.sink kafka and the sink). */
      clickhouseUrl: Type.Optional(Type.String()),
      clickhouseDatabase: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' }))
    }))
  })),
  logging: Type.Optional(Strict({
    /** Where sampled records, rollups and health-check results go. */
    sink: Type.Optional(Type.Union([Type.Literal('off'), Type.Literal('file'), Type.Literal('kafka')])),
    file: Type.Optional(Type.String()),
    kafkaBrokers: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    /** TLS to the brokers (default KAFKA_TLS and KAFKA_TLS_*_FILE). */
    kafkaTls: Type.Optional(TlsSetting),
    /** SASL authentication (default KAFKA_SASL_MECHANISM, _USERNAME, _PASSWORD). */
    kafkaSasl: Type.Optional(KafkaSaslSchema),
    topicPrefix: Type.Optional(Name),
    bufferMaxRecords: Type.Optional(Type.Integer({ minimum: 1 })),
    bufferMaxBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
    flushIntervalMs: Type.Optional(PositiveMs),
    rollupFlushMs: Type.Optional(PositiveMs),
    /** Secret of the keyed hash that models' redact.hash fields get (use ${ENV_VAR}). */
    hashKey: Type.Optional(Type.String({ minLength: 16, maxLength: 1024 }))
  })),
  /** Mirrored (shadow) requests; see docs/operator-guide.md. */
  shadow: Type.Optional(Strict({
    /** Shadow calls in flight per instance at most; more are dropped and counted. */
    maxInFlight: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    /** Deadline of one shadow call (default: the model's timeouts.requestMs). */
    timeoutMs: Type.Optional(PositiveMs),
    /** Output bytes of each side kept in a shadow pair. */
    maxOutputBytes: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_048_576 })),
    /** Shadow calls pipelined on one connection at most (1: one per connection). */
    pipelining: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 }))
  })),
  /** The rollout controller every instance runs (gateway/release/). */
  rollouts: Type.Optional(RolloutsSchema),
  /** The outcome intake (POST /v2/models/{m}/outcomes): bounds of one request. */
  outcomes: Type.Optional(Strict({
    maxBodyBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024 })),
    maxItems: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    /** How long an intake request waits for the queue (Kafka acks from all in-sync replicas, or the file's fsync). */
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000 }))
  })),
  /** Data-plane API keys, JWTs, scopes and quotas (docs/security.md). Off by default. */
  access: Type.Optional(AccessSchema),
  models: Type.Record(Name, ModelSchema)
})

export type VersionConfig = Static<typeof VersionSchema>
export type DiscoveryConfig = Static<typeof DiscoverySchema>
export type ReleaseConfig = Static<typeof ReleaseSchema>
export type ModelConfig = Static<typeof ModelSchema>
export type HealthCheckConfig = Static<typeof HealthCheckSchema>
export type OutlierConfig = Static<typeof OutlierSchema>
export type SamplingConfig = Static<typeof SamplingSchema>
export type ModelOutcomesConfig = Static<typeof ModelOutcomesSchema>
export type SuiteConfig = Static<typeof SuiteSchema>
export type AdminToken = Static<typeof AdminTokenSchema>
export type TemplateConfig = Static<typeof TemplateSchema>
export type PolicyConfig = Static<typeof PolicySchema>
export type GatewayConfigFile = Static<typeof ConfigSchema>

export type { TSchema }
