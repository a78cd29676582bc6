/**
 * Replica discovery for this instance: one DnsWatcher per version whose config
 * names a DNS name, feeding what it finds into the router as an overlay on the
 * stored state (Router.setDiscovered), so a change swaps the snapshot like any
 * other. Addresses stay in this process: every gateway resolves for itself and
 * nothing discovered is written to the shared state.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Logger } from '../observe/log.js'
import type { GatewayConfig, ResolvedModel } from '../config/load.js'
import type { Router } from '../proxy/router.js'
import { METRICS_PREFIX } from '../observe/metrics.js'
import { DnsLookup } from './dns.js'
import { DnsWatcher, type WatcherStatus } from './watcher.js'

export interface DiscoveryRow extends WatcherStatus {
  model: string
  version: string
}

export interface ReplicaDiscoveryOptions {
  router: Router
  settings: GatewayConfig['discovery']
  logger: Logger
  registry: Registry
}

interface Entry {
  readonly model: string
  readonly version: string
  readonly key: string
  readonly watcher: DnsWatcher
}

export class ReplicaDiscovery {
  readonly #router: Router
  readonly #logger: Logger
  readonly #lookup: DnsLookup
  readonly #settings: GatewayConfig['discovery']
  readonly #entries = new Map<string, Entry>()
  readonly #failures: Counter<'model' | 'version' | 'reason'>
  readonly #changes: Counter<'model' | 'version'>

  constructor (opts: ReplicaDiscoveryOptions) {
    this.#router = opts.router
    this.#settings = opts.settings
    this.#logger = opts.logger.child({ component: 'discovery' })
    this.#lookup = new DnsLookup({ server: opts.settings.resolver, timeoutMs: opts.settings.timeoutMs })
    const registers = [opts.registry]
    this.#failures = new Counter({ name: `${METRICS_PREFIX}discovery_failures_total`, help: 'DNS lookups of a version\'s name that failed (the last good replica set is kept)', labelNames: ['model', 'version', 'reason'], registers })
    this.#changes = new Counter({ name: `${METRICS_PREFIX}discovery_changes_total`, help: 'Times the replica set found by DNS changed', labelNames: ['model', 'version'], registers })
    const entries = this.#entries
    new Gauge({
      name: `${METRICS_PREFIX}discovery_replicas`,
      help: 'Replicas the last good DNS answer named, by model and version',
      labelNames: ['model', 'version'],
      registers,
      collect () {
        this.reset()
        for (const e of entries.values()) this.labels(e.model, e.version).set(e.watcher.status().replicas.length)
      }
    })
  }

  /** Follows the DNS names these configs declare: new ones start, changed ones restart, removed ones stop. */
  sync (configs: Readonly<Record<string, ResolvedModel>>): void {
    const keep = new Set<string>()
    for (const [model, cfg] of Object.entries(configs)) {
      for (const [version, spec] of Object.entries(cfg.discovery)) {
        const key = `${model}\u0000${version}`
        keep.add(key)
        const old = this.#entries.get(key)
        if (old !== undefined && JSON.stringify(old.watcher.spec) === JSON.stringify(spec)) continue
        if (old !== undefined) old.watcher.close()
        const watcher = new DnsWatcher(spec, this.#lookup, this.#settings, {
          changed: (urls) => {
            this.#changes.labels(model, version).inc()
            this.#logger.info({ model, version, dns: spec.dns, replicas: urls }, 'replicas found by DNS changed')
            this.#router.setDiscovered(model, version, urls)
          },
          failed: (err, failures) => {
            this.#failures.labels(model, version, err.reason).inc()
            const kept = watcher.status().replicas.length
            this.#logger.warn({ model, version, dns: spec.dns, reason: err.reason, consecutiveFailures: failures, keptReplicas: kept }, `DNS discovery failed: ${err.message}; keeping the last good replica set`)
          }
        })
        this.#entries.set(key, { model, version, key, watcher })
        watcher.start()
      }
    }
    for (const [key, e] of this.#entries) {
      if (keep.has(key)) continue
      e.watcher.close()
      this.#entries.delete(key)
      this.#router.setDiscovered(e.model, e.version, [])
    }
  }

  /** Resolves every name now (admin API, tests). */
  async refreshAll (): Promise<void> {
    await Promise.all([...this.#entries.values()].map(e => e.watcher.refresh()))
  }

  status (): DiscoveryRow[] {
    return [...this.#entries.values()].map(e => ({ model: e.model, version: e.version, ...e.watcher.status() }))
  }

  close (): void {
    for (const e of this.#entries.values()) e.watcher.close()
    this.#entries.clear()
    this.#lookup.cancel()
  }
}
