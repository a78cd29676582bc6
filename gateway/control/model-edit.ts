/**
 * The one way an operation changes a model: a copy edited, the invariants
 * checked (a bad result is a 400 naming the path), the next revision of the
 * whole state. And the small steps the verbs share: a new release (and seed),
 * a canary layout, a blue-green switch.
 */
import { releaseSeed, TOTAL_BP } from '../state/split.js'
import { checkModelState, releaseName, StateError, type ModelState, type RoutingState } from '../state/routing-state.js'
import { errors } from '../errors.js'

export type Operation = (state: RoutingState) => RoutingState

/** Applies `change` to a copy of one model and returns the next revision of the whole state. */
export function edit (state: RoutingState, model: string, change: (ms: ModelState) => ModelState): RoutingState {
  const current = state.models[model]
  if (current === undefined) throw errors.unknownModel(model)
  const next = change(structuredClone(current))
  // A segment limit belongs to the canary it was set for: gone with it.
  if (next.canarySegments != null && (next.strategy !== 'canary' || next.candidate === null || next.candidate !== current.candidate)) next.canarySegments = null
  try {
    checkModelState(next)
  } catch (err) {
    if (err instanceof StateError) throw errors.invalid(`model "${model}": ${err.path}: ${err.message}`, { model })
    throw err
  }
  return { ...state, revision: state.revision + 1, models: { ...state.models, [model]: next } }
}

export function requireVersion (model: string, ms: ModelState, version: string): void {
  if (ms.versions[version] === undefined) throw errors.unknownVersion(model, version, Object.keys(ms.versions))
}

/** Starts a new release: the counter moves on and the sticky seed is derived anew, so users are sampled afresh. */
export function newRelease (model: string, ms: ModelState): ModelState {
  ms.release += 1
  ms.seed = releaseSeed(model, releaseName(ms))
  return ms
}

export function checkWeight (model: string, version: string, w: unknown): number {
  if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > TOTAL_BP) {
    throw errors.invalid(`weight of "${version}" must be an integer number of basis points between 0 and ${TOTAL_BP}, got ${JSON.stringify(w)}`, { model, version })
  }
  return w
}

export function weightOf (ms: ModelState, version: string): number {
  return ms.split.find(e => e.version === version)?.weight ?? 0
}

/** canary: `version` gets `weight`, the stable version the rest; layout [canary, stable] so a growing canary keeps its users. */
export function canaryOf (model: string, ms: ModelState, version: string, weight: number): ModelState {
  const fresh = ms.strategy !== 'canary' || ms.candidate !== version
  ms.strategy = 'canary'
  ms.candidate = version
  ms.previous = null
  ms.split = [{ version, weight }, { version: ms.stable, weight: TOTAL_BP - weight }]
  return fresh ? newRelease(model, ms) : ms
}

/** blue-green: `target` becomes active at 100%; the old active stays as the preview at 0%, warm and reachable by explicit selection. */
export function switchTo (model: string, ms: ModelState, target: string): ModelState {
  const old = ms.stable
  ms.strategy = 'blue-green'
  ms.stable = target
  ms.candidate = old === target ? ms.candidate : old
  ms.previous = old === target ? ms.previous ?? null : old
  ms.split = ms.candidate === null ? [{ version: target, weight: TOTAL_BP }] : [{ version: target, weight: TOTAL_BP }, { version: ms.candidate, weight: 0 }]
  return newRelease(model, ms)
}
