/**
 * The rollout of a model as stored in the routing state (ModelState.rollout):
 * plain JSON, so it survives restarts and is shared across a fleet with the
 * rest of the state, and every change to it is revisioned and audited. The
 * data plane ignores it. The plan is stored as validated (gateway/release/plan.ts).
 */
export type RolloutStatus = 'running' | 'paused' | 'held' | 'promoted' | 'rolled-back' | 'aborted' | 'superseded'

export interface RolloutCheckView {
  check: string
  verdict: 'pass' | 'fail' | 'inconclusive'
  summary: string
  figures: Record<string, number | null>
}

export interface RolloutRecord {
  id: string
  version: string
  stable: string
  /** The validated plan (gateway/release/plan.ts RolloutPlan), stored as JSON. */
  plan: unknown
  status: RolloutStatus
  /** Index into plan.steps. */
  step: number
  /** Epoch ms when the current step began (its weight went live, or the gate opened). */
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
}

export const ACTIVE_ROLLOUT: readonly RolloutStatus[] = ['running', 'paused', 'held']

export function isActive (r: RolloutRecord | undefined | null): r is RolloutRecord {
  return r !== undefined && r !== null && ACTIVE_ROLLOUT.includes(r.status)
}
