/**
 * Quotas per (application, model), enforced by each instance alone: a token
 * bucket per pair holding this instance's share of the fleet's budget, the
 * rate and burst divided by the number of instances alive (read from the
 * instance registry off the request path, see component.ts). A request costs
 * a Map lookup and some arithmetic; nothing waits on Redis. The price: a
 * client that reaches only some instances gets only their shares.
 */
import type { Quota } from '../state/access-state.js'

export class TokenBucket {
  #rate = 0
  #burst = 1
  #tokens = 0
  #last: number

  constructor (quota: Quota, instances: number, now: number) {
    this.resize(quota, instances)
    this.#tokens = this.#burst
    this.#last = now
  }

  get rate (): number { return this.#rate }
  get burst (): number { return this.#burst }

  /** This instance's share of a fleet quota; the tokens held stay (at most the new burst). */
  resize (quota: Quota, instances: number): void {
    const n = Math.max(1, instances)
    this.#rate = quota.rps / n
    // At least one request must fit, however many instances share a small burst.
    this.#burst = Math.max(1, quota.burst / n)
    if (this.#tokens > this.#burst) this.#tokens = this.#burst
  }

  /** Takes one token: 0 when the request may go, else the whole seconds until a token is back. */
  take (now: number): number {
    const t = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#rate / 1000)
    this.#last = now
    if (t >= 1) {
      this.#tokens = t - 1
      return 0
    }
    this.#tokens = t
    return Math.max(1, Math.ceil((1 - t) / this.#rate))
  }
}

/** The buckets of every (application, model) pair that has a quota; they outlive access-state changes. */
export class QuotaBuckets {
  /** application -> model -> bucket */
  readonly #buckets = new Map<string, Map<string, { bucket: TokenBucket, quota: Quota }>>()
  #instances = 1

  get instances (): number {
    return this.#instances
  }

  /** A new count of instances alive: every bucket takes its new share. */
  setInstances (n: number): void {
    const count = Math.max(1, Math.floor(n))
    if (count === this.#instances) return
    this.#instances = count
    for (const byModel of this.#buckets.values()) for (const b of byModel.values()) b.bucket.resize(b.quota, count)
  }

  /** The bucket for a pair (made on first use; resized when the quota changed). */
  bucket (application: string, model: string, quota: Quota, now: number): TokenBucket {
    let byModel = this.#buckets.get(application)
    if (byModel === undefined) this.#buckets.set(application, byModel = new Map())
    const b = byModel.get(model)
    if (b !== undefined) {
      if (b.quota !== quota && (b.quota.rps !== quota.rps || b.quota.burst !== quota.burst)) b.bucket.resize(quota, this.#instances)
      b.quota = quota
      return b.bucket
    }
    const bucket = new TokenBucket(quota, this.#instances, now)
    byModel.set(model, { bucket, quota })
    return bucket
  }

  /** Drops the buckets of applications that are gone. */
  retain (applications: ReadonlySet<string>): void {
    for (const a of this.#buckets.keys()) if (!applications.has(a)) this.#buckets.delete(a)
  }
}
