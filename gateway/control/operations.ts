/**
 * The operator's verbs as pure functions over the routing state. Each returns a
 * new state with revision + 1 and never touches its input; invalid requests throw
 * a GatewayError (unknown model/version 404, invalid argument 400, conflict 409).
 * The stores run these inside their compare-and-set, so the same code decides on
 * every instance and in the tests.
 */
import { releaseSeed, type SplitEntry } from '../state/split.js'
import { TOTAL_BP } from '../state/split.js'
import { checkModelState, releaseName, StateError, type ModelState, type RoutingState, type UpstreamName } from '../state/routing-state.js'
import { isReplicaUrl, MAX_REPLICAS, NAME_RE as VERSION_NAME } from '../state/names.js'
import { errors, type GatewayError } from '../errors.js'

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

function requireVersion (model: string, ms: ModelState, version: string): void {
  if (ms.versions[version] === undefined) throw errors.unknownVersion(model, version, Object.keys(ms.versions))
}

/** Starts a new release: the counter moves on and the sticky seed is derived anew, so users are sampled afresh. */
function newRelease (model: string, ms: ModelState): ModelState {
  ms.release += 1
  ms.seed = releaseSeed(model, releaseName(ms))
  return ms
}

function checkWeight (model: string, version: string, w: unknown): number {
  if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > TOTAL_BP) {
    throw errors.invalid(`weight of "${version}" must be an integer number of basis points between 0 and ${TOTAL_BP}, got ${JSON.stringify(w)}`, { model, version })
  }
  return w
}

function weightOf (ms: ModelState, version: string): number {
  return ms.split.find(e => e.version === version)?.weight ?? 0
}

/** canary: `version` gets `weight`, the stable version the rest; layout [canary, stable] so a growing canary keeps its users. */
function canaryOf (model: string, ms: ModelState, version: string, weight: number): ModelState {
  const fresh = ms.strategy !== 'canary' || ms.candidate !== version
  ms.strategy = 'canary'
  ms.candidate = version
  ms.previous = null
  ms.split = [{ version, weight }, { version: ms.stable, weight: TOTAL_BP - weight }]
  return fresh ? newRelease(model, ms) : ms
}

/** blue-green: `target` becomes active at 100%; the old active stays as the preview at 0%, warm and reachable by explicit selection. */
function switchTo (model: string, ms: ModelState, target: string): ModelState {
  const old = ms.stable
  ms.strategy = 'blue-green'
  ms.stable = target
  ms.candidate = old === target ? ms.candidate : old
  ms.previous = old === target ? ms.previous ?? null : old
  ms.split = ms.candidate === null ? [{ version: target, weight: TOTAL_BP }] : [{ version: target, weight: TOTAL_BP }, { version: ms.candidate, weight: 0 }]
  return newRelease(model, ms)
}

/**
 * Sets the traffic split. Weights are basis points per version (all known, integers,
 * adding up to 10000); versions left out get 0.
 * - canary: when at most one version besides the stable one gets traffic, it stays a
 *   canary in layout [canary, stable]; a different canary version starts a new
 *   release (new seed), a new weight for the same canary keeps the seed. Anything
 *   else turns the model into an A/B/n split (new release).
 * - blue-green: all traffic must go to one version; moving it to another version is a switch.
 * - split: any weights; versions keep their bucket order, and the seed stays.
 */
export function setSplit (model: string, weights: Readonly<Record<string, number>>): Operation {
  return (state) => edit(state, model, (ms) => {
    const listed = Object.keys(weights)
    if (listed.length === 0) throw errors.invalid('weights must name at least one version', { model })
    let sum = 0
    for (const v of listed) {
      requireVersion(model, ms, v)
      sum += checkWeight(model, v, weights[v])
    }
    if (sum !== TOTAL_BP) throw errors.invalid(`weights add up to ${sum} basis points; they must add up to ${TOTAL_BP} (100%)`, { model })
    const positive = listed.filter(v => weights[v]! > 0)

    if (ms.strategy === 'blue-green') {
      const target = positive.length === 1 ? positive[0]! : undefined
      if (target === undefined) throw errors.invalid('a blue-green model sends all traffic to one version: give one version 10000, use switch, or start a canary', { model })
      return target === ms.stable ? ms : switchTo(model, ms, target)
    }

    if (ms.strategy === 'canary') {
      const others = positive.filter(v => v !== ms.stable)
      if (others.length === 0) {
        // Canary paused at 0 (or no canary): it keeps its place and seed for when it resumes.
        ms.split = ms.candidate === null ? [{ version: ms.stable, weight: TOTAL_BP }] : [{ version: ms.candidate, weight: 0 }, { version: ms.stable, weight: TOTAL_BP }]
        return ms
      }
      if (others.length === 1) return canaryOf(model, ms, others[0]!, weights[others[0]!]!)
    }

    // A/B/n: versions already in the split keep their order (and so their users), new ones go last.
    const order = ms.split.map(e => e.version).filter(v => weights[v] !== undefined)
    for (const v of listed) if (!order.includes(v)) order.push(v)
    const split: SplitEntry[] = order.map(v => ({ version: v, weight: weights[v]! }))
    const fresh = ms.strategy !== 'split'
    ms.strategy = 'split'
    ms.candidate = null
    ms.previous = null
    ms.split = split
    return fresh ? newRelease(model, ms) : ms
  })
}

/**
 * Limits the canary to requests of these segments (null: everyone). Within them
 * a user's bucket decides as before; outside them everyone gets stable.
 */
export function limitCanary (model: string, segments: readonly string[] | null): Operation {
  return (state) => edit(state, model, (ms) => {
    if (segments !== null && (ms.strategy !== 'canary' || ms.candidate === null)) throw errors.invalid(`model "${model}" has no canary to limit to segments`, { model })
    ms.canarySegments = segments === null ? null : [...segments]
    return ms
  })
}

/** Sends `weight` basis points to `version` as a canary of the stable version (any strategy becomes canary). */
export function setCanary (model: string, version: string, weight: number): Operation {
  return (state) => edit(state, model, (ms) => {
    requireVersion(model, ms, version)
    checkWeight(model, version, weight)
    if (version === ms.stable) throw errors.invalid(`"${version}" is the stable version; a canary must be another version`, { model, version })
    return canaryOf(model, ms, version, weight)
  })
}

/** How long the version a promotion replaces stays held back, and the time of the promotion. */
export interface Hold {
  now: number
  holdbackMs: number
}

/**
 * The canary (or the named version) becomes the stable version at 100%; no
 * candidate is left; a new release starts. On a blue-green model this is a switch.
 * With `hold`, the version it replaces stays held back for hold.holdbackMs:
 * `rollback` returns to it, `retire` refuses it.
 */
export function promote (model: string, version?: string, hold?: Hold): Operation {
  return (state) => edit(state, model, (ms) => {
    const target = version ?? ms.candidate
    if (target === null) throw errors.invalid(`model "${model}" has no canary or preview to promote; name a version`, { model })
    requireVersion(model, ms, target)
    const old = ms.stable
    if (ms.strategy === 'blue-green') return holdBack(switchTo(model, ms, target), old, hold)
    ms.strategy = 'canary'
    ms.stable = target
    ms.candidate = null
    ms.previous = null
    ms.split = [{ version: target, weight: TOTAL_BP }]
    return holdBack(newRelease(model, ms), old, hold)
  })
}

/** Keeps `old` held back after it stopped being stable (nothing when it still is, or without a hold). */
function holdBack (ms: ModelState, old: string, hold: Hold | undefined): ModelState {
  if (ms.stable === old) return ms
  ms.holdback = hold === undefined ? null : { version: old, since: hold.now, until: hold.now + hold.holdbackMs }
  return ms
}

/**
 * Back to safety in one call: with a canary, the stable version at 100% and the
 * candidate cleared; after a promotion, the held-back previous version at 100%
 * (while its holdback lasts). Blue-green switches back to the version that was
 * active before the last switch (the one rolled away from stays as the preview,
 * at 0%). With nothing to go back to it refuses (409) rather than report a
 * rollback that changed nothing. A finished rollout of the version rolled away
 * from is marked rolled back.
 */
export function rollback (model: string, now: number, actor = 'unknown'): Operation {
  return (state) => edit(state, model, (ms) => {
    const from = ms.stable
    if (ms.strategy === 'blue-green') {
      const back = ms.previous
      if (back === undefined || back === null || ms.versions[back] === undefined || back === ms.stable) throw nothingToRollBack(model, ms, now)
      const s = switchTo(model, ms, back)
      s.previous = null
      s.holdback = null
      return rolledAway(s, from, now, actor)
    }
    if (ms.candidate === null && ms.strategy === 'canary') {
      const h = ms.holdback
      if (h == null || h.until <= now || ms.versions[h.version] === undefined) throw nothingToRollBack(model, ms, now)
      ms.stable = h.version
      ms.holdback = null
      ms.split = [{ version: h.version, weight: TOTAL_BP }]
      return rolledAway(newRelease(model, ms), from, now, actor)
    }
    ms.strategy = 'canary'
    ms.candidate = null
    ms.previous = null
    ms.split = [{ version: ms.stable, weight: TOTAL_BP }]
    return newRelease(model, ms)
  })
}

function nothingToRollBack (model: string, ms: ModelState, now: number): GatewayError {
  const h = ms.holdback
  const why = h == null
    ? 'no previous version is held back'
    : h.until <= now ? `the holdback of "${h.version}" ended at ${new Date(h.until).toISOString()} (promote it by name to go back to it)` : `held-back version "${h.version}" is no longer registered`
  return errors.conflict(`model "${model}" has nothing to roll back: "${ms.stable}" serves 100% with no canary${ms.strategy === 'blue-green' ? ' and no previous active version' : ''}, and ${why}`, { model })
}

/** A rollout that promoted `from` (finished or watching) ends as rolled back, so its record says what happened. */
function rolledAway (ms: ModelState, from: string, now: number, actor: string): ModelState {
  const r = ms.rollout
  if (r == null || r.version !== from || (r.status !== 'promoted' && r.status !== 'watching')) return ms
  ms.rollout = { ...r, status: 'rolled-back', reason: `rolled back to "${ms.stable}" after promotion by ${actor}`, endedAt: r.endedAt ?? now }
  return ms
}

/** blue-green: the preview (or the named version) becomes active at 100%; the old active becomes the preview at 0% (and is held back with `hold`). */
export function switchActive (model: string, version?: string, hold?: Hold): Operation {
  return (state) => edit(state, model, (ms) => {
    if (ms.strategy !== 'blue-green') throw errors.invalid(`model "${model}" uses strategy "${ms.strategy}"; switch is for blue-green (use promote or set the split)`, { model })
    const target = version ?? ms.candidate
    if (target === null) throw errors.invalid(`model "${model}" has no preview version to switch to; register one first`, { model })
    requireVersion(model, ms, target)
    if (target === ms.stable) throw errors.invalid(`"${target}" is already the active version`, { model, version: target })
    const old = ms.stable
    return holdBack(switchTo(model, ms, target), old, hold)
  })
}

/** Adds a version with its replicas at 0% traffic. A blue-green model without a preview takes it as its preview. */
export function registerVersion (model: string, version: string, replicas: readonly string[], upstream?: UpstreamName): Operation {
  return (state) => edit(state, model, (ms) => {
    if (!VERSION_NAME.test(version)) throw errors.invalid(`version name "${version.slice(0, 140)}" must match ${VERSION_NAME.source}`, { model })
    if (ms.versions[version] !== undefined) throw errors.conflict(`model "${model}" already has version "${version}"`, { model, version })
    if (replicas.length === 0 || replicas.length > MAX_REPLICAS) throw errors.invalid(`a version needs 1 to ${MAX_REPLICAS} replicas, got ${replicas.length}`, { model, version })
    for (const url of replicas) {
      if (!isReplicaUrl(url)) throw errors.invalid(`replica "${url.slice(0, 200)}" is not an http(s) base URL`, { model, version })
    }
    if (new Set(replicas).size !== replicas.length) throw errors.invalid('replicas must not repeat a URL', { model, version })
    for (const [k, v] of Object.entries(upstream ?? {})) {
      if (typeof v !== 'string' || !VERSION_NAME.test(v)) throw errors.invalid(`upstream ${k} "${String(v).slice(0, 140)}" must match ${VERSION_NAME.source}`, { model, version })
    }
    ms.versions[version] = upstream === undefined ? { replicas: [...replicas] } : { replicas: [...replicas], upstream: { ...upstream } }
    if (ms.strategy === 'blue-green' && ms.candidate === null) {
      ms.candidate = version
      ms.split = [...ms.split, { version, weight: 0 }]
    }
    return ms
  })
}

/**
 * Removes a version that takes no traffic and is neither the stable version nor
 * the candidate. A held-back version is refused until its holdback ends, unless `force`.
 */
export function retireVersion (model: string, version: string, now: number, force = false): Operation {
  return (state) => edit(state, model, (ms) => {
    requireVersion(model, ms, version)
    const h = ms.holdback
    if (h != null && h.version === version && h.until > now && !force) {
      throw errors.conflict(`"${version}" is held back after the promotion of "${ms.stable}" until ${new Date(h.until).toISOString()} (rollback returns to it); retire it with force to give that up`, { model, version })
    }
    if (version === ms.stable) throw errors.conflict(`"${version}" is the stable/active version of "${model}"; promote or switch to another version first`, { model, version })
    if (version === ms.candidate) throw errors.conflict(`"${version}" is the canary/preview of "${model}"; roll back first`, { model, version })
    const w = weightOf(ms, version)
    if (w > 0) throw errors.conflict(`"${version}" still takes ${w} basis points of traffic; set its weight to 0 first`, { model, version })
    delete ms.versions[version]
    ms.split = ms.split.filter(e => e.version !== version)
    if (ms.previous === version) ms.previous = null
    if (ms.holdback?.version === version) ms.holdback = null
    return ms
  })
}

/**
 * Sets the share of a version's requests recorded in full (0..1), or clears it
 * with null so the config's sampling rates apply again. Stored in the routing
 * state, so a version registered at runtime (a canary) can be sampled at 100%
 * on every instance (issue 10). The release and seed stay.
 */
export function setSampleRate (model: string, version: string, rate: number | null): Operation {
  return (state) => edit(state, model, (ms) => {
    requireVersion(model, ms, version)
    if (rate === null) {
      delete ms.versions[version]!.sampleRate
      return ms
    }
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw errors.invalid(`sampling rate of "${version}" must be a number from 0 to 1, got ${JSON.stringify(rate)}`, { model, version })
    ms.versions[version]!.sampleRate = rate
    return ms
  })
}

/**
 * Adds and removes replica base URLs of a version (for setups without DNS
 * discovery). Adding a URL the version has, or removing one it lacks, is an
 * error rather than a no-op, so a typo does not pass silently. A version keeps
 * at least one replica unless `allowEmpty` (its replicas also come from DNS).
 */
export function changeReplicas (model: string, version: string, add: readonly string[], remove: readonly string[], allowEmpty = false): Operation {
  return (state) => edit(state, model, (ms) => {
    requireVersion(model, ms, version)
    if (add.length === 0 && remove.length === 0) throw errors.invalid('name at least one replica to add or remove', { model, version })
    const current = ms.versions[version]!.replicas
    for (const url of add) {
      if (!isReplicaUrl(url)) throw errors.invalid(`replica "${url.slice(0, 200)}" is not an http(s) base URL`, { model, version })
      if (current.includes(url)) throw errors.conflict(`version "${version}" of "${model}" already has replica ${url}`, { model, version })
    }
    if (new Set(add).size !== add.length || new Set(remove).size !== remove.length) throw errors.invalid('a replica URL is named twice', { model, version })
    for (const url of remove) {
      if (!current.includes(url)) throw errors.invalid(`version "${version}" of "${model}" has no replica ${url.slice(0, 200)} (have: ${current.join(', ')})`, { model, version })
      if (add.includes(url)) throw errors.invalid(`replica ${url.slice(0, 200)} is both added and removed`, { model, version })
    }
    const next = [...current.filter(u => !remove.includes(u)), ...add]
    if (next.length > MAX_REPLICAS) throw errors.invalid(`a version has at most ${MAX_REPLICAS} replicas; this would make ${next.length}`, { model, version })
    if (next.length === 0 && !allowEmpty) throw errors.conflict(`removing every replica of version "${version}" would leave it none; add others first or retire the version`, { model, version })
    ms.versions[version]!.replicas = next
    return ms
  })
}
