/**
 * The shadow results of this instance, in process: the same summary
 * `model-gateway report shadow` reads from ClickHouse, for gateways without a
 * pipeline (the embedded default) and for the rollout controller's pre-traffic
 * evidence there. Counts are exact since start; tolerance agreement, difference
 * and latency quantiles are over the last RECENT pairs per shadow version.
 */
import type { ShadowPair, ShadowPairSink } from '../proxy/shadow.js'

export const RECENT = 10_000
/** Upper bounds of the difference bins; then "> last" and "not comparable". */
export const DIFF_BINS: readonly number[] = Object.freeze([0, 1e-6, 1e-3, 1e-2, 1e-1])
export const DEFAULT_SHADOW_TOLERANCE = 1e-6

export interface ShadowSummary {
  model: string
  shadowVersion: string
  /** Mirrored requests with a pair. */
  pairs: number
  /** Pairs where both sides answered 2xx (the base of the agreement rates). */
  bothAnswered: number
  exactAgreement: number | null
  toleranceAgreement: number | null
  tolerance: number
  /** Pairs per difference bin: [=0, <=1e-6, <=1e-3, <=1e-2, <=1e-1, >1e-1, not comparable]. */
  diffBins: number[]
  diffP50: number | null
  diffP99: number | null
  diffMax: number | null
  primaryP50Ms: number | null
  primaryP99Ms: number | null
  shadowP50Ms: number | null
  shadowP99Ms: number | null
  /** Pairs where the shadow did not answer 2xx. */
  shadowErrors: number
  errors: Array<{ status: number, error: string, n: number }>
}

const MAX_ERROR_KINDS = 20

class Ring {
  readonly #xs = new Float64Array(RECENT)
  #n = 0
  push (x: number): void { this.#xs[this.#n++ % RECENT] = x }
  values (): number[] { return Array.from(this.#xs.subarray(0, Math.min(this.#n, RECENT))) }
}

interface Cell {
  pairs: number
  both: number
  exact: number
  bins: number[]
  shadowErrors: number
  errors: Map<string, { status: number, error: string, n: number }>
  diffs: Ring
  primaryMs: Ring
  shadowMs: Ring
}

const ok = (status: number): boolean => status >= 200 && status < 300

export class ShadowTally implements ShadowPairSink {
  readonly #cells = new Map<string, Cell>()

  pair (p: ShadowPair): void {
    const key = `${p.model}\u0000${p.shadowVersion}`
    let c = this.#cells.get(key)
    if (c === undefined) {
      c = { pairs: 0, both: 0, exact: 0, bins: new Array<number>(DIFF_BINS.length + 2).fill(0), shadowErrors: 0, errors: new Map(), diffs: new Ring(), primaryMs: new Ring(), shadowMs: new Ring() }
      this.#cells.set(key, c)
    }
    c.pairs++
    c.primaryMs.push(p.primaryMs)
    if (ok(p.shadowStatus)) c.shadowMs.push(p.shadowMs)
    else {
      c.shadowErrors++
      const k = `${p.shadowStatus}\u0000${p.shadowError}`
      const e = c.errors.get(k)
      if (e !== undefined) e.n++
      else if (c.errors.size < MAX_ERROR_KINDS) c.errors.set(k, { status: p.shadowStatus, error: p.shadowError, n: 1 })
    }
    if (!ok(p.primaryStatus) || !ok(p.shadowStatus)) return
    c.both++
    if (!p.diff.comparable) {
      c.bins[DIFF_BINS.length + 1]!++
      return
    }
    if (p.diff.exact) c.exact++
    c.diffs.push(p.diff.maxAbsDiff)
    let i = 0
    while (i < DIFF_BINS.length && p.diff.maxAbsDiff > DIFF_BINS[i]!) i++
    c.bins[i]!++
  }

  /** The summary of one shadow version of a model, or null when it was never mirrored here. */
  summary (model: string, version: string, tolerance = DEFAULT_SHADOW_TOLERANCE): ShadowSummary | null {
    const c = this.#cells.get(`${model}\u0000${version}`)
    if (c === undefined) return null
    const diffs = c.diffs.values().sort((a, b) => a - b)
    const recentBoth = Math.min(c.both, RECENT)
    const within = diffs.filter(d => d <= tolerance).length
    const primary = c.primaryMs.values().sort((a, b) => a - b)
    const shadow = c.shadowMs.values().sort((a, b) => a - b)
    return {
      model,
      shadowVersion: version,
      pairs: c.pairs,
      bothAnswered: c.both,
      exactAgreement: c.both === 0 ? null : c.exact / c.both,
      toleranceAgreement: recentBoth === 0 ? null : within / recentBoth,
      tolerance,
      diffBins: [...c.bins],
      diffP50: quantile(diffs, 0.5),
      diffP99: quantile(diffs, 0.99),
      diffMax: diffs.length === 0 ? null : diffs[diffs.length - 1]!,
      primaryP50Ms: quantile(primary, 0.5),
      primaryP99Ms: quantile(primary, 0.99),
      shadowP50Ms: quantile(shadow, 0.5),
      shadowP99Ms: quantile(shadow, 0.99),
      shadowErrors: c.shadowErrors,
      errors: [...c.errors.values()].sort((a, b) => b.n - a.n).map(e => ({ ...e }))
    }
  }
}

/** Nearest-rank quantile of sorted values. */
function quantile (sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}
