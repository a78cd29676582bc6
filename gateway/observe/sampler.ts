/**
 * Which requests are recorded in full. Pure: the decision depends only on the
 * model's sampling rates, the version and the request id, so a retry that
 * carries the same x-request-id is sampled the same way on every instance.
 *
 * The rule that keeps `sum(1 / sample_rate)` unbiased: a record's
 * sample_rate is the probability that a request like it is recorded at all.
 * - alwaysSampleErrors on and the request is an error: it is recorded whatever
 *   its hash, so its rate is 1 (also when its hash falls inside the sample —
 *   storing the version's rate there made each such error stand for 1/rate).
 * - otherwise: recorded when its hash falls in the version's sample, at that rate.
 * Each request is decided once, so it is never recorded under both rules.
 *
 * Rates per version: the rate an operator set at runtime (routing state,
 * `model-gateway sampling`) wins over the config's sampling.versions, which wins
 * over the model's sampling.rate.
 */
import { murmur3 } from '../routing/murmur.js'
import type { ResolvedModel } from '../config/load.js'
import type { RoutingState } from '../state/routing-state.js'

/** Seed of the request-id hash; fixed so every instance decides alike. */
export const SAMPLE_HASH_SEED = 0x5a3c_e1d7
const TWO_32 = 4_294_967_296

interface RateRule {
  rate: number
  /** hash < threshold means sampled; precomputed as floor(rate * 2^32). */
  threshold: number
}

interface ModelRules {
  base: RateRule
  /** From the config's sampling.versions. */
  configured: Map<string, RateRule>
  /** The config's rules overlaid with the routing state's runtime rates. */
  versions: Map<string, RateRule>
  alwaysSampleErrors: boolean
  captureBodies: boolean
  maxBodyBytes: number
}

/** What the sampler decided; `rate` is stored on the record (1 for an error recorded because errors always are). */
export interface SampleDecision {
  rate: number
  captureBodies: boolean
  maxBodyBytes: number
}

function rule (rate: number): RateRule {
  return { rate, threshold: Math.floor(rate * TWO_32) }
}

export function isError (status: number, errorCode: string | null): boolean {
  return status >= 400 || status < 100 || errorCode !== null
}

export class Sampler {
  readonly #models = new Map<string, ModelRules>()

  constructor (models: Record<string, Pick<ResolvedModel, 'sampling'>>) {
    for (const [name, m] of Object.entries(models)) {
      const s = m.sampling
      const versions = new Map<string, RateRule>()
      for (const [v, r] of Object.entries(s.versions)) versions.set(v, rule(r))
      this.#models.set(name, {
        base: rule(s.rate),
        configured: versions,
        versions,
        alwaysSampleErrors: s.alwaysSampleErrors,
        captureBodies: s.captureBodies,
        maxBodyBytes: s.maxBodyBytes
      })
    }
  }

  /**
   * Takes the per-version rates stored in the routing state (set through the
   * admin API at runtime); called with every new state. A version without a
   * stored rate falls back to the config.
   */
  applyState (state: RoutingState): void {
    for (const [name, m] of this.#models) {
      const ms = state.models[name]
      const next = new Map(m.configured)
      for (const [v, vs] of Object.entries(ms?.versions ?? {})) {
        if (typeof vs.sampleRate === 'number') next.set(v, rule(vs.sampleRate))
      }
      // One assignment: a request on another tick sees the old map or the new one, never a mix.
      m.versions = next
    }
  }

  /** The rate that applies to a version's non-error requests. */
  rateOf (model: string, version: string | null): number | null {
    const m = this.#models.get(model)
    if (m === undefined) return null
    return ((version === null ? undefined : m.versions.get(version)) ?? m.base).rate
  }

  /** The decision objects are shared and frozen; null means "do not record". */
  decide (model: string, version: string | null, requestId: string, status: number, errorCode: string | null): SampleDecision | null {
    const m = this.#models.get(model)
    // Models the config does not declare (e.g. a 404 for an unknown name) are counted in rollups only.
    if (m === undefined) return null
    // Checked first: an error is recorded with certainty, so it must carry rate 1 even when its hash is in the sample.
    if (m.alwaysSampleErrors && isError(status, errorCode)) return this.#decision(m, 1)
    const r = (version === null ? undefined : m.versions.get(version)) ?? m.base
    if (r.rate >= 1 || (r.rate > 0 && murmur3(requestId, SAMPLE_HASH_SEED) < r.threshold)) return this.#decision(m, r.rate)
    return null
  }

  #cache = new Map<ModelRules, Map<number, SampleDecision>>()

  #decision (m: ModelRules, rate: number): SampleDecision {
    let byRate = this.#cache.get(m)
    if (byRate === undefined) this.#cache.set(m, byRate = new Map())
    let d = byRate.get(rate)
    if (d === undefined) byRate.set(rate, d = Object.freeze({ rate, captureBodies: m.captureBodies, maxBodyBytes: m.maxBodyBytes }))
    return d
  }
}
