/**
 * Rollout changes as control-plane operations: each sets the traffic split with
 * the admin API's own operation (setCanary, promote, rollback) and stores the
 * rollout record in the same revision, so the store's compare-and-set and audit
 * log cover both at once.
 */
import { randomUUID } from 'node:crypto'
import * as ops from '../control/operations.js'
import { errors, GatewayError } from '../errors.js'
import { isActive, type RolloutRecord } from '../state/rollout-record.js'
import { mayGiveWeight } from '../control/weight-gate.js'
import type { ModelState, RoutingState } from '../state/routing-state.js'
import type { RolloutPlan } from './plan.js'
import { resumed, weightAt } from './steps.js'

/** Runs operations one after the other as one revision. */
export function compose (...list: ops.Operation[]): ops.Operation {
  return (state) => {
    let s = state
    for (const op of list) s = op(s)
    return { ...s, revision: state.revision + 1 }
  }
}

/** Stores `record` (computed from the model as it is at that point) on the model. */
export function setRecord (model: string, record: (ms: ModelState) => RolloutRecord): ops.Operation {
  return (state) => {
    const ms = state.models[model]
    if (ms === undefined) throw errors.unknownModel(model)
    return { revision: state.revision + 1, models: { ...state.models, [model]: { ...ms, rollout: record(ms) } } }
  }
}

export function activeRollout (state: RoutingState, model: string): RolloutRecord {
  const ms = state.models[model]
  if (ms === undefined) throw errors.unknownModel(model)
  const r = ms.rollout
  if (isActive(r)) return r
  const last = ms.rollout?.status
  throw errors.conflict(`model "${model}" has no rollout in progress${last === undefined ? '' : ` (the last one is ${last})`}`, { model })
}

/** The canary gets the first step's weight (0 when the plan opens with a gate). */
export function startRollout (model: string, version: string, plan: RolloutPlan, actor: string, now: number): ops.Operation {
  return (state) => {
    const ms = state.models[model]
    if (ms === undefined) throw errors.unknownModel(model)
    if (ms.versions[version] === undefined) throw errors.unknownVersion(model, version, Object.keys(ms.versions))
    if (isActive(ms.rollout)) throw errors.conflict(`model "${model}" already has a rollout of "${ms.rollout.version}" in progress (${ms.rollout.status}); abort it first`, { model, version })
    if (version === ms.stable) throw errors.invalid(`"${version}" is the stable version; roll out another version`, { model, version })
    if (ms.strategy === 'blue-green') throw errors.invalid(`model "${model}" uses blue-green; a rollout grows a canary (set a canary split first)`, { model, version })
    const gate = mayGiveWeight(ms, version)
    if (!gate.ok) throw new GatewayError('GW_NOT_VERIFIED', { model, version, detail: gate.reason })
    const first = plan.steps[0]!
    const record: RolloutRecord = {
      id: randomUUID(),
      version,
      stable: ms.stable,
      plan,
      status: first.kind === 'gate' ? 'paused' : 'running',
      step: 0,
      stepStartedAt: now,
      startedAt: now,
      startedBy: actor,
      noDataSince: null,
      reason: first.kind === 'gate' ? 'manual gate before the first step: waiting for "rollout resume"' : null,
      endedAt: null,
      checks: []
    }
    return compose(ops.setCanary(model, version, weightAt(plan, 0)), setRecord(model, () => record))(state)
  }
}

export function pauseRollout (model: string, actor: string, now: number): ops.Operation {
  return (state) => {
    const r = activeRollout(state, model)
    if (r.status === 'paused') throw errors.conflict(`the rollout of "${r.version}" is already paused (${r.reason ?? ''})`, { model })
    return setRecord(model, () => ({ ...r, status: 'paused', reason: `paused by ${actor} at ${new Date(now).toISOString()}` }))(state)
  }
}

export function resumeRollout (model: string, actor: string, now: number): ops.Operation {
  return (state) => {
    const r = activeRollout(state, model)
    if (r.status === 'running') throw errors.conflict(`the rollout of "${r.version}" is running, not paused`, { model })
    const ms = state.models[model]!
    const gate = mayGiveWeight(ms, r.version)
    if (!gate.ok) throw new GatewayError('GW_NOT_VERIFIED', { model, version: r.version, detail: gate.reason })
    const { next, weight, promote } = resumed(r, r.plan as RolloutPlan, now, actor)
    return compose(promote ? ops.promote(model, r.version) : ops.setCanary(model, r.version, weight), setRecord(model, () => next))(state)
  }
}

/** Instant rollback: stable at 100% in the same revision that ends the rollout. */
export function abortRollout (model: string, actor: string, now: number): ops.Operation {
  return (state) => {
    const r = activeRollout(state, model)
    const reason = `aborted by ${actor}`
    return compose(ops.rollback(model), setRecord(model, () => ({ ...r, status: 'aborted', reason, endedAt: now })))(state)
  }
}

/**
 * The controller's write: applies `next` with the split it implies, but only if
 * the stored rollout is still the one it analysed (same id, status and step) —
 * an operator's pause or abort in between wins.
 */
export function applyDecision (model: string, seen: RolloutRecord, next: RolloutRecord, weight: number): ops.Operation {
  return (state) => {
    const cur = activeRollout(state, model)
    if (cur.id !== seen.id || cur.status !== seen.status || cur.step !== seen.step) throw errors.conflict(`the rollout of "${seen.version}" changed meanwhile`, { model })
    let split: ops.Operation
    if (next.status === 'promoted') split = ops.promote(model, next.version)
    else if (next.status === 'rolled-back') split = ops.rollback(model)
    else split = ops.setCanary(model, next.version, weight)
    return compose(split, setRecord(model, () => next))(state)
  }
}

/** An operator changed the split by hand (promote, rollback, another canary): the rollout stops acting. */
export function supersede (model: string, seen: RolloutRecord, why: string, now: number): ops.Operation {
  return (state) => {
    const cur = activeRollout(state, model)
    if (cur.id !== seen.id) throw errors.conflict(`the rollout of "${seen.version}" changed meanwhile`, { model })
    return setRecord(model, () => ({ ...cur, status: 'superseded', reason: why, endedAt: now }))(state)
  }
}

/** Whether the model's split still is what the rollout put there; the reason when not. */
export function drifted (ms: ModelState, r: RolloutRecord): string | null {
  if (ms.stable !== r.stable) return `stable version is now "${ms.stable}", not "${r.stable}"`
  if (ms.strategy !== 'canary' || ms.candidate !== r.version) return `"${r.version}" is no longer the canary (strategy ${ms.strategy}, candidate ${ms.candidate ?? 'none'})`
  return null
}
