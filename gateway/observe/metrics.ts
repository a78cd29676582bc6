/**
 * Prometheus metrics on an injected prom-client Registry (other components
 * register theirs on the same one). Label values are bounded: model and version
 * labels only for names in the routing snapshot ("unknown" otherwise), replica
 * labels only for configured replica URLs; no request ids, no user keys.
 *
 * The request observer runs once per request, so it keeps the labelled children
 * (`counter.labels(...)`) in nested maps instead of letting prom-client hash a
 * label object on every call. Gauges that mirror replica state (in flight,
 * healthy, ejected) are read from the snapshot at scrape time, not per request.
 */
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client'
import type { RequestObserver, RequestOutcome } from './outcome.js'
import type { HealthCheckResult, HealthResultSink } from '../health/result.js'
import type { EjectionEvent } from '../health/outlier.js'
import type { Router } from '../routing/router.js'
import type { AdminModule } from '../server/admin-plane.js'

export const METRICS_PREFIX = 'model_gateway_'
const UNKNOWN = 'unknown'
/** Seconds; from sub-millisecond proxying to the default 10 s request timeout. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'] as const

interface VersionChildren {
  readonly model: string
  readonly version: string
  /** Indexed by status / 100; filled on first use. */
  readonly requests: Array<Counter.Internal | undefined>
  readonly duration: Histogram.Internal<'model' | 'version'>
  readonly upstream: Histogram.Internal<'model' | 'version'>
}

export class GatewayMetrics implements RequestObserver, HealthResultSink {
  readonly #router: Router
  readonly #requests: Counter<'model' | 'version' | 'status_class'>
  readonly #duration: Histogram<'model' | 'version'>
  readonly #upstream: Histogram<'model' | 'version'>
  readonly #fallback: Counter<'model' | 'from' | 'to'>
  readonly #ejections: Counter<'model' | 'version' | 'replica'>
  readonly #checkDuration: Histogram<'model' | 'version' | 'result'>
  /** model -> version -> children, only for names in the current snapshot. */
  #cache = new Map<string, Map<string, VersionChildren>>()
  #unknown: VersionChildren | undefined

  constructor (registry: Registry, router: Router) {
    this.#router = router
    const registers = [registry]
    this.#requests = new Counter({ name: `${METRICS_PREFIX}requests_total`, help: 'Requests answered, by model, serving version and HTTP status class', labelNames: ['model', 'version', 'status_class'], registers })
    this.#duration = new Histogram({ name: `${METRICS_PREFIX}request_duration_seconds`, help: 'Time from request arrival to response, in the gateway', labelNames: ['model', 'version'], buckets: DURATION_BUCKETS, registers })
    this.#upstream = new Histogram({ name: `${METRICS_PREFIX}upstream_duration_seconds`, help: 'Time waiting on the replica (including one retry), for requests that reached one', labelNames: ['model', 'version'], buckets: DURATION_BUCKETS, registers })
    this.#fallback = new Counter({ name: `${METRICS_PREFIX}fallback_total`, help: 'Requests served by the stable version because the chosen version had no healthy replica', labelNames: ['model', 'from', 'to'], registers })
    this.#ejections = new Counter({ name: `${METRICS_PREFIX}replica_ejections_total`, help: 'Passive outlier ejections', labelNames: ['model', 'version', 'replica'], registers })
    this.#checkDuration = new Histogram({ name: `${METRICS_PREFIX}health_check_duration_seconds`, help: 'Active health-check latency, by result (ok | fail)', labelNames: ['model', 'version', 'result'], buckets: DURATION_BUCKETS, registers })

    const snapshot = (): Router['snapshot'] => this.#router.snapshot
    new Gauge({
      name: `${METRICS_PREFIX}requests_in_flight`,
      help: 'Requests waiting on a replica, by model and version (read at scrape time)',
      labelNames: ['model', 'version'],
      registers,
      collect () {
        this.reset()
        for (const [m, route] of snapshot().models) {
          for (const [v, vr] of route.versions) {
            let n = 0
            for (const r of vr.replicas) n += r.inflight
            this.labels(m, v).set(n)
          }
        }
      }
    })
    const replicaGauge = (name: string, help: string, read: (r: { healthy: boolean, ejected: boolean }) => boolean): void => {
      new Gauge({
        name: `${METRICS_PREFIX}${name}`,
        help,
        labelNames: ['model', 'version', 'replica'],
        registers,
        collect () {
          this.reset()
          for (const [m, route] of snapshot().models) {
            for (const [v, vr] of route.versions) {
              for (const r of vr.replicas) this.labels(m, v, r.url).set(read(r) ? 1 : 0)
            }
          }
        }
      })
    }
    replicaGauge('replica_healthy', '1 when the replica passes its active health checks', r => r.healthy)
    replicaGauge('replica_ejected', '1 while the replica is ejected by passive outlier detection', r => r.ejected)

    collectDefaultMetrics({ register: registry, prefix: METRICS_PREFIX })
    // A new snapshot may drop versions; children are looked up again against it.
    router.onChange(() => { this.#cache = new Map() })
  }

  observe (o: RequestOutcome): void {
    const c = this.#cache.get(o.model)?.get(o.version ?? '') ?? this.#resolve(o.model, o.version)
    const cls = o.status >= 100 && o.status < 600 ? (o.status / 100) | 0 : 0
    let counter = c.requests[cls]
    if (counter === undefined) {
      counter = this.#requests.labels(c.model, c.version, STATUS_CLASSES[cls]!)
      c.requests[cls] = counter
    }
    counter.inc()
    c.duration.observe(o.totalMs / 1000)
    if (o.upstreamMs > 0) c.upstream.observe(o.upstreamMs / 1000)
    if (o.fallback) this.#fallback.labels(c.model, this.#versionLabel(o.model, o.fallbackFrom ?? null), c.version).inc()
  }

  /** Health-check results (a HealthResultSink). */
  record (r: HealthCheckResult): void {
    this.#checkDuration.labels(r.model, r.version, r.ok ? 'ok' : 'fail').observe(r.latencyMs / 1000)
  }

  ejected (e: EjectionEvent): void {
    this.#ejections.labels(e.model, e.version, e.replica.url).inc()
  }

  #versionLabel (model: string, version: string | null): string {
    return version !== null && this.#router.snapshot.models.get(model)?.versions.has(version) === true ? version : UNKNOWN
  }

  /** Cache miss: known names get cached children; anything else shares the "unknown" ones. */
  #resolve (model: string, version: string | null): VersionChildren {
    const route = this.#router.snapshot.models.get(model)
    if (route === undefined) {
      this.#unknown ??= this.#children(UNKNOWN, UNKNOWN)
      return this.#unknown
    }
    let byVersion = this.#cache.get(model)
    if (byVersion === undefined) {
      byVersion = new Map()
      this.#cache.set(model, byVersion)
    }
    const known = version !== null && route.versions.has(version)
    const label = known ? version : UNKNOWN
    let c = byVersion.get(label)
    if (c === undefined) {
      c = this.#children(model, label)
      byVersion.set(label, c)
    }
    // Cached under the raw key only when bounded: a known version, or no version ('').
    if (version === null) byVersion.set('', c)
    return c
  }

  #children (model: string, version: string): VersionChildren {
    return {
      model,
      version,
      requests: [],
      duration: this.#duration.labels(model, version),
      upstream: this.#upstream.labels(model, version)
    }
  }
}

/** GET /metrics on the admin listener: role "read", or public when admin.metricsPublic is set. */
export function metricsAdminModule (registry: Registry, isPublic: boolean): AdminModule {
  return (app) => {
    app.get('/metrics', { config: { role: isPublic ? 'public' : 'read' } }, async (_request, reply) => {
      const body = await registry.metrics()
      return reply.header('content-type', registry.contentType).send(body)
    })
  }
}
