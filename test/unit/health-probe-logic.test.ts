import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { applyProbe, firstProbeDelay, nextProbeDelay, type ProbeCounters } from '../../gateway/health/checker.js'

describe('nextProbeDelay', () => {
  it('stays within [interval * (1 - jitter), interval]', () => {
    fc.assert(fc.property(fc.integer({ min: 100, max: 3_600_000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (interval, jitter, rnd) => {
      const d = nextProbeDelay(interval, jitter, () => rnd)
      expect(d).toBeLessThanOrEqual(interval)
      expect(d).toBeGreaterThanOrEqual(Math.max(1, Math.floor(interval * (1 - jitter))))
    }))
  })

  it('spreads replicas apart when jitter is set and not when it is 0', () => {
    expect(nextProbeDelay(10_000, 0.2, () => 0)).toBe(10_000)
    expect(nextProbeDelay(10_000, 0.2, () => 0.5)).toBe(9_000)
    expect(nextProbeDelay(10_000, 0, () => 0.9)).toBe(10_000)
  })
})

describe('applyProbe', () => {
  const s = { unhealthyThreshold: 2, healthyThreshold: 3 }
  const fresh = (): ProbeCounters => ({ consecutiveFailures: 0, consecutiveSuccesses: 0 })

  it('marks a healthy replica unhealthy only after unhealthyThreshold failures in a row', () => {
    const c = fresh()
    expect(applyProbe(c, false, true, s)).toBe(true)
    expect(applyProbe(c, true, true, s)).toBe(true)
    expect(applyProbe(c, false, true, s)).toBe(true)
    expect(applyProbe(c, false, true, s)).toBe(false)
  })

  it('brings an unhealthy replica back only after healthyThreshold passes in a row', () => {
    const c = fresh()
    expect(applyProbe(c, true, false, s)).toBe(false)
    expect(applyProbe(c, true, false, s)).toBe(false)
    expect(applyProbe(c, false, false, s)).toBe(false)
    expect(applyProbe(c, true, false, s)).toBe(false)
    expect(applyProbe(c, true, false, s)).toBe(false)
    expect(applyProbe(c, true, false, s)).toBe(true)
  })

  it('agrees with a reference model on any sequence of results', () => {
    fc.assert(fc.property(fc.array(fc.boolean(), { maxLength: 60 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), (results, u, h) => {
      const c = fresh()
      let healthy = true
      for (let i = 0; i < results.length; i++) {
        healthy = applyProbe(c, results[i]!, healthy, { unhealthyThreshold: u, healthyThreshold: h })
        // Reference: the run of equal results ending at i decides, once it reaches the threshold.
        let run = 0
        for (let j = i; j >= 0 && results[j] === results[i]; j--) run++
        if (results[i]! && run >= h) expect(healthy).toBe(true)
        if (!results[i]! && run >= u) expect(healthy).toBe(false)
      }
    }))
  })
})

describe('firstProbeDelay', () => {
  it('puts the probe after the first at a point within one interval chosen by the random source', () => {
    expect(firstProbeDelay(60_000, () => 0.25)).toBe(15_000)
    expect(firstProbeDelay(60_000, () => 0.999)).toBe(59_940)
    expect(firstProbeDelay(60_000, () => 0)).toBe(1)
  })
})
