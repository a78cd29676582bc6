/**
 * A rollback drill: the automatic rollback exercised on a safe target, so the
 * path a bad release depends on is known to work before it is needed. The
 * target is a copy of the stable version (its replicas, under another version
 * name) given a small canary weight through a rollout that the controller
 * fails on purpose: the same decision, compare-and-set write and propagation as
 * a real failure. The drill passes when the controller rolled back and every
 * gateway instance applied the rollback (its heartbeat reports the rollback's
 * revision, or a later one) within the bound; then the copy is retired. The
 * result is stored with the model (audited), and goes to ClickHouse, the
 * metrics and the webhooks.
 */
import * as ops from '../control/operations.js'
import type { StateStore } from '../control/store.js'
import { errors } from '../errors.js'
import { isActive } from '../state/rollout-record.js'
import type { DrillRecord, RoutingState } from '../state/routing-state.js'
import { validatePlan } from './plan.js'
import { abortRollout, compose, startRollout, type WriteContext } from './operations.js'

/** How long the controller may take to roll the drill back before the drill counts as failed. */
export const DRILL_ROLLBACK_TIMEOUT_MS = 30_000
const POLL_MS = 50

export interface DrillDeps {
  store: StateStore
  now: () => number
  holdbackMs: number
  sleep: (ms: number) => Promise<void>
}

export interface DrillSettings {
  /** Rollback write to every instance applied, at most. */
  boundMs: number
  /** The copy's canary weight, in basis points. */
  weight: number
}

export function drillVersionOf (stable: string): string {
  return `${stable.slice(0, 120)}-drill`
}

export async function runDrill (model: string, d: DrillDeps, settings: DrillSettings, actor: string): Promise<DrillRecord> {
  const at = d.now()
  const ms = d.store.get().models[model]
  if (ms === undefined) throw errors.unknownModel(model)
  if (isActive(ms.rollout)) throw errors.conflict(`model "${model}" has a rollout in progress (${ms.rollout.status}); a drill needs a quiet model`, { model })
  if (ms.strategy !== 'canary' || ms.candidate !== null) throw errors.conflict(`model "${model}" serves ${ms.strategy === 'canary' ? `a canary of "${ms.candidate ?? ''}"` : `a ${ms.strategy} release`}; a drill needs the stable version alone`, { model })
  const stable = ms.versions[ms.stable]!
  if (stable.replicas.length === 0) throw errors.conflict(`the stable version of "${model}" lists no static replica (they come from DNS); a drill copies the stable version's replicas`, { model })
  const target = drillVersionOf(ms.stable)
  const plan = validatePlan({ steps: [{ weight: `${settings.weight}bp`, bake: '1h' }], interval: '100ms', checks: { errors: {} } }, 'drill plan')
  const ctx: WriteContext = { now: at, holdbackMs: d.holdbackMs, actor }
  const leftover = ms.versions[target] !== undefined ? ops.retireVersion(model, target, at, true) : (s: RoutingState) => s
  const started = await d.store.update(undefined, compose(leftover, ops.registerVersion(model, target, stable.replicas, stable.upstream), startRollout(model, target, plan, ctx, { drill: true })), {
    actor, action: 'drill-start', model, detail: { target, weight: settings.weight, boundMs: settings.boundMs }
  })
  const id = started.models[model]!.rollout!.id
  const result = (passed: boolean, reason: string, rollbackMs: number | null, convergedMs: number | null, instances: number): DrillRecord =>
    ({ at, passed, by: actor, reason, rollbackMs, convergedMs, boundMs: settings.boundMs, instances })

  // 1. The controller rolls the copy back by itself.
  const rolled = await until(d, DRILL_ROLLBACK_TIMEOUT_MS, () => {
    const s = d.store.get()
    const r = s.models[model]?.rollout
    return r?.id === id && r.status !== 'running' && r.status !== 'queued' ? { s, r } : null
  })
  if (rolled === null || rolled.r.status !== 'rolled-back') {
    await d.store.update(undefined, abortRollout(model, { ...ctx, now: d.now() }), { actor, action: 'drill-abort', model, detail: { target } }).catch(() => {})
    await cleanUp(model, target, d, actor)
    return result(false, rolled === null ? `the controller did not roll the drill back within ${DRILL_ROLLBACK_TIMEOUT_MS / 1000}s (is rollouts.enabled on, and a controller running?)` : `the drill's rollout ended ${rolled.r.status}, not rolled back (${rolled.r.reason ?? ''})`, null, null, 0)
  }
  const rollbackAt = rolled.r.endedAt ?? d.now()
  const rollbackMs = rollbackAt - (rolled.r.admittedAt ?? rolled.r.startedAt)
  const revision = rolled.s.revision

  // 2. Every instance applies it within the bound.
  let lagging: string[] = []
  let instances = 0
  const converged = await until(d, Math.max(0, rollbackAt + settings.boundMs - d.now()), async () => {
    const list = await d.store.instances()
    instances = list.length
    lagging = list.filter(i => i.revision < revision).map(i => `${i.instanceId} at revision ${i.revision}`)
    return lagging.length === 0 ? d.now() : null
  })
  await cleanUp(model, target, d, actor)
  if (converged === null) return result(false, `not every instance applied the rollback (revision ${revision}) within ${settings.boundMs} ms: ${lagging.join(', ')}`, rollbackMs, null, instances)
  const convergedMs = Math.max(0, converged - rollbackAt)
  return result(true, `rolled back ${rollbackMs} ms after the copy went live; all ${instances} instances at revision ${revision} or later ${convergedMs} ms after the rollback`, rollbackMs, convergedMs, instances)
}

/** Stores the result with the model: audited, and what the metric of the last successful drill reads. */
export function recordDrill (model: string, r: DrillRecord): ops.Operation {
  return (state) => ops.edit(state, model, (ms) => {
    ms.lastDrill = r
    if (r.passed) ms.lastSuccessfulDrill = r.at
    return ms
  })
}

async function cleanUp (model: string, target: string, d: DrillDeps, actor: string): Promise<void> {
  if (d.store.get().models[model]?.versions[target] === undefined) return
  await d.store.update(undefined, ops.retireVersion(model, target, d.now(), true), { actor, action: 'drill-retire', model, detail: { target } })
}

/** Polls `fn` until it returns a value (not null) or `ms` pass; null on timeout. */
async function until<T> (d: DrillDeps, ms: number, fn: () => T | null | Promise<T | null>): Promise<T | null> {
  const deadline = d.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== null) return v
    if (d.now() >= deadline) return null
    await d.sleep(POLL_MS)
  }
}
