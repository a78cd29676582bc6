/**
 * Rollout changes as control-plane operations: each sets the traffic split with
 * the admin API's own operations (setCanary, promote, switch, rollback) and
 * stores the rollout record in the same revision, so the store's
 * compare-and-set and audit log cover both at once.
 */
import { randomUUID } from 'node:crypto'
import * as ops from '../control/operations.js'
import { errors, GatewayError } from '../errors.js'
import { isActive, type RolloutRecord } from '../state/rollout-record.js'
import { mayGiveWeight } from '../control/weight-gate.js'
import type { ModelState, RoutingState } from '../state/routing-state.js'
import { blueGreenSplit } from '../state/split.js'
import { planOf, verifiesBeforeWeight, type RolloutPlan } from './plan.js'
import type { ShadowStep } from './plan-steps.js'
import { setShadow, stopShadow } from '../control/release-gate.js'
import { approved, enter, resumed, seconds, weightAt, type Decision } from './steps.js'

/** What a rollout's writes need besides the state: the time and the config's default holdback. */
export interface WriteContext {
  now: number
  /** rollouts.holdback: how long a promotion keeps the previous version, when the plan does not say. */
  holdbackMs: number
  actor: string
}

/** Runs operations one after the other as one revision. */
export function compose (...list: ops.Operation[]): ops.Operation {
  return (state) => {
    let s = state
    for (const op of list) s = op(s)
    return { ...s, revision: state.revision + 1 }
  }
}

const unchanged: ops.Operation = (s) => s

/** Stores `record` (computed from the model as it is at that point) on the model. */
export function setRecord (model: string, record: (ms: ModelState) => RolloutRecord): ops.Operation {
  return (state) => {
    const ms = state.models[model]
    if (ms === undefined) throw errors.unknownModel(model)
    return { ...state, revision: state.revision + 1, models: { ...state.models, [model]: { ...ms, rollout: record(ms) } } }
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

/** The holdback a promotion by this plan keeps: the plan's, else the config's. */
export function holdbackOf (plan: RolloutPlan, ctx: Pick<WriteContext, 'holdbackMs'>): number {
  return plan.holdbackMs ?? ctx.holdbackMs
}

/**
 * A new rollout of `version`: the first step's weight (0 when the plan opens
 * with a gate, an approval or a blue-green preview), or `queued` when `admit`
 * says no (the release queue is full), judged on the state the write applies to.
 */
export interface StartOptions {
  /** Whether it may take its first step now (the release queue); judged on the state the write applies to. */
  admit?: (state: RoutingState) => boolean
  template?: RolloutRecord['template']
  /** A rollback drill: its target is a copy of stable, so the verification gate does not apply. */
  drill?: boolean
}

export function startRollout (model: string, version: string, plan: RolloutPlan, ctx: WriteContext, opts: StartOptions = {}): ops.Operation {
  const admit = opts.admit ?? (() => true)
  return (state) => {
    const ms = state.models[model]
    if (ms === undefined) throw errors.unknownModel(model)
    if (ms.versions[version] === undefined) throw errors.unknownVersion(model, version, Object.keys(ms.versions))
    if (isActive(ms.rollout)) throw busy(model, ms.rollout)
    if (version === ms.stable) throw errors.invalid(`"${version}" is the ${ms.strategy === 'blue-green' ? 'active' : 'stable'} version; roll out another version`, { model, version })
    const bg = ms.strategy === 'blue-green'
    if (bg !== (plan.strategy === 'blue-green')) {
      throw errors.invalid(bg ? `model "${model}" uses blue-green; give it a blue-green plan (strategy: blue-green, preview steps)` : `model "${model}" uses ${ms.strategy}; a blue-green plan needs a blue-green model`, { model, version })
    }
    if (plan.watch != null && holdbackOf(plan, ctx) < plan.watch.durationMs) {
      throw errors.invalid(`the watch (${seconds(plan.watch.durationMs)}) outlasts the holdback (${seconds(holdbackOf(plan, ctx))}): a rollback at its end would have nothing to return to`, { model, version })
    }
    const gate = mayGiveWeight(ms, version)
    if (!gate.ok && !verifiesBeforeWeight(plan) && opts.drill !== true) throw new GatewayError('GW_NOT_VERIFIED', { model, version, detail: gate.reason })
    const record: RolloutRecord = {
      id: randomUUID(),
      version,
      stable: ms.stable,
      plan,
      status: 'queued',
      step: 0,
      stepStartedAt: ctx.now,
      startedAt: ctx.now,
      startedBy: ctx.actor,
      noDataSince: null,
      reason: 'waiting in the release queue',
      endedAt: null,
      checks: [],
      promotedAt: null,
      baseline: null,
      approvals: [],
      admittedAt: null,
      template: opts.template ?? null,
      ...(opts.drill === true ? { drill: true } : {})
    }
    if (!admit(state)) return compose(bg ? preview(model, version) : unchanged, setRecord(model, () => record))(state)
    return admitted(model, record, plan, ctx, bg ? preview(model, version) : unchanged)(state)
  }
}

/** The queued rollout takes its first step. */
export function admitRollout (model: string, id: string, ctx: WriteContext): ops.Operation {
  return (state) => {
    const r = activeRollout(state, model)
    if (r.id !== id || r.status !== 'queued') throw errors.conflict(`the rollout of "${r.version}" is no longer queued`, { model })
    return admitted(model, r, planOf(r), ctx, unchanged)(state)
  }
}

function admitted (model: string, r: RolloutRecord, plan: RolloutPlan, ctx: WriteContext, before: ops.Operation): ops.Operation {
  const out = (action: Decision['action'], reason: string, next: RolloutRecord | null, s = 0, w = 0): Decision => ({ at: ctx.now, action, step: s, weight: w, reason, checks: [], next })
  const d = enter(r, plan, 0, ctx.now, { ...r, admittedAt: ctx.now }, `started by ${r.startedBy}`, out)
  return compose(before, transition(model, r, d.next!, ctx), setRecord(model, () => d.next!))
}

/** blue-green: `version` becomes the preview (0%, reachable by explicit selection) of the active version. */
function preview (model: string, version: string): ops.Operation {
  return (state) => ops.edit(state, model, (ms) => {
    if (ms.candidate === version) return ms
    ms.candidate = version
    ms.split = blueGreenSplit(ms.stable, version)
    return ms
  })
}

export function pauseRollout (model: string, ctx: WriteContext): ops.Operation {
  return (state) => {
    const r = activeRollout(state, model)
    if (r.status === 'paused') throw errors.conflict(`the rollout of "${r.version}" is already paused (${r.reason ?? ''})`, { model })
    if (r.status === 'watching' || r.status === 'queued') throw errors.conflict(`the rollout of "${r.version}" is ${r.status}; only a rollout in its steps can be paused (abort rolls back)`, { model })
    return setRecord(model, () => ({ ...r, status: 'paused', reason: `paused by ${ctx.actor} at ${new Date(ctx.now).toISOString()}` }))(state)
  }
}

export function resumeRollout (model: string, ctx: WriteContext): ops.Operation {
  return (state) => {
    const r = activeRollout(state, model)
    if (r.status !== 'paused' && r.status !== 'held') throw errors.conflict(`the rollout of "${r.version}" is ${r.status}, not paused`, { model })
    const plan = planOf(r)
    if (plan.steps[r.step]?.kind === 'approval') throw errors.conflict(`the rollout of "${r.version}" waits for an approval: "rollout approve ${model}"`, { model })
    mayResume(state, model, r)
    const d = resumed(r, plan, ctx.now, ctx.actor)
    return compose(transition(model, r, d.next!, ctx), setRecord(model, () => d.next!))(state)
  }
}

/** Passes an approval step; with `distinct`, only a token other than the starter's may. */
export function approveRollout (model: string, ctx: WriteContext): ops.Operation {
  return (state) => {
    const r = activeRollout(state, model)
    const step = planOf(r).steps[r.step]
    if (r.status !== 'paused' || step?.kind !== 'approval') throw errors.conflict(`the rollout of "${r.version}" is not waiting for an approval (it is ${r.status}${step === undefined ? '' : ` at a ${step.kind} step`})`, { model })
    if (step.distinct && ctx.actor === r.startedBy) {
      throw new GatewayError('GW_FORBIDDEN', { model, detail: `this approval step needs a different token than the one that started the rollout ("${r.startedBy}")` })
    }
    mayResume(state, model, r)
    const d = approved(r, planOf(r), ctx.now, ctx.actor)
    return compose(transition(model, r, d.next!, ctx), setRecord(model, () => d.next!))(state)
  }
}

function mayResume (state: RoutingState, model: string, r: RolloutRecord): void {
  const gate = mayGiveWeight(state.models[model]!, r.version)
  if (!gate.ok) throw new GatewayError('GW_NOT_VERIFIED', { model, version: r.version, detail: gate.reason })
}

/** Instant rollback: the previous state of traffic in the same revision that ends the rollout. */
export function abortRollout (model: string, ctx: WriteContext): ops.Operation {
  return (state) => {
    const r = activeRollout(state, model)
    const next: RolloutRecord = { ...r, status: 'aborted', reason: `aborted by ${ctx.actor}${r.status === 'watching' ? ' during the post-promotion watch' : ''}`, endedAt: ctx.now }
    return compose(transition(model, r, next, ctx), setRecord(model, () => next))(state)
  }
}

/**
 * The controller's write: applies `next` with the split it implies, but only if
 * the stored rollout is still the one it analysed (same id, status and step) —
 * an operator's pause or abort in between wins.
 */
export function applyDecision (model: string, seen: RolloutRecord, next: RolloutRecord, ctx: WriteContext, also: ops.Operation = unchanged): ops.Operation {
  return (state) => {
    const cur = activeRollout(state, model)
    if (cur.id !== seen.id || cur.status !== seen.status || cur.step !== seen.step) throw errors.conflict(`the rollout of "${seen.version}" changed meanwhile`, { model })
    return compose(also, transition(model, cur, next, ctx), setRecord(model, () => next))(state)
  }
}

/**
 * The split change from one rollout record to the next: promotion (canary
 * promote, blue-green switch, the previous version held back), the way back
 * (the canary cleared before promotion, the held-back version after it), or
 * the canary weight of the step it is on. Blue-green keeps its split until the switch.
 */
export function transition (model: string, prev: RolloutRecord, next: RolloutRecord, ctx: WriteContext): ops.Operation {
  return compose(shadowFor(model, prev, next, ctx), split(model, prev, next, ctx))
}

/** A shadow step mirrors while the rollout is on it; entering it starts the shadow, leaving it stops it. */
function shadowFor (model: string, prev: RolloutRecord, next: RolloutRecord, ctx: WriteContext): ops.Operation {
  const plan = planOf(prev)
  const on = (r: RolloutRecord): ShadowStep | null => {
    const s = plan.steps[r.step]
    return s?.kind === 'shadow' && (r.status === 'running' || r.status === 'held' || r.status === 'paused') ? s : null
  }
  const was = on(prev)
  const will = on(next)
  if (will !== null && (was === null || prev.step !== next.step)) return setShadow(model, next.version, will.share, ctx.actor)
  if (was !== null && will === null) {
    return (state) => state.models[model]?.shadow?.version === prev.version ? stopShadow(model)(state) : state
  }
  return unchanged
}

function split (model: string, prev: RolloutRecord, next: RolloutRecord, ctx: WriteContext): ops.Operation {
  const plan = planOf(prev)
  const bg = plan.strategy === 'blue-green'
  const wasPromoted = prev.status === 'watching' || prev.status === 'promoted'
  if (next.status === 'rolled-back' || next.status === 'aborted') {
    if (wasPromoted) return ops.rollback(model, ctx.now, ctx.actor)
    return bg || prev.status === 'queued' ? unchanged : ops.rollback(model, ctx.now, ctx.actor)
  }
  if ((next.status === 'watching' || next.status === 'promoted') && !wasPromoted) {
    const hold = { now: ctx.now, holdbackMs: holdbackOf(plan, ctx) }
    return bg ? ops.switchActive(model, next.version, hold) : ops.promote(model, next.version, hold)
  }
  if (wasPromoted || bg || next.status === 'queued') return unchanged
  const canary = ops.setCanary(model, next.version, weightAt(plan, next.step))
  return plan.segments == null ? canary : compose(canary, ops.limitCanary(model, plan.segments))
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
  const bg = planOf(r).strategy === 'blue-green'
  if (r.status === 'watching') {
    if (ms.stable !== r.version) return `"${r.version}" is no longer ${bg ? 'active' : 'stable'} ("${ms.stable}" is)`
    if (!bg && ms.candidate !== null) return `a canary of "${ms.candidate}" was started by hand during the watch`
    return null
  }
  if (ms.stable !== r.stable) return `${bg ? 'active' : 'stable'} version is now "${ms.stable}", not "${r.stable}"`
  if (r.status === 'queued') return null
  if (bg) return ms.strategy !== 'blue-green' || ms.candidate !== r.version ? `"${r.version}" is no longer the preview (strategy ${ms.strategy}, preview ${ms.candidate ?? 'none'})` : null
  if (ms.strategy !== 'canary' || ms.candidate !== r.version) return `"${r.version}" is no longer the canary (strategy ${ms.strategy}, candidate ${ms.candidate ?? 'none'})`
  return null
}

function busy (model: string, r: RolloutRecord): GatewayError {
  if (r.status === 'watching') {
    const until = (r.promotedAt ?? r.stepStartedAt) + (planOf(r).watch?.durationMs ?? 0)
    return errors.conflict(`model "${model}" is watching "${r.version}" after its promotion until ${new Date(until).toISOString()}; wait for the watch to end, or abort it (rolls back)`, { model })
  }
  return errors.conflict(`model "${model}" already has a rollout of "${r.version}" in progress (${r.status}); abort it first`, { model })
}
