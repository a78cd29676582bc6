/**
 * A model as the admin API shows it: its versions with their replicas (the
 * stored ones and those this instance discovered, with their health), roles,
 * weights, the release in force, and what the release plane keeps with it
 * (shadow, segment limit, holdback).
 */
import type { Router } from '../proxy/router.js'
import type { Replica } from '../proxy/replica.js'
import type { ModelState } from '../state/routing-state.js'
import { releaseName } from '../state/routing-state.js'

export type VersionRole = 'stable' | 'canary' | 'active' | 'preview' | 'split' | 'idle'

/** `discovered`: found by this instance's DNS discovery, not in the stored state. */
export interface ReplicaView { url: string, healthy: boolean | null, ejected: boolean | null, inflight: number | null, discovered?: boolean }
export interface VersionView {
  name: string
  role: VersionRole
  weight: number
  replicas: ReplicaView[]
  healthyReplicas: number
  totalReplicas: number
  upstream?: { model?: string, version?: string }
  /** The runtime sampling rate stored in the routing state; null when the config's rates apply. */
  sampleRate: number | null
  verified: boolean | null
}
export interface ModelView {
  name: string
  strategy: ModelState['strategy']
  stable: string
  candidate: string | null
  release: number
  releaseName: string
  seed: number
  split: Array<{ version: string, weight: number }>
  versions: VersionView[]
  /** False when the stored state names a model this instance's config does not serve. */
  served: boolean
  requireVerification: boolean
  shadow: { version: string, weight: number } | null
  /** The segments the canary is limited to, or null for everyone. */
  canarySegments: string[] | null
  /** The previous version held back after the last promotion (rollback returns to it until `until`). */
  holdback: { version: string, since: string, until: string } | null
}

function roleOf (ms: ModelState, version: string, weight: number): VersionRole {
  if (ms.strategy === 'blue-green') return version === ms.stable ? 'active' : version === ms.candidate ? 'preview' : 'idle'
  if (version === ms.stable) return 'stable'
  if (version === ms.candidate) return 'canary'
  return weight > 0 ? 'split' : 'idle'
}

export function modelView (router: Router, name: string, ms: ModelState): ModelView {
  const route = router.snapshot.models.get(name)
  const versions: VersionView[] = []
  for (const [v, vs] of Object.entries(ms.versions)) {
    const live = new Map<string, Replica>()
    for (const r of route?.versions.get(v)?.replicas ?? []) live.set(r.url, r)
    const replicas: ReplicaView[] = vs.replicas.map(url => {
      const r = live.get(url)
      return r === undefined ? { url, healthy: null, ejected: null, inflight: null } : { url, healthy: r.healthy, ejected: r.ejected, inflight: r.inflight }
    })
    const stored = new Set(vs.replicas)
    for (const r of live.values()) {
      if (!stored.has(r.url)) replicas.push({ url: r.url, healthy: r.healthy, ejected: r.ejected, inflight: r.inflight, discovered: true })
    }
    const weight = ms.split.find(e => e.version === v)?.weight ?? 0
    versions.push({
      name: v,
      role: roleOf(ms, v, weight),
      weight,
      replicas,
      healthyReplicas: replicas.filter(r => r.healthy === true && r.ejected !== true).length,
      totalReplicas: replicas.length,
      sampleRate: vs.sampleRate ?? null,
      ...(vs.upstream === undefined ? {} : { upstream: vs.upstream }),
      verified: ms.verifications?.[v]?.passed ?? null
    })
  }
  return {
    name,
    strategy: ms.strategy,
    stable: ms.stable,
    candidate: ms.candidate,
    release: ms.release,
    releaseName: releaseName(ms),
    // Batch scoring computes each row's version from split + seed, as the data plane does.
    seed: ms.seed,
    split: ms.split.map(e => ({ version: e.version, weight: e.weight })),
    versions,
    served: route !== undefined,
    requireVerification: ms.requireVerification === true,
    shadow: ms.shadow == null ? null : { version: ms.shadow.version, weight: ms.shadow.weight },
    canarySegments: ms.canarySegments ?? null,
    holdback: ms.holdback == null ? null : { version: ms.holdback.version, since: new Date(ms.holdback.since).toISOString(), until: new Date(ms.holdback.until).toISOString() }
  }
}
