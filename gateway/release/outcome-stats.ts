/**
 * The sequential test behind the outcomes check and the experiment: a
 * mixture sequential probability ratio test (mSPRT; Johari, Pekelis, Walsh,
 * "Always valid inference", 2017) on the difference of two means, the same
 * construction as the error check's test on proportions (stats.ts), with the
 * normal approximation of the difference and a normal mixture N(0, tau²) over
 * it. Its p-value stays valid however often the controller looks, so an
 * experiment can run until the data decide, without a fixed sample size.
 */
import type { Sample } from '../outcomes/metrics.js'

export interface MeanTest {
  /** a.mean - b.mean. */
  difference: number
  likelihoodRatio: number
  /** min(1, 1 / likelihoodRatio). */
  pValue: number
}

/**
 * Evidence that a's mean exceeds b's by more than `margin` (one-sided: none when
 * it does not). Bernoulli samples (0/1 per request) get half a pseudo-count per
 * side in the variance, so a version at 0% or 100% still has one.
 */
export function meanMsprt (a: Sample, b: Sample, margin: number, tau: number, bernoulli: boolean): MeanTest {
  if (a.n < 2 || b.n < 2 || Number.isNaN(a.mean) || Number.isNaN(b.mean)) return { difference: NaN, likelihoodRatio: 1, pValue: 1 }
  const varOf = (s: Sample): number => {
    if (!bernoulli) return Math.max(s.variance, 1e-12)
    const p = (s.mean * s.n + 0.5) / (s.n + 1)
    return p * (1 - p)
  }
  const v = varOf(a) / a.n + varOf(b) / b.n
  const difference = a.mean - b.mean
  const theta = difference - margin
  if (theta <= 0) return { difference, likelihoodRatio: 1, pValue: 1 }
  const t2 = tau * tau
  const lr = Math.sqrt(v / (v + t2)) * Math.exp(theta * theta * t2 / (2 * v * (v + t2)))
  return { difference, likelihoodRatio: lr, pValue: Math.min(1, 1 / lr) }
}
