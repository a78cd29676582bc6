/**
 * Canary against stable over the same window: each check turns the window's
 * data into pass, fail or inconclusive with the figures behind it. Pure.
 *
 * - errors: one-sided mSPRT on the difference of 5xx rates (always valid, so
 *   looking every interval does not inflate false failures);
 * - latency: canary/stable quantile ratios from the histograms, and a
 *   Mann–Whitney U test over the histogram cells (ties handled); fails only when
 *   a ratio is over its tolerance AND the rank test is significant;
 * - outputs: PSI and two-sample KS on the watched prediction, and the mean
 *   shift (Welch); fails when PSI is over its threshold and KS is significant,
 *   or the mean moved by more than its tolerance and the shift is significant.
 * - outcomes: labels or business values of matured requests, an always-valid
 *   mSPRT on the difference of the metric (outcomes-check.ts, registered there).
 * Which checks run, and with what alpha, comes from the plan through the check
 * registry (check-registry.ts); the built-in kinds register in builtin-checks.ts.
 */
import { histogramQuantile } from '../sink/report.js'
import { checkKind, type CheckResult } from './check-registry.js'
import { ksTwoSample, mannWhitneyHistogram, proportionMsprt, psi, welch } from './stats.js'
import type { WindowData } from './source.js'
import type { OutcomesCheck } from './outcomes-check.js'

export type { CheckResult, Verdict } from './check-registry.js'

export interface ErrorsCheck {
  /** Canary error rate may exceed stable's by this much (absolute, 0.005 = half a point) before it counts as worse. */
  maxIncrease: number
  minRequests: number
}
export interface LatencyCheck {
  /** Highest allowed canary/stable ratio per quantile, e.g. { p50: 1.5, p95: 2 }. */
  maxRatio: Record<string, number>
  /** A quantile also has to be this many ms slower than stable's to count (a 2 ms vs 4 ms answer is not a regression). */
  minIncreaseMs: number
  minRequests: number
}
export interface OutputsCheck {
  /** Output tensor name in the OIP response (outputs[].name); null: the first output. */
  output: string | null
  /** Element of that output's data to watch (0: the first row's prediction). */
  index: number
  maxPsi: number
  /** Largest tolerated absolute difference of the mean prediction. */
  maxMeanShift: number
  minSamples: number
}

/** The enabled checks of a plan, by kind name, each with its validated settings. */
export interface Checks {
  errors?: ErrorsCheck
  latency?: LatencyCheck
  outputs?: OutputsCheck
  outcomes?: OutcomesCheck
  [kind: string]: unknown
}

/** Alpha of one test, already split over the enabled checks: per window for sequential tests, per look for the others. */
export interface Alphas {
  sequential: number
  perLook: number
}

/** Scale of the normal mixture over the error-rate difference (Johari et al. suggest the size of effects that matter). */
export const ERROR_MIXTURE_TAU = 0.05

export function analyse (checks: Checks, data: WindowData, alphas: Alphas): CheckResult[] {
  const out: CheckResult[] = []
  for (const [name, config] of Object.entries(checks)) {
    const kind = checkKind(name)
    if (kind === undefined || config === undefined) continue
    out.push(kind.run(config, data, kind.sequential ? alphas.sequential : alphas.perLook))
  }
  return out
}

export function errorsCheck (c: ErrorsCheck, d: WindowData, alpha: number): CheckResult {
  const s = d.stable
  const k = d.canary
  const t = proportionMsprt(k.errors, k.requests, s.errors, s.requests, c.maxIncrease, ERROR_MIXTURE_TAU)
  const rate = (e: number, n: number): number | null => n === 0 ? null : e / n
  const figures = {
    canaryRequests: k.requests,
    stableRequests: s.requests,
    canaryErrorRate: rate(k.errors, k.requests),
    stableErrorRate: rate(s.errors, s.requests),
    pValue: t.pValue,
    alpha
  }
  const text = `canary ${pct(figures.canaryErrorRate)} of ${k.requests} vs stable ${pct(figures.stableErrorRate)} of ${s.requests}, always-valid p=${fmt(t.pValue)} (alpha ${fmt(alpha)})`
  // A significant excess fails at once, even below the minimum sample: the test is valid at any size.
  if (t.pValue <= alpha) return { check: 'errors', verdict: 'fail', summary: `${text}: canary errors more`, figures }
  if (k.requests < c.minRequests || s.requests < c.minRequests) return { check: 'errors', verdict: 'inconclusive', summary: `${text}: needs ${c.minRequests} requests per version`, figures }
  return { check: 'errors', verdict: 'pass', summary: `${text}: not more errors than stable beyond +${pct(c.maxIncrease)} (p above alpha)`, figures }
}

export function latencyCheck (c: LatencyCheck, d: WindowData, alpha: number): CheckResult {
  const s = d.stable
  const k = d.canary
  const mw = mannWhitneyHistogram(k.latency, s.latency)
  const figures: Record<string, number | null> = { canaryRequests: k.requests, stableRequests: s.requests, rankEffect: nan(mw.effect), pValue: mw.pValue, alpha }
  const over: string[] = []
  const parts: string[] = []
  for (const [q, max] of Object.entries(c.maxRatio)) {
    const p = Number(q.slice(1)) / 100
    const kq = histogramQuantile(k.latency, p)
    const sq = histogramQuantile(s.latency, p)
    // A stable quantile of 0 ms (all in the first cell) would make any ratio infinite: floor at 0.5 ms.
    const ratio = Number.isNaN(kq) || Number.isNaN(sq) ? NaN : kq / Math.max(sq, 0.5)
    figures[`canary_${q}_ms`] = nan(kq)
    figures[`stable_${q}_ms`] = nan(sq)
    figures[`ratio_${q}`] = nan(ratio)
    parts.push(`${q} ${fmt(kq)} vs ${fmt(sq)} ms (x${fmt(ratio)}, max x${max})`)
    if (ratio > max && kq - sq > c.minIncreaseMs) over.push(q)
  }
  const text = `${parts.join(', ')}, +${c.minIncreaseMs} ms at least; rank test p=${fmt(mw.pValue)} (alpha ${fmt(alpha)})`
  if (k.requests < c.minRequests || s.requests < c.minRequests) return { check: 'latency', verdict: 'inconclusive', summary: `${text}: needs ${c.minRequests} requests per version`, figures }
  if (over.length > 0 && mw.pValue <= alpha) return { check: 'latency', verdict: 'fail', summary: `${text}: canary slower at ${over.join(', ')}`, figures }
  const why = over.length === 0 ? `every quantile within its ratio or ${c.minIncreaseMs} ms of stable` : `${over.join(', ')} over the ratio but the rank test is not significant (p above alpha): noise, not a slower canary`
  return { check: 'latency', verdict: 'pass', summary: `${text}: ${why}`, figures }
}

export function outputsCheck (c: OutputsCheck, d: WindowData, alpha: number): CheckResult {
  const s = d.stable.outputs
  const k = d.canary.outputs
  const p = psi(s, k)
  const ks = ksTwoSample(k, s)
  const w = welch(k, s)
  const figures = { canarySamples: k.length, stableSamples: s.length, psi: nan(p), ksD: ks.d, ksPValue: ks.pValue, canaryMean: nan(w.meanA), stableMean: nan(w.meanB), meanShift: nan(w.difference), meanPValue: w.pValue, alpha }
  const text = `PSI ${fmt(p)} (max ${c.maxPsi}), KS D=${fmt(ks.d)} p=${fmt(ks.pValue)}, mean ${fmt(w.meanA)} vs ${fmt(w.meanB)} (shift ${fmt(w.difference)}, max ${c.maxMeanShift}, p=${fmt(w.pValue)}); alpha ${fmt(alpha)}`
  if (k.length < c.minSamples || s.length < c.minSamples) return { check: 'outputs', verdict: 'inconclusive', summary: `${text}: needs ${c.minSamples} sampled outputs per version (have ${k.length} and ${s.length})`, figures }
  const shifted = p > c.maxPsi && ks.pValue <= alpha
  const moved = Math.abs(w.difference) > c.maxMeanShift && w.pValue <= alpha
  if (shifted || moved) return { check: 'outputs', verdict: 'fail', summary: `${text}: canary predictions ${shifted ? 'distribution shifted' : 'mean moved'}`, figures }
  const notes: string[] = []
  if (p > c.maxPsi) notes.push('PSI over its max but KS not significant')
  if (Math.abs(w.difference) > c.maxMeanShift) notes.push('mean shift over its max but not significant')
  return { check: 'outputs', verdict: 'pass', summary: `${text}: ${notes.length === 0 ? 'distribution and mean within their limits' : `${notes.join('; ')}, so not a real change`}`, figures }
}

function nan (x: number): number | null {
  return Number.isFinite(x) ? x : null
}

function pct (x: number | null): string {
  return x === null ? '-' : `${(x * 100).toFixed(2)}%`
}

export function fmt (x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '-'
  if (x !== 0 && Math.abs(x) < 0.001) return x.toExponential(1)
  return String(Math.round(x * 1000) / 1000)
}
