/**
 * The release queue: at most K rollouts in progress across the fleet
 * (rollouts.maxInProgress), the others queued in the order they were started.
 * The count and the order are read from the routing state inside the
 * compare-and-set that admits a rollout, so two instances admitting at once
 * cannot overshoot K: the second write is refused and re-reads.
 */
import { errors } from '../errors.js'
import type { Operation } from '../control/operations.js'
import type { RoutingState } from '../state/routing-state.js'
import { isInProgress, type RolloutRecord } from '../state/rollout-record.js'
import { admitRollout, type WriteContext } from './operations.js'

export function inProgress (state: RoutingState): number {
  let n = 0
  for (const ms of Object.values(state.models)) if (isInProgress(ms.rollout)) n++
  return n
}

/** Queued rollouts, oldest first (then by model name, so every instance agrees). */
export function queued (state: RoutingState): Array<{ model: string, rollout: RolloutRecord }> {
  const out: Array<{ model: string, rollout: RolloutRecord }> = []
  for (const [model, ms] of Object.entries(state.models)) if (ms.rollout?.status === 'queued') out.push({ model, rollout: ms.rollout })
  return out.sort((a, b) => a.rollout.startedAt - b.rollout.startedAt || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0))
}

/** 1-based place of `model` in the queue, or null when it is not queued. */
export function queuePosition (state: RoutingState, model: string): number | null {
  const i = queued(state).findIndex(q => q.model === model)
  return i === -1 ? null : i + 1
}

/** Whether a rollout started now may take its first step at once: a free slot and nobody waiting before it. */
export function mayAdmitNow (state: RoutingState, maxInProgress: number | null): boolean {
  return maxInProgress === null || (inProgress(state) < maxInProgress && queued(state).length === 0)
}

/** Admits the oldest queued rollout if a slot is free; refuses (409) when the queue is empty or full. */
export function admitNext (maxInProgress: number, ctx: WriteContext): Operation {
  return (state) => {
    const next = queued(state)[0]
    if (next === undefined) throw errors.conflict('no rollout is queued')
    const n = inProgress(state)
    if (n >= maxInProgress) throw errors.conflict(`${n} rollouts are in progress; at most ${maxInProgress}`)
    return admitRollout(next.model, next.rollout.id, ctx)(state)
  }
}
