import { describe, expect, it } from 'vitest'
import { kolmogorovQ, ksTwoSample, mannWhitneyHistogram, normalCdf, proportionMsprt, psi, welch } from '../../gateway/release/stats.js'
import { seeded } from '../support/seeded-random.js'

function normals (n: number, mean: number, sd: number, rnd: () => number): number[] {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push(mean + sd * Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd()))
  return out
}

describe('release statistics', () => {
  it('normalCdf matches known quantiles', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6)
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 5)
    expect(normalCdf(-2.326348)).toBeCloseTo(0.01, 5)
  })

  it('mSPRT finds a 5% error rate against 0% within 600 requests, and not an equal rate', () => {
    const bad = proportionMsprt(30, 600, 0, 6000, 0.01, 0.05)
    expect(bad.pValue).toBeLessThan(0.01)
    const same = proportionMsprt(2, 200, 20, 2000, 0.01, 0.05)
    expect(same.pValue).toBe(1)
  })

  it('mSPRT under the null stays above alpha at every look in at least 99% of sequences (always valid)', () => {
    const rnd = seeded(7)
    let crossed = 0
    const runs = 300
    for (let run = 0; run < runs; run++) {
      let eA = 0; let eB = 0; let n = 0
      let ever = false
      for (let look = 0; look < 40; look++) {
        for (let i = 0; i < 50; i++) { n++; if (rnd() < 0.02) eA++; if (rnd() < 0.02) eB++ }
        if (proportionMsprt(eA, n, eB, n, 0, 0.05).pValue <= 0.01) ever = true
      }
      if (ever) crossed++
    }
    expect(crossed / runs).toBeLessThanOrEqual(0.01)
  })

  it('Mann–Whitney over histograms: equal histograms give effect 0.5; a shifted one is significant', () => {
    const same = mannWhitneyHistogram([0, 10, 80, 10, 0], [0, 100, 800, 100, 0])
    expect(same.effect).toBeCloseTo(0.5, 6)
    expect(same.pValue).toBeGreaterThan(0.4)
    const slower = mannWhitneyHistogram([0, 0, 10, 80, 10], [0, 100, 800, 100, 0])
    expect(slower.effect).toBeGreaterThan(0.8)
    expect(slower.pValue).toBeLessThan(1e-6)
  })

  it('Mann–Whitney with all observations tied in one cell has no evidence', () => {
    expect(mannWhitneyHistogram([0, 50, 0], [0, 500, 0]).pValue).toBeCloseTo(0.5, 6)
  })

  it('KS: same distribution is not significant, a shifted one is', () => {
    const rnd = seeded(3)
    expect(ksTwoSample(normals(400, 0, 1, rnd), normals(400, 0, 1, rnd)).pValue).toBeGreaterThan(0.01)
    const shifted = ksTwoSample(normals(400, 0.5, 1, rnd), normals(400, 0, 1, rnd))
    expect(shifted.d).toBeGreaterThan(0.15)
    expect(shifted.pValue).toBeLessThan(1e-4)
    expect(kolmogorovQ(1.36)).toBeCloseTo(0.05, 2)
  })

  it('PSI is near 0 for the same distribution and above 0.2 for a shifted one', () => {
    const rnd = seeded(5)
    expect(psi(normals(2000, 0, 1, rnd), normals(2000, 0, 1, rnd))).toBeLessThan(0.05)
    expect(psi(normals(2000, 0, 1, rnd), normals(2000, 1, 1, rnd))).toBeGreaterThan(0.2)
  })

  it('Welch finds a mean shift of 0.3 sd in 500 samples each', () => {
    const rnd = seeded(9)
    const t = welch(normals(500, 0.3, 1, rnd), normals(500, 0, 1, rnd))
    expect(t.difference).toBeGreaterThan(0.15)
    expect(t.pValue).toBeLessThan(0.001)
  })
})
