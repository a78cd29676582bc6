import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import murmurhash from 'murmurhash'
import { murmur3 } from '../../gateway/routing/murmur.js'

describe('murmur3', () => {
  it('equals murmurhash.v3 for any string and seed, ASCII or not', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 40 })), fc.integer({ min: 0, max: 0xffffffff }), (key, seed) => {
      expect(murmur3(key, seed)).toBe(murmurhash.v3(key, seed))
    }), { numRuns: 5000 })
  })
})
