/**
 * Holds the current routing snapshot and swaps it when the control plane applies
 * a new state, when this instance discovers other replicas, or when the config
 * is reloaded. The only mutable thing the data plane reads per request is
 * `router.snapshot`, a single reference.
 *
 * Rebuilds are incremental: a model whose stored state, config and discovered
 * replicas are unchanged keeps its route object, so one change among a thousand
 * models costs one route (bench/scale.ts).
 */
import { buildModelRoute, type ModelRoute, type RoutingSnapshot, type VersionRoute } from '../routing/snapshot.js'
import { sameModelState } from '../routing/same-state.js'
import { ReplicaRegistry, type Replica } from './replica.js'
import type { ModelState, RoutingState } from '../state/routing-state.js'
import type { ResolvedModel } from '../config/load.js'

/** The routing snapshot over this layer's replicas (with pools), as the data plane reads it. */
export type Snapshot = RoutingSnapshot<Replica>
export type Model = ModelRoute<Replica>
export type Version = VersionRoute<Replica>

interface Built {
  readonly ms: ModelState
  readonly cfg: ResolvedModel
  readonly discovered: ReadonlyMap<string, readonly string[]> | undefined
  readonly route: Model
}

export class Router {
  snapshot: Snapshot
  readonly registry = new ReplicaRegistry()
  #configs: Readonly<Record<string, ResolvedModel>>
  #state: RoutingState
  /** model -> version -> URLs this instance resolved; replaced per model, never mutated in place. */
  readonly #discovered = new Map<string, ReadonlyMap<string, readonly string[]>>()
  #built = new Map<string, Built>()
  /** How many version routes in force name each replica URL; a URL at 0 has its pool closed. */
  readonly #urlRefs = new Map<string, number>()
  #listeners: Array<(s: Snapshot) => void> = []

  constructor (configs: Readonly<Record<string, ResolvedModel>>, initial: RoutingState) {
    this.#configs = configs
    this.#state = initial
    this.snapshot = this.#build()
  }

  get configs (): Readonly<Record<string, ResolvedModel>> {
    return this.#configs
  }

  /** Applies a state if it is newer than the one in force. Returns whether it was applied. */
  apply (state: RoutingState): boolean {
    if (state.revision <= this.#state.revision) return false
    this.#state = state
    this.#swap()
    return true
  }

  /** Serves these model configs from now on (config reload); models they lack stop being served. */
  setConfigs (configs: Readonly<Record<string, ResolvedModel>>): void {
    this.#configs = configs
    this.#swap()
  }

  /**
   * The replicas this instance found for a version (DNS). They join the stored
   * ones in the snapshot; an unchanged list costs nothing.
   */
  setDiscovered (model: string, version: string, urls: readonly string[]): void {
    const old = this.#discovered.get(model)
    const prev = old?.get(version)
    if (prev !== undefined && prev.length === urls.length && prev.every((u, i) => u === urls[i])) return
    if (prev === undefined && urls.length === 0) return
    const next = new Map(old)
    if (urls.length === 0) next.delete(version)
    else next.set(version, [...urls])
    if (next.size === 0) this.#discovered.delete(model)
    else this.#discovered.set(model, next)
    this.#swap()
  }

  /** The replica URLs the routing state lists for a version (without what this instance discovered). */
  storedReplicas (model: string, version: string): string[] {
    return [...(this.#state.models[model]?.versions[version]?.replicas ?? [])]
  }

  /** Called after every snapshot swap (health checks follow the replica set this way). */
  onChange (listener: (s: Snapshot) => void): void {
    this.#listeners.push(listener)
  }

  replicas (): IterableIterator<Replica> {
    return this.registry.all()
  }

  close (): Promise<void> {
    return this.registry.closeAll()
  }

  #swap (): void {
    const before = this.#built
    this.snapshot = this.#build()
    // Only routes that were replaced or dropped give up replicas; pools of URLs no route
    // names any more close gracefully (requests in flight finish).
    const gone: string[] = []
    for (const [name, old] of before) {
      if (this.#built.get(name)?.route === old.route) continue
      for (const url of routeUrls(old.route)) {
        const n = this.#urlRefs.get(url)! - 1
        if (n > 0) this.#urlRefs.set(url, n)
        else {
          this.#urlRefs.delete(url)
          gone.push(url)
        }
      }
    }
    if (gone.length > 0) void this.registry.release(gone)
    for (const l of this.#listeners) l(this.snapshot)
  }

  #build (): Snapshot {
    const models = new Map<string, Model>()
    const built = new Map<string, Built>()
    const replicaFor = (url: string, cfg: ResolvedModel): Replica => this.registry.get(url, { connectTimeoutMs: cfg.connectTimeoutMs, maxConnections: cfg.maxConnectionsPerReplica, tls: cfg.tls })
    for (const [name, ms] of Object.entries(this.#state.models)) {
      const cfg = this.#configs[name]
      // A model the stored state knows but this instance's config does not is not served here.
      if (cfg === undefined) continue
      const discovered = this.#discovered.get(name)
      const old = this.#built.get(name)
      let b: Built
      if (old !== undefined && old.cfg === cfg && old.discovered === discovered && (old.ms === ms || sameModelState(old.ms, ms))) {
        b = old.ms === ms ? old : { ...old, ms }
      } else {
        b = { ms, cfg, discovered, route: buildModelRoute(name, ms, cfg, replicaFor, discovered) }
        for (const url of routeUrls(b.route)) this.#urlRefs.set(url, (this.#urlRefs.get(url) ?? 0) + 1)
      }
      built.set(name, b)
      models.set(name, b.route)
    }
    this.#built = built
    return { revision: this.#state.revision, models }
  }
}

/** The replica URLs of one model route, once per version that names them. */
function * routeUrls (route: Model): Generator<string> {
  for (const v of route.versions.values()) for (const r of v.replicas) yield r.url
}
