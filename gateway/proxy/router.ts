/**
 * Holds the current routing snapshot and swaps it when the control plane applies
 * a new state. The only mutable thing the data plane reads per request is
 * `router.snapshot`, a single reference.
 */
import { buildSnapshot, replicaUrls, type ModelRoute, type RoutingSnapshot, type VersionRoute } from '../routing/snapshot.js'
import { ReplicaRegistry, type Replica } from './replica.js'
import type { RoutingState } from '../state/routing-state.js'
import type { ResolvedModel } from '../config/load.js'

/** The routing snapshot over this layer's replicas (with pools), as the data plane reads it. */
export type Snapshot = RoutingSnapshot<Replica>
export type Model = ModelRoute<Replica>
export type Version = VersionRoute<Replica>

export class Router {
  snapshot: Snapshot
  readonly registry = new ReplicaRegistry()
  readonly #configs: Readonly<Record<string, ResolvedModel>>
  #listeners: Array<(s: Snapshot) => void> = []

  constructor (configs: Readonly<Record<string, ResolvedModel>>, initial: RoutingState) {
    this.#configs = configs
    this.snapshot = this.#build(initial)
  }

  /** Applies a state if it is newer than the one in force. Returns whether it was applied. */
  apply (state: RoutingState): boolean {
    if (state.revision <= this.snapshot.revision) return false
    this.snapshot = this.#build(state)
    void this.registry.retain(replicaUrls(state))
    for (const l of this.#listeners) l(this.snapshot)
    return true
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

  #build (state: RoutingState): Snapshot {
    return buildSnapshot(state, this.#configs, (url, cfg) => this.registry.get(url, { connectTimeoutMs: cfg.connectTimeoutMs, maxConnections: cfg.maxConnectionsPerReplica }))
  }
}
