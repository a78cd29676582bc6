/**
 * The desired routing state of every model: versions with their replicas, the
 * traffic split, the release in force and a revision number. It is what the
 * control plane stores (memory or Redis) and what the data plane snapshots.
 * Plain JSON, so it round-trips through a file or Redis unchanged. The bottom of
 * the import graph: config, control and routing all speak this vocabulary.
 */
import { TOTAL_BP, type SplitEntry } from './split.js'
import type { RolloutRecord } from './rollout-record.js'

export type Strategy = 'canary' | 'blue-green' | 'split'

/**
 * Where a version lives upstream when not at `/v2/models/{model}`: under another
 * model name, and/or as a numbered version of it (`/v2/models/{model}/versions/{version}`).
 */
export interface UpstreamName {
  model?: string
  version?: string
}

export interface VersionState {
  replicas: string[]
  upstream?: UpstreamName
  /**
   * The share of the version's requests recorded in full (0..1) when an operator
   * set one at runtime; overrides the config's sampling rates (observe/sampler.ts).
   */
  sampleRate?: number
}

export interface ModelState {
  /**
   * Versions in registration order, each with its static replica base URLs. A
   * version whose replicas come from DNS may list none: each instance adds what
   * it resolves in its own snapshot, never here.
   */
  versions: Record<string, VersionState>
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
  /** release.requireVerification: no weight for a version without a passed verification. */
  requireVerification?: boolean
  /** The latest verification of each version. */
  verifications?: Record<string, VerificationRecord>
  /**
   * canary: the segments the canary is limited to (a rollout's plan.segments);
   * requests of other segments never get it. Null or absent: all users.
   */
  canarySegments?: string[] | null
  /** Live requests mirrored to a version off the response path; null or absent: none. */
  shadow?: ShadowState | null
  /** The automated rollout of this model, current or last (gateway/release/); the data plane ignores it. */
  rollout?: RolloutRecord | null
  /**
   * The version that was stable before the last promotion (or active before the
   * last switch), held back: registered with its replicas, `rollback` returns to
   * it at 100% in one call, `retire` refuses it (unless forced) until `until`.
   */
  holdback?: HoldbackState | null
  /** The last rollback drill of this model (gateway/release/drill.ts). */
  lastDrill?: DrillRecord | null
  /** Epoch ms the last drill that passed began. */
  lastSuccessfulDrill?: number | null
}

/** What a rollback drill found: did the automatic rollback happen, and did every instance apply it in time. */
export interface DrillRecord {
  /** Epoch ms the drill began. */
  at: number
  passed: boolean
  by: string
  /** Why it failed, or what it measured. */
  reason: string
  /** From the drill's canary going live to the controller's rollback write. */
  rollbackMs: number | null
  /** From the rollback write until the last instance had applied it. */
  convergedMs: number | null
  boundMs: number
  instances: number
}

export interface HoldbackState {
  version: string
  /** Epoch ms of the promotion that put it aside. */
  since: number
  /** Epoch ms until which it is held back. */
  until: number
}

/** One check of a verification, with its figures and verdict. */
export interface VerificationCheck {
  name: 'replicas' | 'metadata' | 'outputs' | 'latency' | 'errors'
  passed: boolean
  /** Why it passed or failed, in one line. */
  detail: string
  /** The suite it belongs to, when the verification ran named suites. */
  suite?: string
  /** Which part of the suite: a golden file, or "replay". */
  part?: string
  figures: Record<string, number | string | boolean | null>
}

export interface VerificationRecord {
  passed: boolean
  at: string
  /** The admin token's name that ran it. */
  by: string
  /**
   * The version's static replica URLs when it was verified; a version whose
   * static replicas changed since counts as unverified.
   */
  replicas: string[]
  /**
   * Replicas the verifying instance had found by DNS discovery and verified too.
   * They come and go with the name (each instance resolves its own), so the gate
   * does not compare them: a version that follows DNS stays verified while its
   * static list (often empty) is unchanged.
   */
  discovered?: string[]
  /** The version compared against (the stable one at the time), or null when there was none. */
  baseline: string | null
  goldenRequests: number
  checks: VerificationCheck[]
  /** The named suites it ran, when it ran suites. */
  suites?: string[]
}

export interface ShadowState {
  version: string
  /** Share of live requests mirrored, in basis points (10000 = all). */
  weight: number
  since: string
  by: string
}

export interface RoutingState {
  revision: number
  models: Record<string, ModelState>
  /**
   * Rollout plan templates added at runtime (beside the config's), by name:
   * every version kept, oldest first. The data plane ignores them.
   */
  templates?: Record<string, StoredTemplate[]>
}

export interface StoredTemplate {
  version: number
  /** The plan as written (percentages, durations), so per-model overrides merge with it. */
  plan: unknown
  by: string
  at: number
}

/** A semantic problem in a model's release, with the path (inside the model) that is wrong. */
export class StateError extends Error {
  constructor (readonly path: string, reason: string) {
    super(reason)
    this.name = 'StateError'
  }
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
    const rate = s.versions[v]!.sampleRate
    if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && rate <= 1)) throw new StateError(`versions.${v}.sampleRate`, `must be a number from 0 to 1, got ${JSON.stringify(rate)}`)
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
  if (s.shadow != null && s.versions[s.shadow.version] === undefined) throw new StateError('shadow', `names version "${s.shadow.version}", which is not registered; stop the shadow first`)
  if (s.holdback != null && s.versions[s.holdback.version] === undefined) throw new StateError('holdback', `names version "${s.holdback.version}", which is not registered`)
}
