/**
 * The statistics behind canary analysis, as pure functions over counts and
 * samples. Nothing here knows about requests, rollups or plans.
 *
 * Sequential looks ("checking every interval must not raise the
 * false-rollback rate"):
 * - error rates use an always-valid p-value from a mixture sequential
 *   probability ratio test (mSPRT; Johari, Pekelis, Walsh, "Always valid
 *   inference", 2017): the probability that it ever crosses 1/alpha under the
 *   null, however often it is looked at, is at most alpha;
 * - the rank, KS and mean tests are fixed-sample tests; the analysis runs them
 *   at alpha divided by the most looks a plan can take (Bonferroni over looks),
 *   which bounds the chance that any look fails a good canary by alpha.
 */

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf; error < 1.5e-7). */
export function normalCdf (z: number): number {
  const x = Math.abs(z) / Math.SQRT2
  const t = 1 / (1 + 0.3275911 * x)
  const y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x)
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y)
}

export interface ProportionTest {
  /** Canary minus stable rate. */
  difference: number
  /** Mixture likelihood ratio for "canary rate exceeds stable rate + tolerance". */
  likelihoodRatio: number
  /** min(1, 1 / likelihoodRatio): always valid under continuous monitoring. */
  pValue: number
}

/**
 * One-sided mSPRT for the difference of two proportions (canary worse than
 * stable by more than `tolerance`), with a normal mixing distribution N(0, tau^2)
 * on the difference and the normal approximation of its estimate. Counts get
 * half a pseudo-count each (Agresti–Caffo) so that zero errors on both sides
 * still has a variance.
 */
export function proportionMsprt (errA: number, nA: number, errB: number, nB: number, tolerance: number, tau: number): ProportionTest {
  if (nA <= 0 || nB <= 0) return { difference: NaN, likelihoodRatio: 1, pValue: 1 }
  const pA = errA / nA
  const pB = errB / nB
  const sA = (errA + 0.5) / (nA + 1)
  const sB = (errB + 0.5) / (nB + 1)
  const v = sA * (1 - sA) / nA + sB * (1 - sB) / nB
  const theta = pA - pB - tolerance
  // One-sided: evidence only counts when the canary is worse.
  if (theta <= 0) return { difference: pA - pB, likelihoodRatio: 1, pValue: 1 }
  const t2 = tau * tau
  const lr = Math.sqrt(v / (v + t2)) * Math.exp(theta * theta * t2 / (2 * v * (v + t2)))
  return { difference: pA - pB, likelihoodRatio: lr, pValue: Math.min(1, 1 / lr) }
}

export interface RankTest {
  /** Probability that a canary observation exceeds a stable one (ties count half). */
  effect: number
  z: number
  /** One-sided: canary stochastically larger (slower). */
  pValue: number
}

/**
 * Mann–Whitney U over two histograms with the same cells. Every observation in
 * one cell ties with every other in it: ranks are midranks and the variance
 * carries the tie correction.
 */
export function mannWhitneyHistogram (canary: readonly number[], stable: readonly number[]): RankTest {
  const n1 = sum(canary)
  const n2 = sum(stable)
  if (n1 === 0 || n2 === 0) return { effect: NaN, z: 0, pValue: 1 }
  let u = 0
  let below = 0
  let ties = 0
  for (let i = 0; i < Math.max(canary.length, stable.length); i++) {
    const a = canary[i] ?? 0
    const b = stable[i] ?? 0
    u += a * (below + 0.5 * b)
    below += b
    const t = a + b
    ties += t * t * t - t
  }
  const n = n1 + n2
  const mean = n1 * n2 / 2
  const variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
  const z = variance <= 0 ? 0 : (u - mean) / Math.sqrt(variance)
  return { effect: u / (n1 * n2), z, pValue: 1 - normalCdf(z) }
}

export interface KsTest {
  d: number
  pValue: number
}

/** Two-sample Kolmogorov–Smirnov with the asymptotic p-value (Stephens' small-sample adjustment). */
export function ksTwoSample (a: readonly number[], b: readonly number[]): KsTest {
  if (a.length === 0 || b.length === 0) return { d: 0, pValue: 1 }
  const x = [...a].sort((p, q) => p - q)
  const y = [...b].sort((p, q) => p - q)
  let i = 0
  let j = 0
  let d = 0
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!)
    while (i < x.length && x[i]! <= v) i++
    while (j < y.length && y[j]! <= v) j++
    d = Math.max(d, Math.abs(i / x.length - j / y.length))
  }
  const ne = x.length * y.length / (x.length + y.length)
  const lambda = (Math.sqrt(ne) + 0.12 + 0.11 / Math.sqrt(ne)) * d
  return { d, pValue: kolmogorovQ(lambda) }
}

/** P(K > lambda) for the Kolmogorov distribution. */
export function kolmogorovQ (lambda: number): number {
  if (lambda < 0.2) return 1
  let s = 0
  for (let k = 1; k <= 100; k++) {
    const term = 2 * (k % 2 === 1 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda)
    s += term
    if (Math.abs(term) < 1e-12) break
  }
  return Math.max(0, Math.min(1, s))
}

/**
 * Population stability index of `actual` against `expected`, over `bins` bins
 * cut at the quantiles of `expected` (so each holds about the same share of the
 * baseline). Empty bins get a small floor so the logarithm stays finite.
 */
export function psi (expected: readonly number[], actual: readonly number[], bins = 10): number {
  if (expected.length === 0 || actual.length === 0) return NaN
  const sorted = [...expected].sort((p, q) => p - q)
  const edges: number[] = []
  for (let k = 1; k < bins; k++) {
    const e = sorted[Math.min(sorted.length - 1, Math.floor(k * sorted.length / bins))]!
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e)
  }
  const share = (xs: readonly number[]): number[] => {
    const c = new Array<number>(edges.length + 1).fill(0)
    for (const x of xs) {
      let k = 0
      while (k < edges.length && x >= edges[k]!) k++
      c[k]!++
    }
    return c.map(v => Math.max(v / xs.length, 1e-4))
  }
  const e = share(expected)
  const a = share(actual)
  let out = 0
  for (let k = 0; k < e.length; k++) out += (a[k]! - e[k]!) * Math.log(a[k]! / e[k]!)
  return out
}

export interface MeanTest {
  meanA: number
  meanB: number
  difference: number
  /** Two-sided Welch test, normal approximation (samples here are hundreds). */
  pValue: number
}

export function welch (a: readonly number[], b: readonly number[]): MeanTest {
  const ma = mean(a)
  const mb = mean(b)
  if (a.length < 2 || b.length < 2) return { meanA: ma, meanB: mb, difference: ma - mb, pValue: 1 }
  const se = Math.sqrt(variance(a, ma) / a.length + variance(b, mb) / b.length)
  const z = se === 0 ? (ma === mb ? 0 : Infinity) : (ma - mb) / se
  return { meanA: ma, meanB: mb, difference: ma - mb, pValue: 2 * (1 - normalCdf(Math.abs(z))) }
}

export function sum (xs: readonly number[]): number {
  let s = 0
  for (const x of xs) s += x
  return s
}

export function mean (xs: readonly number[]): number {
  return xs.length === 0 ? NaN : sum(xs) / xs.length
}

function variance (xs: readonly number[], m: number): number {
  let s = 0
  for (const x of xs) s += (x - m) * (x - m)
  return s / (xs.length - 1)
}
