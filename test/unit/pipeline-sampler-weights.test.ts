import { describe, expect, it } from 'vitest'
import { Sampler } from '../../gateway/observe/sampler.js'
import { seeded } from '../support/seeded-random.js'

// Issue 10: weighting each record by 1 / sample_rate must estimate the true
// number of requests, errors and non-errors alike. Errors are recorded with
// certainty (alwaysSampleErrors), so they must carry rate 1 even when their
// hash also falls inside the version's sample.

function cfg (rate: number, versions: Record<string, number> = {}) {
  return { fraud: { sampling: { rate, versions, alwaysSampleErrors: true, captureBodies: false, maxBodyBytes: 0 } } }
}

interface Tally { errors: number, ok: number, weightedErrors: number, weightedOk: number }

function simulate (s: Sampler, version: string, n: number, errorShare: number, seed: number): Tally {
  const rnd = seeded(seed)
  const t: Tally = { errors: 0, ok: 0, weightedErrors: 0, weightedOk: 0 }
  for (let i = 0; i < n; i++) {
    const id = `${seed}-${Math.floor(rnd() * 2 ** 32).toString(16)}-${i}`
    const error = rnd() < errorShare
    const status = error ? (rnd() < 0.5 ? 503 : 400) : 200
    const d = s.decide('fraud', version, id, status, error && status === 503 ? 'GW_NO_HEALTHY_REPLICA' : null)
    if (error) t.errors++
    else t.ok++
    if (d === null) continue
    if (error) t.weightedErrors += 1 / d.rate
    else t.weightedOk += 1 / d.rate
  }
  return t
}

describe('Sampler weights', () => {
  it.each([0.01, 0.1, 0.5])('sum of 1/sample_rate over records equals the true error count and estimates non-errors within 5 sigma at rate %f', (rate) => {
    const n = 100_000
    const t = simulate(new Sampler(cfg(rate)), 'v1', n, 0.05, Math.round(rate * 1000))
    // Every error is recorded once, with rate 1: the weighted count is exact.
    expect(t.weightedErrors).toBe(t.errors)
    // Non-errors: each stands for 1/rate; the estimate's standard deviation is sqrt(ok * (1 - rate) / rate).
    const sigma = Math.sqrt(t.ok * (1 - rate) / rate)
    expect(Math.abs(t.weightedOk - t.ok)).toBeLessThan(5 * sigma)
  })

  it('a per-version rate weights that version\'s records by its own rate', () => {
    const s = new Sampler(cfg(0.01, { v2: 0.25 }))
    const t = simulate(s, 'v2', 40_000, 0.1, 7)
    expect(t.weightedErrors).toBe(t.errors)
    expect(Math.abs(t.weightedOk - t.ok)).toBeLessThan(5 * Math.sqrt(t.ok * 0.75 / 0.25))
  })
})
