/**
 * Holds the current routing snapshot and swaps it when the control plane applies
 * a new state. The only mutable thing the data plane reads per request is
 * `router.snapshot`, a single reference.
 */
import { buildSnapshot, replicaUrls, type RoutingSnapshot } from './snapshot.js'
import { ReplicaRegistry, type Replica } from '../proxy/replica.js'
import type { RoutingState } from '../control/state.js'
import type { ResolvedModel } from '../config/load.js'

export class Router {
  snapshot: RoutingSnapshot
  readonly registry = new ReplicaRegistry()
  readonly #configs: Readonly<Record<string, ResolvedModel>>
  #listeners: Array<(s: RoutingSnapshot) => void> = []

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
  onChange (listener: (s: RoutingSnapshot) => void): void {
    this.#listeners.push(listener)
  }

  replicas (): IterableIterator<Replica> {
    return this.registry.all()
  }

  close (): Promise<void> {
    return this.registry.closeAll()
  }

  #build (state: RoutingState): RoutingSnapshot {
    return buildSnapshot(state, this.#configs, (url, cfg) => this.registry.get(url, { connectTimeoutMs: cfg.connectTimeoutMs }))
  }
}
