/**
 * Which requests are recorded in full. Pure: the decision depends only on the
 * model's sampling config, the version and the request id, so a retry that
 * carries the same x-request-id is sampled the same way on every instance.
 */
import murmurhash from 'murmurhash'
import type { ResolvedModel } from '../config/load.js'

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
        versions,
        alwaysSampleErrors: s.alwaysSampleErrors,
        captureBodies: s.captureBodies,
        maxBodyBytes: s.maxBodyBytes
      })
    }
  }

  /** The decision objects are shared and frozen; null means "do not record". */
  decide (model: string, version: string | null, requestId: string, status: number, errorCode: string | null): SampleDecision | null {
    const m = this.#models.get(model)
    // Models the config does not declare (e.g. a 404 for an unknown name) are counted in rollups only.
    if (m === undefined) return null
    const r = (version === null ? undefined : m.versions.get(version)) ?? m.base
    if (r.rate >= 1 || (r.rate > 0 && murmurhash.v3(requestId, SAMPLE_HASH_SEED) < r.threshold)) return this.#decision(m, r.rate)
    if (m.alwaysSampleErrors && isError(status, errorCode)) return this.#decision(m, 1)
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
