/**
 * The immutable routing snapshot the data plane reads on every request. A state
 * change builds a new snapshot and swaps it in with one assignment; requests in
 * flight keep the snapshot they started with.
 */
import { layout, type BucketLayout } from './buckets.js'
import { releaseName, type RoutingState } from '../control/state.js'
import type { ResolvedModel } from '../config/load.js'
import type { Replica } from '../proxy/replica.js'

export interface VersionRoute {
  readonly name: string
  readonly model: string
  readonly replicas: readonly Replica[]
}

export interface ModelRoute {
  readonly name: string
  readonly cfg: ResolvedModel
  readonly versions: ReadonlyMap<string, VersionRoute>
  readonly layout: BucketLayout<VersionRoute>
  readonly seed: number
  readonly stable: VersionRoute
  /** Names the release in force, e.g. "v1>v2#3"; recorded with every sampled request. */
  readonly release: string
  /** Upstream paths, built once per snapshot instead of once per request. */
  readonly inferPath: string
  readonly metadataPath: string
}

export interface RoutingSnapshot {
  readonly revision: number
  readonly models: ReadonlyMap<string, ModelRoute>
}

export function buildSnapshot (
  state: RoutingState,
  configs: Readonly<Record<string, ResolvedModel>>,
  replicaFor: (url: string, model: ResolvedModel) => Replica
): RoutingSnapshot {
  const models = new Map<string, ModelRoute>()
  for (const [name, ms] of Object.entries(state.models)) {
    const cfg = configs[name]
    // A model the stored state knows but this instance's config does not is not served here.
    if (cfg === undefined) continue
    const versions = new Map<string, VersionRoute>()
    for (const [v, vs] of Object.entries(ms.versions)) {
      versions.set(v, { name: v, model: name, replicas: vs.replicas.map(u => replicaFor(u, cfg)) })
    }
    const resolve = (v: string): VersionRoute => {
      const route = versions.get(v)
      if (route === undefined) throw new RangeError(`model "${name}": split names unknown version "${v}"`)
      return route
    }
    const enc = encodeURIComponent(name)
    models.set(name, {
      name,
      cfg,
      versions,
      layout: layout(ms.split, resolve),
      seed: ms.seed,
      stable: resolve(ms.stable),
      release: releaseName(ms),
      inferPath: `/v2/models/${enc}/infer`,
      metadataPath: `/v2/models/${enc}`
    })
  }
  return { revision: state.revision, models }
}

/** Every replica URL a state names: the registry keeps these pools and closes the rest. */
export function replicaUrls (state: RoutingState): Set<string> {
  const urls = new Set<string>()
  for (const ms of Object.values(state.models)) {
    for (const vs of Object.values(ms.versions)) for (const u of vs.replicas) urls.add(u)
  }
  return urls
}
