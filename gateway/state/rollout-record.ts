/**
 * The rollout of a model as stored in the routing state (ModelState.rollout):
 * plain JSON, so it survives restarts and is shared across a fleet with the
 * rest of the state, and every change to it is revisioned and audited. The
 * data plane ignores it. The plan is stored as validated (gateway/release/plan.ts).
 */
export type RolloutStatus = 'queued' | 'running' | 'paused' | 'held' | 'watching' | 'promoted' | 'rolled-back' | 'aborted' | 'superseded'

export interface RolloutCheckView {
  check: string
  verdict: 'pass' | 'fail' | 'inconclusive'
  summary: string
  figures: Record<string, number | null>
  segment?: string
}

/** A window of the previous version's traffic: what the post-promotion watch compares the new version with. */
export interface BaselineWindow {
  version: string
  from: number
  to: number
}

export interface ApprovalRecord {
  /** Index of the approval step. */
  step: number
  /** The admin token's name that approved (never the token). */
  by: string
  at: number
}

export interface RolloutRecord {
  id: string
  version: string
  /** canary: the stable version it is judged against; blue-green: the active version. */
  stable: string
  /** The validated plan, stored as JSON; read back through planOf (gateway/release/plan.ts). */
  plan: unknown
  status: RolloutStatus
  /** Index into plan.steps (plan.steps.length once promoted). */
  step: number
  /** Epoch ms when the current step began (its weight went live, the gate opened, the watch began). */
  stepStartedAt: number
  startedAt: number
  startedBy: string
  /** Epoch ms since when the source has been down or without data, or null. */
  noDataSince: number | null
  /** Why the rollout is paused, held or ended. */
  reason: string | null
  endedAt: number | null
  /** The checks at the last decision that changed the rollout. */
  checks: RolloutCheckView[]
  /** Epoch ms of the promotion (or blue-green switch), once it happened. */
  promotedAt?: number | null
  /** The post-promotion watch's baseline: the previous version in the last step before promotion. */
  baseline?: BaselineWindow | null
  approvals?: ApprovalRecord[]
  /** Epoch ms the rollout left the release queue and took its first step (equals startedAt when it never waited). */
  admittedAt?: number | null
  /** A rollback drill's rollout: the controller fails it on purpose, to exercise the automatic rollback. */
  drill?: boolean
  /** The template the plan came from, when it came from one. */
  template?: { name: string, version: number } | null
  /** Epoch ms the candidate first had user traffic (its first weight or preview step): where plan.exclude.duration counts from. */
  trafficSince?: number | null
}

/** Statuses the controller acts on. */
export const ACTIVE_ROLLOUT: readonly RolloutStatus[] = ['queued', 'running', 'paused', 'held', 'watching']
/** Statuses that hold one of the fleet's in-progress slots (the release queue's K). */
export const IN_PROGRESS: readonly RolloutStatus[] = ['running', 'paused', 'held']

export function isActive (r: RolloutRecord | undefined | null): r is RolloutRecord {
  return r !== undefined && r !== null && ACTIVE_ROLLOUT.includes(r.status)
}

export function isInProgress (r: RolloutRecord | undefined | null): r is RolloutRecord {
  return r !== undefined && r !== null && IN_PROGRESS.includes(r.status)
}
