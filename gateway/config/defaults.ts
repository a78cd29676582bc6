/** Named defaults. Every option documented in the README takes its default from here. */
export const DEFAULT_HOST = '127.0.0.1'
/** What the gateway answers as its name (REST GET /v2, gRPC ServerMetadata); the version is package.json's (version.ts). */
export const GATEWAY_NAME = 'model-gateway'
export const DEFAULT_PORT = 8080
export const DEFAULT_ADMIN_PORT = 8081
/** The gRPC listener (inference.GRPCInferenceService), when grpc.enabled. */
export const DEFAULT_GRPC_PORT = 8082
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024
/** Largest model response the gateway buffers before it answers 502. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
/** Per replica: far above what one model process serves at once, low enough to stop a stampede of sockets. */
export const DEFAULT_MAX_CONNECTIONS_PER_REPLICA = 128
export const DEFAULT_QUEUE_TIMEOUT_MS = 1_000
export const DEFAULT_CONNECT_TIMEOUT_MS = 1_000
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000
export const DEFAULT_DRAIN_DELAY_MS = 0
/** The browser console on the admin listener. */
export const DEFAULT_CONSOLE = true
/** Load shedding is off unless configured (gateway.overload), as in @fastify/under-pressure and Envoy. */
export const DEFAULT_OVERLOAD_MAX_EVENT_LOOP_DELAY_MS = 0
export const DEFAULT_OVERLOAD_MAX_IN_FLIGHT = 0
export const DEFAULT_OVERLOAD_RETRY_AFTER_S = 1
export const DEFAULT_METRICS_PUBLIC = false
export const DEFAULT_VALIDATE_JSON = true
export const DEFAULT_ALLOW_VERSION_HEADER = false
export const DEFAULT_FALLBACK_TO_STABLE = false

export const DEFAULT_HEALTH_INTERVAL_MS = 60_000
export const DEFAULT_HEALTH_TIMEOUT_MS = 2_000
export const DEFAULT_HEALTH_JITTER = 0.1
export const DEFAULT_UNHEALTHY_THRESHOLD = 2
export const DEFAULT_HEALTHY_THRESHOLD = 1
export const DEFAULT_HEALTH_PATH = '/v2/health/ready'

export const DEFAULT_OUTLIER_CONSECUTIVE_FAILURES = 5
export const DEFAULT_OUTLIER_BASE_EJECTION_MS = 30_000
export const DEFAULT_OUTLIER_MAX_EJECTION_MS = 300_000
export const DEFAULT_OUTLIER_MAX_EJECTION_PERCENT = 50

export const DEFAULT_SAMPLING_RATE = 0.01
export const DEFAULT_SAMPLE_ERRORS = true
export const DEFAULT_CAPTURE_BODIES = true
export const DEFAULT_MAX_BODY_BYTES = 4096

/** DNS discovery: re-resolve after the records' TTL, but within these bounds (Kubernetes DNS answers with TTL 30 or 5). */
export const DEFAULT_DISCOVERY_MIN_INTERVAL_MS = 1_000
export const DEFAULT_DISCOVERY_MAX_INTERVAL_MS = 30_000
export const DEFAULT_DISCOVERY_TIMEOUT_MS = 2_000

export const DEFAULT_STATE_KEY_PREFIX = 'model-gateway'
/** Replicas that must confirm a state write before it is acknowledged; 0: the primary's answer is enough (one Redis, no replicas). */
export const DEFAULT_MIN_REPLICA_ACKS = 0
export const DEFAULT_TOPIC_PREFIX = 'model-gateway'
export const DEFAULT_BUFFER_MAX_RECORDS = 50_000
export const DEFAULT_BUFFER_MAX_BYTES = 64 * 1024 * 1024
export const DEFAULT_FLUSH_INTERVAL_MS = 1_000
export const DEFAULT_ROLLUP_FLUSH_MS = 5_000

/** Shadow calls in flight per gateway instance at most; beyond it a mirror is dropped and counted. */
export const DEFAULT_SHADOW_MAX_IN_FLIGHT = 64
/** Bytes of each output kept in a shadow pair. */
export const DEFAULT_SHADOW_MAX_OUTPUT_BYTES = 4096
/**
 * Mirrored requests in flight on one shadow connection at most (HTTP/1.1
 * pipelining; proxy/mirror-pool.ts). 1: one per connection, on the live pool.
 */
export const DEFAULT_SHADOW_PIPELINING = 1
/** Header on every mirrored request, so a model can tell shadow traffic apart. */
export const SHADOW_HEADER = 'x-gateway-shadow'
export const DEFAULT_ROLLOUT_TICK_MS = 1_000
export const DEFAULT_ROLLOUT_LEASE_TTL_MS = 10_000
export const DEFAULT_ROLLOUT_STALE_AFTER_MS = 60_000
/** How long a promotion keeps the previous version held back (rollback returns to it, retire refuses it). */
export const DEFAULT_HOLDBACK_MS = 24 * 3_600_000
/** A rollback drill passes when every instance applied the rollback within this long of its write. */
export const DEFAULT_DRILL_BOUND_MS = 10_000
/** The drill copy's canary weight (1%). */
export const DEFAULT_DRILL_WEIGHT = 100

/** The outcome intake: one request's bounds, and how long it waits for the queue to confirm. */
export const DEFAULT_OUTCOMES_MAX_BODY_BYTES = 4 * 1024 * 1024
export const DEFAULT_OUTCOMES_MAX_ITEMS = 50_000
export const DEFAULT_OUTCOMES_TIMEOUT_MS = 10_000
export const DEFAULT_OUTCOME_THRESHOLD = 0.5

/** Header that names the version which served a response, and selects one when allowed. */
export const VERSION_HEADER = 'x-model-version'
export const REQUEST_ID_HEADER = 'x-request-id'
/** Header set when a response came from the stable version because the chosen one had no healthy replica. */
export const FALLBACK_HEADER = 'x-model-fallback'
/** `batch` marks a batch job's requests, which the scoring logs and the release analysis keep apart from live traffic. */
export const TRAFFIC_HEADER = 'x-gateway-traffic'
