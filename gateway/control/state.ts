/**
 * The desired routing state of every model: versions with their replicas, the
 * traffic split, the release in force and a revision number. It is what the
 * control plane stores (memory or Redis) and what the data plane snapshots.
 * Plain JSON, so it round-trips through a file or Redis unchanged.
 */
import type { SplitEntry } from '../routing/buckets.js'
import type { ModelConfig } from '../config/schema.js'
import { releaseSeed } from '../routing/buckets.js'
import { TOTAL_BP } from '../config/defaults.js'

export type Strategy = 'canary' | 'blue-green' | 'split'

export interface ModelState {
  /** Versions in registration order, each with its replica base URLs. */
  versions: Record<string, { replicas: string[] }>
  strategy: Strategy
  /**
   * The split in bucket-layout order. canary: [canary, stable]; blue-green:
   * [active (10000), preview (0)]; split: as configured.
   */
  split: SplitEntry[]
  /** canary: the stable version; blue-green: the active one; split: the largest share. Rollback and fallback target. */
  stable: string
  /** canary: the canary version; blue-green: the preview; split: null. */
  candidate: string | null
  /** Release counter; a new release gets a new sticky seed, so each canary samples fresh users. */
  release: number
  seed: number
  /** blue-green: the version that was active before the last switch, so a rollback can switch back to it. */
  previous?: string | null
}

export interface RoutingState {
  revision: number
  models: Record<string, ModelState>
}

/** A semantic problem in a model's release, with the path (inside the model) that is wrong. */
export class StateError extends Error {
  constructor (readonly path: string, reason: string) {
    super(reason)
    this.name = 'StateError'
  }
}

export function modelStateFromConfig (name: string, cfg: ModelConfig): ModelState {
  const versions: ModelState['versions'] = {}
  for (const [v, vc] of Object.entries(cfg.versions)) versions[v] = { replicas: [...vc.replicas] }
  const has = (v: string | undefined, path: string): string => {
    if (v === undefined) throw new StateError(path, 'is required for this strategy')
    if (versions[v] === undefined) throw new StateError(path, `names version "${v}", which is not under versions (have: ${Object.keys(versions).join(', ')})`)
    return v
  }
  const r = cfg.release
  let state: Omit<ModelState, 'seed'>
  switch (r.strategy) {
    case 'canary': {
      const stable = has(r.stable, 'release.stable')
      const canary = r.canary === undefined ? null : has(r.canary, 'release.canary')
      if (canary === stable) throw new StateError('release.canary', 'must differ from release.stable')
      const w = canary === null ? 0 : (r.canaryWeight ?? 0)
      state = {
        versions,
        strategy: 'canary',
        split: canary === null ? [{ version: stable, weight: TOTAL_BP }] : [{ version: canary, weight: w }, { version: stable, weight: TOTAL_BP - w }],
        stable,
        candidate: canary,
        release: 1
      }
      break
    }
    case 'blue-green': {
      const active = has(r.active, 'release.active')
      const preview = r.preview === undefined ? null : has(r.preview, 'release.preview')
      if (preview === active) throw new StateError('release.preview', 'must differ from release.active')
      state = {
        versions,
        strategy: 'blue-green',
        split: preview === null ? [{ version: active, weight: TOTAL_BP }] : [{ version: active, weight: TOTAL_BP }, { version: preview, weight: 0 }],
        stable: active,
        candidate: preview,
        release: 1
      }
      break
    }
    case 'split': {
      if (r.weights === undefined) throw new StateError('release.weights', 'is required for strategy "split"')
      const split: SplitEntry[] = []
      for (const [v, w] of Object.entries(r.weights)) split.push({ version: has(v, `release.weights.${v}`), weight: w })
      const sum = split.reduce((a, e) => a + e.weight, 0)
      if (sum !== TOTAL_BP) throw new StateError('release.weights', `add up to ${sum} basis points; they must add up to ${TOTAL_BP}`)
      const stable = r.stable === undefined ? split.reduce((a, e) => (e.weight > a.weight ? e : a)).version : has(r.stable, 'release.stable')
      state = { versions, strategy: 'split', split, stable, candidate: null, release: 1 }
      break
    }
  }
  return { ...state, seed: r.seed ?? releaseSeed(name, releaseName(state)) }
}

/** Names a release by its versions and counter, e.g. "v1>v2#1"; also the seed's input. */
export function releaseName (s: Pick<ModelState, 'stable' | 'candidate' | 'release'>): string {
  return `${s.stable}>${s.candidate ?? ''}#${s.release}`
}

/** Checks the invariants every stored state keeps. Throws StateError naming the path. */
export function checkModelState (s: ModelState): void {
  const names = Object.keys(s.versions)
  if (names.length === 0) throw new StateError('versions', 'must name at least one version')
  for (const v of names) {
    if (s.versions[v]!.replicas.length === 0) throw new StateError(`versions.${v}.replicas`, 'must list at least one replica')
  }
  let sum = 0
  const seen = new Set<string>()
  for (const e of s.split) {
    if (s.versions[e.version] === undefined) throw new StateError('split', `names unknown version "${e.version}"`)
    if (seen.has(e.version)) throw new StateError('split', `names version "${e.version}" twice`)
    if (!Number.isInteger(e.weight) || e.weight < 0) throw new StateError(`split.${e.version}`, `weight ${e.weight} must be a non-negative integer`)
    seen.add(e.version)
    sum += e.weight
  }
  if (sum !== TOTAL_BP) throw new StateError('split', `weights add up to ${sum}; they must add up to ${TOTAL_BP}`)
  if (s.versions[s.stable] === undefined) throw new StateError('stable', `names unknown version "${s.stable}"`)
  if (s.candidate !== null && s.versions[s.candidate] === undefined) throw new StateError('candidate', `names unknown version "${s.candidate}"`)
}
