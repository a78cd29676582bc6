/**
 * The control-plane side of verification and shadow traffic: the gate and the shadow
 * setting, as pure operations over the routing state. They run inside the
 * stores' compare-and-set like every other verb, so a verification result, a
 * shadow change or a forced canary is revisioned and audited the same way.
 */
import { TOTAL_BP } from '../state/split.js'
import { errors, GatewayError } from '../errors.js'
import type { ModelState, RoutingState, VerificationRecord } from '../state/routing-state.js'
import { edit, type Operation } from './operations.js'

/**
 * Why `version` may not take traffic, or null when it may: it has a passed
 * verification of its current replicas, or it already serves (the stable version,
 * or any weight today: the gate is about giving weight, not about keeping it).
 */
export function unverifiedReason (ms: ModelState, version: string): string | null {
  if (ms.requireVerification !== true) return null
  if (version === ms.stable || (ms.split.find(e => e.version === version)?.weight ?? 0) > 0) return null
  const v = ms.verifications?.[version]
  if (v === undefined) return 'it has not been verified and the model requires verification'
  if (!v.passed) return `its verification of ${v.at} failed (${v.checks.filter(c => !c.passed).map(c => c.name).join(', ')})`
  const now = ms.versions[version]?.replicas ?? []
  if (!sameSet(now, v.replicas)) return `its replicas changed since the verification of ${v.at}`
  return null
}

/**
 * Throws 409 GW_NOT_VERIFIED when the model requires verification and `version`
 * has none that passed for its current replicas (see unverifiedReason). With
 * `force` it never throws; the caller audits the override. Returns whether the
 * call went through only because of `force`. The rollout controller calls this
 * before its first step.
 */
export function assertMayReceiveTraffic (state: RoutingState, model: string, version: string, force: boolean): boolean {
  const ms = state.models[model]
  if (ms === undefined) throw errors.unknownModel(model)
  const reason = unverifiedReason(ms, version)
  if (reason === null) return false
  if (force) return true
  throw new GatewayError('GW_NOT_VERIFIED', { model, version, detail: reason })
}

/**
 * Wraps an operation that gives weight to `targets(ms)`: the gate is checked on
 * the state the compare-and-set applies to, so a verification that changes
 * meanwhile is seen.
 */
export function gated (model: string, targets: (ms: ModelState) => readonly string[], force: boolean, op: Operation): Operation {
  return (state) => {
    const ms = state.models[model]
    if (ms !== undefined) for (const v of targets(ms)) if (ms.versions[v] !== undefined) assertMayReceiveTraffic(state, model, v, force)
    return op(state)
  }
}

/**
 * Audit detail of a write that gives weight: who forced it past the gate, and
 * for which unverified versions (read from the state before the write).
 */
export function forcedDetail (state: RoutingState, model: string, targets: (ms: ModelState) => readonly string[], force: boolean, actor: string | undefined): Record<string, unknown> {
  const ms = state.models[model]
  if (!force || ms === undefined) return {}
  const unverified = targets(ms).filter(v => ms.versions[v] !== undefined && unverifiedReason(ms, v) !== null)
  return unverified.length === 0 ? { force: true } : { force: true, forcedBy: actor ?? 'unknown', unverified }
}

/** The named version, else the model's candidate (promote and switch). */
export function versionOrCandidate (version: string | undefined): (ms: ModelState) => string[] {
  return (ms) => {
    const t = version ?? ms.candidate
    return t === null ? [] : [t]
  }
}

/** Versions with a positive weight in a requested split. */
export function positive (weights: Readonly<Record<string, number>>): string[] {
  return Object.keys(weights).filter(v => weights[v]! > 0)
}

/** Stores a verification result, if the version still has the replicas that were verified. */
export function recordVerification (model: string, version: string, record: VerificationRecord): Operation {
  return (state) => edit(state, model, (ms) => {
    const vs = ms.versions[version]
    if (vs === undefined) throw errors.unknownVersion(model, version, Object.keys(ms.versions))
    if (!sameSet(vs.replicas, record.replicas)) throw errors.conflict(`the replicas of "${version}" changed while it was verified; verify again`, { model, version })
    ms.verifications = { ...ms.verifications, [version]: record }
    return ms
  })
}

/** Mirrors `weight` basis points of live requests to `version` (replacing any shadow the model had). */
export function setShadow (model: string, version: string, weight: number, actor: string): Operation {
  return (state) => edit(state, model, (ms) => {
    if (ms.versions[version] === undefined) throw errors.unknownVersion(model, version, Object.keys(ms.versions))
    if (!Number.isInteger(weight) || weight <= 0 || weight > TOTAL_BP) throw errors.invalid(`shadow share must be more than 0% and at most 100%, got ${weight} basis points`, { model, version })
    if (version === ms.stable) throw errors.invalid(`"${version}" is the stable version; a shadow must be another version`, { model, version })
    ms.shadow = { version, weight, since: new Date().toISOString(), by: actor }
    return ms
  })
}

export function stopShadow (model: string): Operation {
  return (state) => edit(state, model, (ms) => {
    if (ms.shadow == null) throw errors.invalid(`model "${model}" has no shadow version`, { model })
    ms.shadow = null
    return ms
  })
}

/** Brings release.requireVerification of each configured model into the stored state (the config is its source). */
export function syncRequireVerification (initial: RoutingState): Operation {
  return (state) => {
    const models = { ...state.models }
    for (const [m, ms] of Object.entries(state.models)) {
      const want = initial.models[m]?.requireVerification === true
      if ((ms.requireVerification === true) !== want) models[m] = { ...ms, requireVerification: want }
    }
    return { ...state, revision: state.revision + 1, models }
  }
}

/** Models whose stored requireVerification differs from the config's. */
export function requireVerificationDrift (stored: RoutingState, initial: RoutingState): string[] {
  return Object.keys(stored.models).filter(m => initial.models[m] !== undefined && (stored.models[m]!.requireVerification === true) !== (initial.models[m]!.requireVerification === true))
}

function sameSet (a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  const s = new Set(a)
  return b.every(x => s.has(x))
}
