import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import murmurhash from 'murmurhash'
import { bucketOf } from '../../gateway/routing/buckets.js'

// bucketOf hashes ASCII keys in place instead of through murmurhash's own
// per-call encoder; the bucket must be exactly murmurhash3_32(UTF-8 key, seed) mod
// 10000, or users would move between versions.

const reference = (key: string, seed: number): number => murmurhash.v3(key, seed) % 10_000

describe('bucketOf', () => {
  it('equals murmurhash3 of the UTF-8 key mod 10000 for any string and seed', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), fc.integer({ min: 0, max: 0xffffffff }), (key, seed) => {
      expect(bucketOf(key, seed)).toBe(reference(key, seed))
    }), { numRuns: 2000 })
  })

  it.each([
    ['empty', ''],
    ['ASCII with DEL', 'a\u007f'],
    ['1024 ASCII characters', 'x'.repeat(1024)],
    ['5000 ASCII characters', 'x'.repeat(5000)],
    ['non-ASCII at the end of a long key', `${'x'.repeat(1023)}é`]
  ])('equals the reference for a key that is %s', (_what, key) => {
    for (const seed of [0, 1, 0x9747b28c, 0xffffffff]) expect(bucketOf(key, seed)).toBe(reference(key, seed))
  })

  it('gives each of two interleaved keys of different lengths its own bucket', () => {
    const a = reference('alice-0123456789', 7)
    const b = reference('bob', 7)
    for (let i = 0; i < 10; i++) {
      expect(bucketOf('alice-0123456789', 7)).toBe(a)
      expect(bucketOf('bob', 7)).toBe(b)
    }
  })
})
