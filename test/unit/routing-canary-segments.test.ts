import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { layout } from '../../gateway/routing/buckets.js'
import { selectVersion, type VersionChoiceInput } from '../../gateway/routing/select-version.js'
import { canarySplit } from '../../gateway/state/split.js'

// A canary limited to segments, as the routing decision sees it: outside the
// segments nobody gets it; inside them the decision is exactly the one without
// the limit, so stickiness and monotone growth hold there.

const SEGMENTS = ['eu', 'us', 'apac', 'other'] as const

function model (weight: number, seed: number, limitTo: readonly string[] | null): VersionChoiceInput<string> {
  const versions = new Map([['v1', 'v1'], ['v3', 'v3']])
  return {
    layout: layout(canarySplit('v1', 'v3', weight), v => v),
    seed,
    versions,
    limit: limitTo === null ? null : { version: 'v3', segments: new Set(limitTo), otherwise: 'v1' }
  }
}

const arb = fc.record({
  weight: fc.integer({ min: 0, max: 10_000 }),
  seed: fc.integer({ min: 0, max: 0xffffffff }),
  key: fc.string({ minLength: 1, maxLength: 24 }),
  limitTo: fc.subarray([...SEGMENTS], { minLength: 1 }),
  segment: fc.option(fc.constantFrom(...SEGMENTS), { nil: undefined })
})

describe('a canary limited to segments', () => {
  it('never goes to a request outside its segments (or with no segment)', () => {
    fc.assert(fc.property(arb, ({ weight, seed, key, limitTo, segment }) => {
      fc.pre(segment === undefined || !limitTo.includes(segment))
      expect(selectVersion(model(weight, seed, limitTo), key, undefined, Math.random, segment)).toBe('v1')
    }))
  })

  it('inside its segments decides as the unlimited canary: same key, same version', () => {
    fc.assert(fc.property(arb, ({ weight, seed, key, limitTo, segment }) => {
      fc.pre(segment !== undefined && limitTo.includes(segment))
      expect(selectVersion(model(weight, seed, limitTo), key, undefined, Math.random, segment)).toBe(selectVersion(model(weight, seed, null), key, undefined))
    }))
  })

  it('inside its segments, a user in the canary stays in it as the canary grows', () => {
    fc.assert(fc.property(arb, fc.integer({ min: 0, max: 10_000 }), ({ weight, seed, key, limitTo }, more) => {
      const segment = limitTo[0]!
      const small = selectVersion(model(weight, seed, limitTo), key, undefined, Math.random, segment)
      const large = selectVersion(model(Math.max(weight, more), seed, limitTo), key, undefined, Math.random, segment)
      if (small === 'v3') expect(large).toBe('v3')
    }))
  })

  it('an explicit version is served whatever the segment', () => {
    expect(selectVersion(model(5000, 1, ['us']), 'k', 'v3', Math.random, 'eu')).toBe('v3')
  })
})
