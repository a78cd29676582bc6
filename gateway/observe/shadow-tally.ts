/**
 * The shadow results of this instance, in process: the same summary
 * `model-gateway report shadow` reads from ClickHouse, for gateways without a
 * pipeline (the embedded default) and for the rollout controller's pre-traffic
 * evidence there. Counts are exact since start; tolerance agreement, difference
 * and latency quantiles are over the last RECENT pairs per shadow version. A
 * summary `since` a time (a rollout's shadow step) is computed from those RECENT
 * pairs alone.
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

/** What a summary since a time needs of one pair. */
interface Recent {
  at: number
  primaryOk: boolean
  shadowStatus: number
  shadowError: string
  comparable: boolean
  exact: boolean
  diff: number
  primaryMs: number
  shadowMs: number
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
  recent: Recent[]
  next: number
}

const ok = (status: number): boolean => status >= 200 && status < 300

export class ShadowTally implements ShadowPairSink {
  readonly #cells = new Map<string, Cell>()

  pair (p: ShadowPair): void {
    const key = `${p.model}\u0000${p.shadowVersion}`
    let c = this.#cells.get(key)
    if (c === undefined) {
      c = { pairs: 0, both: 0, exact: 0, bins: new Array<number>(DIFF_BINS.length + 2).fill(0), shadowErrors: 0, errors: new Map(), diffs: new Ring(), primaryMs: new Ring(), shadowMs: new Ring(), recent: [], next: 0 }
      this.#cells.set(key, c)
    }
    c.pairs++
    const r: Recent = { at: p.startedAt, primaryOk: ok(p.primaryStatus), shadowStatus: p.shadowStatus, shadowError: p.shadowError, comparable: p.diff.comparable, exact: p.diff.exact, diff: p.diff.maxAbsDiff, primaryMs: p.primaryMs, shadowMs: p.shadowMs }
    if (c.recent.length < RECENT) c.recent.push(r)
    else c.recent[c.next] = r
    c.next = (c.next + 1) % RECENT
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

  /**
   * The summary of one shadow version of a model, or null when it was never
   * mirrored here; with `since` (epoch ms), of the recent pairs from then on.
   */
  summary (model: string, version: string, tolerance = DEFAULT_SHADOW_TOLERANCE, since?: number): ShadowSummary | null {
    const c = this.#cells.get(`${model}\u0000${version}`)
    if (c === undefined) return null
    if (since !== undefined) return summaryOf(model, version, tolerance, c.recent.filter(r => r.at >= since))
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

function summaryOf (model: string, version: string, tolerance: number, list: readonly Recent[]): ShadowSummary {
  const both = list.filter(r => r.primaryOk && ok(r.shadowStatus))
  const compared = both.filter(r => r.comparable)
  const diffs = compared.map(r => r.diff).sort((a, b) => a - b)
  const bins = new Array<number>(DIFF_BINS.length + 2).fill(0)
  bins[DIFF_BINS.length + 1] = both.length - compared.length
  for (const d of diffs) {
    let i = 0
    while (i < DIFF_BINS.length && d > DIFF_BINS[i]!) i++
    bins[i]!++
  }
  const errors = new Map<string, { status: number, error: string, n: number }>()
  for (const r of list) {
    if (ok(r.shadowStatus)) continue
    const k = `${r.shadowStatus}\u0000${r.shadowError}`
    const e = errors.get(k)
    if (e !== undefined) e.n++
    else if (errors.size < MAX_ERROR_KINDS) errors.set(k, { status: r.shadowStatus, error: r.shadowError, n: 1 })
  }
  const sorted = (xs: number[]): number[] => xs.sort((a, b) => a - b)
  const primary = sorted(list.map(r => r.primaryMs))
  const shadow = sorted(list.filter(r => ok(r.shadowStatus)).map(r => r.shadowMs))
  return {
    model,
    shadowVersion: version,
    pairs: list.length,
    bothAnswered: both.length,
    exactAgreement: both.length === 0 ? null : both.filter(r => r.exact).length / both.length,
    toleranceAgreement: both.length === 0 ? null : diffs.filter(d => d <= tolerance).length / both.length,
    tolerance,
    diffBins: bins,
    diffP50: quantile(diffs, 0.5),
    diffP99: quantile(diffs, 0.99),
    diffMax: diffs.length === 0 ? null : diffs[diffs.length - 1]!,
    primaryP50Ms: quantile(primary, 0.5),
    primaryP99Ms: quantile(primary, 0.99),
    shadowP50Ms: quantile(shadow, 0.5),
    shadowP99Ms: quantile(shadow, 0.99),
    shadowErrors: list.length - list.filter(r => ok(r.shadowStatus)).length,
    errors: [...errors.values()].sort((a, b) => b.n - a.n)
  }
}

/** Nearest-rank quantile of sorted values. */
function quantile (sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}
