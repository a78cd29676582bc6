/**
 * The immutable routing snapshot the data plane reads on every request. A state
 * change builds a new snapshot and swaps it in with one assignment; requests in
 * flight keep the snapshot they started with. Generic over the replica type so
 * routing stays free of pools and I/O: the proxy layer supplies its replicas.
 */
import { layout, type BucketLayout } from './buckets.js'
import type { SegmentLimit } from './select-version.js'
import { releaseName, type ModelState, type RoutingState, type UpstreamName } from '../state/routing-state.js'
import { transportOf, type Transport } from '../state/names.js'
import type { ResolvedModel } from '../config/load.js'

export interface VersionRoute<R = unknown> {
  readonly name: string
  readonly model: string
  /** Every replica, whatever its transport. */
  readonly replicas: readonly R[]
  /** The replicas a request of each transport is sent to (REST: http(s) URLs, gRPC: grpc(s) URLs). */
  readonly byTransport: Readonly<Record<Transport, readonly R[]>>
  /** The model name and version the replicas serve it under ('' for the version: the server's default). */
  readonly upstreamModel: string
  readonly upstreamVersion: string
  /**
   * Upstream paths, built once per snapshot instead of once per request. A version
   * may live upstream under another model name and/or as a numbered version
   * (`/v2/models/{name}/versions/{n}/…`, one server hosting several versions).
   */
  readonly inferPath: string
  readonly metadataPath: string
  readonly readyPath: string
  /** True when the version names its upstream model or version explicitly. */
  readonly mapped: boolean
}

export interface ModelRoute<R = unknown> {
  readonly name: string
  readonly cfg: ResolvedModel
  readonly versions: ReadonlyMap<string, VersionRoute<R>>
  readonly layout: BucketLayout<VersionRoute<R>>
  readonly seed: number
  readonly stable: VersionRoute<R>
  /** Names the release in force, e.g. "v1>v2#3"; recorded with every sampled request. */
  readonly release: string
  /** The canary limited to some segments (ModelState.canarySegments), or null. */
  readonly limit: SegmentLimit<VersionRoute<R>> | null
}

export interface RoutingSnapshot<R = unknown> {
  readonly revision: number
  readonly models: ReadonlyMap<string, ModelRoute<R>>
}

/** Upstream path prefix of a version: `/v2/models/{model}` or `/v2/models/{model}/versions/{n}`. */
export function upstreamBase (model: string, upstream: UpstreamName | undefined): string {
  const base = `/v2/models/${encodeURIComponent(upstream?.model ?? model)}`
  return upstream?.version === undefined ? base : `${base}/versions/${encodeURIComponent(upstream.version)}`
}

/** Replica URLs an instance found for itself (DNS discovery), by model then version; never part of the stored state. */
export type DiscoveredReplicas = ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>

const NONE: readonly string[] = []

export function buildSnapshot<R> (
  state: RoutingState,
  configs: Readonly<Record<string, ResolvedModel>>,
  replicaFor: (url: string, model: ResolvedModel) => R,
  discovered: DiscoveredReplicas = new Map()
): RoutingSnapshot<R> {
  const models = new Map<string, ModelRoute<R>>()
  for (const [name, ms] of Object.entries(state.models)) {
    const cfg = configs[name]
    // A model the stored state knows but this instance's config does not is not served here.
    if (cfg === undefined) continue
    models.set(name, buildModelRoute(name, ms, cfg, replicaFor, discovered.get(name)))
  }
  return { revision: state.revision, models }
}

/**
 * One model's route: the stored replicas of each version plus the ones this
 * instance discovered (deduplicated, stored ones first). Built alone so a change
 * to one model of a thousand rebuilds one route.
 */
export function buildModelRoute<R> (
  name: string,
  ms: ModelState,
  cfg: ResolvedModel,
  replicaFor: (url: string, model: ResolvedModel) => R,
  discovered: ReadonlyMap<string, readonly string[]> | undefined
): ModelRoute<R> {
  const versions = new Map<string, VersionRoute<R>>()
  for (const [v, vs] of Object.entries(ms.versions)) {
    const base = upstreamBase(name, vs.upstream)
    const extra = discovered?.get(v) ?? NONE
    const urls = extra.length === 0 ? vs.replicas : [...new Set([...vs.replicas, ...extra])]
    const replicas = urls.map(u => replicaFor(u, cfg))
    const byTransport: Record<Transport, R[]> = { rest: [], grpc: [] }
    urls.forEach((u, i) => { byTransport[transportOf(u)].push(replicas[i]!) })
    versions.set(v, {
      name: v,
      model: name,
      replicas,
      byTransport,
      upstreamModel: vs.upstream?.model ?? name,
      upstreamVersion: vs.upstream?.version ?? '',
      inferPath: `${base}/infer`,
      metadataPath: base,
      readyPath: `${base}/ready`,
      mapped: vs.upstream !== undefined
    })
  }
  const resolve = (v: string): VersionRoute<R> => {
    const route = versions.get(v)
    if (route === undefined) throw new RangeError(`model "${name}": split names unknown version "${v}"`)
    return route
  }
  const stable = resolve(ms.stable)
  const limited = ms.canarySegments != null && ms.candidate !== null ? versions.get(ms.candidate) : undefined
  return {
    name,
    cfg,
    versions,
    layout: layout(ms.split, resolve),
    seed: ms.seed,
    stable,
    release: releaseName(ms),
    limit: limited === undefined ? null : { version: limited, segments: new Set(ms.canarySegments), otherwise: stable }
  }
}
