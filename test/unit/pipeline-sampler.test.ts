import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { Sampler } from '../../gateway/observe/sampler.js'

function cfg (rate: number, versions: Record<string, number> = {}, alwaysSampleErrors = true) {
  return { fraud: { sampling: { rate, versions, alwaysSampleErrors, captureBodies: true, maxBodyBytes: 100 } } }
}

describe('Sampler', () => {
  it('is deterministic per request id: the same id gets the same decision on every instance', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 64 }), fc.double({ min: 0, max: 1, noNaN: true }), (id, rate) => {
      const a = new Sampler(cfg(rate)).decide('fraud', 'v1', id, 200, null)
      const b = new Sampler(cfg(rate)).decide('fraud', 'v1', id, 200, null)
      expect(a === null).toBe(b === null)
    }))
  })

  it('samples about `rate` of distinct ids', () => {
    for (const rate of [0.01, 0.1, 0.5]) {
      const s = new Sampler(cfg(rate))
      const n = 20_000
      let hits = 0
      for (let i = 0; i < n; i++) if (s.decide('fraud', 'v1', `req-${i}`, 200, null) !== null) hits++
      const sigma = Math.sqrt(n * rate * (1 - rate))
      expect(Math.abs(hits - n * rate)).toBeLessThan(5 * sigma)
    }
  })

  it('records everything at rate 1 and nothing at rate 0, except errors when alwaysSampleErrors', () => {
    const all = new Sampler(cfg(1))
    const none = new Sampler(cfg(0))
    for (let i = 0; i < 200; i++) {
      expect(all.decide('fraud', 'v1', `r${i}`, 200, null)?.rate).toBe(1)
      expect(none.decide('fraud', 'v1', `r${i}`, 200, null)).toBeNull()
    }
    expect(none.decide('fraud', 'v1', 'x', 503, 'GW_NO_HEALTHY_REPLICA')?.rate).toBe(1)
    expect(none.decide('fraud', 'v1', 'x', 400, null)?.rate).toBe(1)
    expect(new Sampler(cfg(0, {}, false)).decide('fraud', 'v1', 'x', 500, null)).toBeNull()
  })

  it('applies a per-version override and stores the rate that applied', () => {
    const s = new Sampler(cfg(0, { v2: 1 }))
    expect(s.decide('fraud', 'v2', 'a', 200, null)?.rate).toBe(1)
    expect(s.decide('fraud', 'v1', 'a', 200, null)).toBeNull()
    const tenth = new Sampler(cfg(0.1))
    for (let i = 0; i < 500; i++) {
      const d = tenth.decide('fraud', 'v1', `q${i}`, 200, null)
      if (d !== null) expect(d.rate).toBe(0.1)
    }
  })

  it('records nothing for models the config does not declare', () => {
    expect(new Sampler(cfg(1)).decide('other', 'v1', 'a', 404, 'GW_UNKNOWN_MODEL')).toBeNull()
  })
})
