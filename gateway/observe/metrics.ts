/**
 * Prometheus metrics on an injected prom-client Registry (other components
 * register theirs on the same one). Label values are bounded: model and version
 * labels only for names in the routing snapshot ("unknown" otherwise), replica
 * labels only for configured replica URLs; no request ids, no user keys.
 *
 * The request observer runs once per request: it finds the cells of its
 * (model, version) in nested maps and updates plain numbers (metric-cells.ts);
 * samples are built at scrape time. Gauges that mirror replica state (in flight,
 * healthy, ejected) are read from the snapshot at scrape time too. Rare events
 * (fallbacks, ejections) use prom-client's metrics directly; health-check
 * results, 200 a second at 12,000 replicas, have cells of their own (check-metrics.ts).
 */
import { Counter, Gauge, collectDefaultMetrics, type Registry } from 'prom-client'
import type { RequestObserver, RequestOutcome } from './outcome.js'
import type { HealthCheckResult, HealthResultSink } from '../health/result.js'
import type { EjectionEvent } from '../health/outlier.js'
import type { Router } from '../proxy/router.js'
import { HistogramCell, histogramSamples, registerCollected, type Sample } from './metric-cells.js'
import { CheckDurationCells } from './check-metrics.js'

export const METRICS_PREFIX = 'model_gateway_'
const UNKNOWN = 'unknown'
/** Seconds; from sub-millisecond proxying to the default 10 s request timeout. */
export const DURATION_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
/** Index i counts statuses i00–i99; index 0 counts answers without a valid status. */
export const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'] as const
/** Refusals of data-plane access control, counted by model, application and code. */
const REFUSALS: ReadonlySet<string> = new Set(['GW_UNAUTHORIZED', 'GW_FORBIDDEN', 'GW_RATE_LIMITED'])

/** What has been counted for one (model, version) label pair since the process started. */
export interface VersionCounts {
  /** Answers by status class (STATUS_CLASSES). */
  readonly requests: Float64Array
  readonly duration: HistogramCell
}

/** Everything counted per request for one (model, version) label pair. */
class VersionStats implements VersionCounts {
  readonly requests = new Float64Array(STATUS_CLASSES.length)
  readonly duration = new HistogramCell(DURATION_BUCKETS)
  readonly upstream = new HistogramCell(DURATION_BUCKETS)
  constructor (readonly model: string, readonly version: string) {}
}

export class GatewayMetrics implements RequestObserver, HealthResultSink {
  readonly #router: Router
  readonly #fallback: Counter<'model' | 'from' | 'to'>
  readonly #refused: Counter<'model' | 'application' | 'code'>
  readonly #ejections: Counter<'model' | 'version' | 'replica'>
  readonly #checkDuration: CheckDurationCells
  /** Every label pair ever counted, so counters never go backwards when a snapshot drops a version. */
  readonly #stats = new Map<string, VersionStats>()
  /** model -> version -> stats, only for names in the current snapshot; rebuilt lazily after a change. */
  #cache = new Map<string, Map<string, VersionStats>>()

  constructor (registry: Registry, router: Router) {
    this.#router = router
    const registers = [registry]
    const stats = this.#stats
    registerCollected(registry, `${METRICS_PREFIX}requests_total`, 'Requests answered, by model, serving version and HTTP status class', 'counter', () => {
      const out: Sample[] = []
      for (const s of stats.values()) {
        for (let c = 0; c < STATUS_CLASSES.length; c++) {
          if (s.requests[c] !== 0) out.push({ labels: { model: s.model, version: s.version, status_class: STATUS_CLASSES[c]! }, value: s.requests[c]! })
        }
      }
      return out
    }, () => { for (const s of stats.values()) s.requests.fill(0) })
    const histogram = (name: string, help: string, cell: (s: VersionStats) => HistogramCell): void => {
      const full = `${METRICS_PREFIX}${name}`
      registerCollected(registry, full, help, 'histogram', () => {
        const out: Sample[] = []
        for (const s of stats.values()) {
          const h = cell(s)
          if (h.count !== 0) histogramSamples(full, { model: s.model, version: s.version }, h, out)
        }
        return out
      }, () => { for (const s of stats.values()) cell(s).reset() })
    }
    histogram('request_duration_seconds', 'Time from request arrival to response, in the gateway', s => s.duration)
    histogram('upstream_duration_seconds', 'Time waiting on the replica (including one retry), for requests that reached one', s => s.upstream)

    this.#fallback = new Counter({ name: `${METRICS_PREFIX}fallback_total`, help: 'Requests served by the stable version because the chosen version had no healthy replica', labelNames: ['model', 'from', 'to'], registers })
    this.#refused = new Counter({ name: `${METRICS_PREFIX}requests_refused_total`, help: 'Requests refused by access control: 401 (no or bad credential), 403 (out of scope), 429 (over quota), by model, application and code', labelNames: ['model', 'application', 'code'], registers })
    this.#ejections = new Counter({ name: `${METRICS_PREFIX}replica_ejections_total`, help: 'Passive outlier ejections', labelNames: ['model', 'version', 'replica'], registers })
    this.#checkDuration = new CheckDurationCells(registry, `${METRICS_PREFIX}health_check_duration_seconds`, 'Active health-check latency, by result (ok | fail)', DURATION_BUCKETS)

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
    // A new snapshot may drop versions; names are checked again against it.
    router.onChange(() => { this.#cache = new Map() })
  }

  observe (o: RequestOutcome): void {
    const s = this.#cache.get(o.model)?.get(o.version ?? '') ?? this.#resolve(o.model, o.version)
    s.requests[o.status >= 100 && o.status < 600 ? (o.status / 100) | 0 : 0]!++
    s.duration.observe(o.totalMs / 1000)
    if (o.upstreamMs > 0) s.upstream.observe(o.upstreamMs / 1000)
    if (o.fallback) this.#fallback.labels(s.model, this.#versionLabel(o.model, o.fallbackFrom ?? null), s.version).inc()
    // Application names are bounded: registered applications only ('' for a caller not known).
    if (o.errorCode !== null && REFUSALS.has(o.errorCode)) this.#refused.labels(s.model, o.application ?? '', o.errorCode).inc()
  }

  /**
   * The running totals of a (model, version) pair, undefined before its first
   * request: for readers that sample them off the request path (the console's
   * series), so they add nothing per request.
   */
  counted (model: string, version: string): VersionCounts | undefined {
    return this.#stats.get(`${model}\u0000${version}`)
  }

  /** Health-check results (a HealthResultSink). */
  record (r: HealthCheckResult): void {
    this.#checkDuration.observe(r.model, r.version, r.ok, r.latencyMs / 1000)
  }

  ejected (e: EjectionEvent): void {
    this.#ejections.labels(e.model, e.version, e.replica.url).inc()
  }

  #versionLabel (model: string, version: string | null): string {
    return version !== null && this.#router.snapshot.models.get(model)?.versions.has(version) === true ? version : UNKNOWN
  }

  /** Cache miss: names in the snapshot get their own cells; anything else shares the "unknown" ones. */
  #resolve (model: string, version: string | null): VersionStats {
    const route = this.#router.snapshot.models.get(model)
    if (route === undefined) return this.#statsFor(UNKNOWN, UNKNOWN)
    let byVersion = this.#cache.get(model)
    if (byVersion === undefined) {
      byVersion = new Map()
      this.#cache.set(model, byVersion)
    }
    const known = version !== null && route.versions.has(version)
    const s = this.#statsFor(model, known ? version : UNKNOWN)
    // Cached under the raw key only when that key is bounded: a known version, or none ('').
    if (known) byVersion.set(version, s)
    else if (version === null) byVersion.set('', s)
    return s
  }

  #statsFor (model: string, version: string): VersionStats {
    const key = `${model}\u0000${version}`
    let s = this.#stats.get(key)
    if (s === undefined) {
      s = new VersionStats(model, version)
      this.#stats.set(key, s)
    }
    return s
  }
}
