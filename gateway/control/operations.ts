/**
 * The operator's verbs as pure functions over the routing state. Each returns a
 * new state with revision + 1 and never touches its input; invalid requests throw
 * a GatewayError (unknown model/version 404, invalid argument 400, conflict 409).
 * The stores run these inside their compare-and-set, so the same code decides on
 * every instance and in the tests.
 */
import { type SplitEntry, TOTAL_BP } from '../state/split.js'
import type { UpstreamName } from '../state/routing-state.js'
import { isReplicaUrl, MAX_REPLICAS, NAME_RE as VERSION_NAME } from '../state/names.js'
import { errors } from '../errors.js'
import { canaryOf, checkWeight, edit, newRelease, requireVersion, switchTo, weightOf, type Operation } from './model-edit.js'

export { edit, type Operation } from './model-edit.js'
export { promote, rollback, switchActive, type Hold } from './promotion.js'

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

/** Adds a version with its replicas at 0% traffic. A blue-green model without a preview takes it as its preview. */
export function registerVersion (model: string, version: string, replicas: readonly string[], upstream?: UpstreamName): Operation {
  return (state) => edit(state, model, (ms) => {
    if (!VERSION_NAME.test(version)) throw errors.invalid(`version name "${version.slice(0, 140)}" must match ${VERSION_NAME.source}`, { model })
    if (ms.versions[version] !== undefined) throw errors.conflict(`model "${model}" already has version "${version}"`, { model, version })
    if (replicas.length === 0 || replicas.length > MAX_REPLICAS) throw errors.invalid(`a version needs 1 to ${MAX_REPLICAS} replicas, got ${replicas.length}`, { model, version })
    for (const url of replicas) {
      if (!isReplicaUrl(url)) throw errors.invalid(`replica "${url.slice(0, 200)}" is not an http(s) or grpc(s) base URL`, { model, version })
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
 * on every instance. The release and seed stay.
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
      if (!isReplicaUrl(url)) throw errors.invalid(`replica "${url.slice(0, 200)}" is not an http(s) or grpc(s) base URL`, { model, version })
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
