/**
 * decide: the whole routing decision for one request, as one pure function of
 * the model's routing snapshot and the request's facts. Explicit version, the
 * version header override, sticky or weighted choice, replica choice and the
 * fallback to stable all live here, where property tests reach them
 * (test/unit/routing-decide.test.ts). No HTTP, no pools, no I/O.
 */
import type { ModelRoute, VersionRoute } from './snapshot.js'
import { selectVersion } from './select-version.js'
import { pickReplica, type ReplicaLike } from './pick-replica.js'
import type { Transport } from '../state/names.js'

/** What the request says that routing needs; the caller reads it off the wire. */
export interface RequestFacts {
  readonly stickyKey: string | undefined
  /** From the URL (`/v2/models/{m}/versions/{v}/…`). */
  readonly explicitVersion: string | undefined
  /** From the version header; honoured only when the model allows it and the URL names none. */
  readonly headerVersion: string | undefined
  /** The request's segment (models with segments); a canary limited to segments needs it. */
  readonly segment?: string | undefined
  /** The request's protocol: a replica is picked among the version's replicas that speak it (default REST). */
  readonly transport?: Transport
}

export type Decision<R> =
  /** Send to `replica` of `version`; `fallbackFrom` is the version first chosen when stable stands in for it. */
  | { readonly kind: 'route', readonly version: VersionRoute<R>, readonly replica: R, readonly fallbackFrom: VersionRoute<R> | null }
  /** An explicit version the model does not have. */
  | { readonly kind: 'unknown-version', readonly version: string }
  /** The chosen version (and stable, when fallback applies) has no available replica. */
  | { readonly kind: 'no-replica', readonly version: VersionRoute<R> }

/** The version a request names explicitly: the URL's, else the header's where the model allows it; undefined when routed. */
export function explicitVersionOf (model: Pick<ModelRoute<unknown>, 'cfg'>, facts: Omit<RequestFacts, 'stickyKey'>): string | undefined {
  if (facts.explicitVersion !== undefined) return facts.explicitVersion
  return model.cfg.allowVersionHeader && facts.headerVersion !== undefined && facts.headerVersion !== '' ? facts.headerVersion : undefined
}

export function decide<R extends ReplicaLike> (model: ModelRoute<R>, facts: RequestFacts, random: () => number = Math.random): Decision<R> {
  const explicit = explicitVersionOf(model, facts)
  const version = selectVersion(model, facts.stickyKey, explicit, random, facts.segment)
  if (version === undefined) return { kind: 'unknown-version', version: explicit! }
  const transport = facts.transport ?? 'rest'
  const replica = pickReplica(version.byTransport[transport], undefined, random)
  if (replica !== undefined) return { kind: 'route', version, replica, fallbackFrom: null }
  if (model.cfg.fallbackToStable && version !== model.stable) {
    const standIn = pickReplica(model.stable.byTransport[transport], undefined, random)
    if (standIn !== undefined) return { kind: 'route', version: model.stable, replica: standIn, fallbackFrom: version }
  }
  return { kind: 'no-replica', version }
}
