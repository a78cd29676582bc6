import { describe, expect, it } from 'vitest'
import { bucketOf, layout, targetForBucket } from '../../gateway/routing/buckets.js'
import { releaseSeed, type SplitEntry } from '../../gateway/state/split.js'
import { selectVersion } from '../../gateway/routing/select-version.js'

// Sticky split over many distinct users: each version's share of keys is within
// half a percentage point of its weight. Table-driven, like undici's balanced-pool tests.

const KEYS = 100_000
const TOLERANCE_PP = 0.5

function choiceInput (split: SplitEntry[], seed: number) {
  return {
    layout: layout(split, v => v),
    seed,
    versions: new Map(split.map(e => [e.version, e.version] as const))
  }
}

const cases: Array<{ name: string, split: SplitEntry[] }> = [
  { name: '1% canary', split: [{ version: 'v2', weight: 100 }, { version: 'v1', weight: 9_900 }] },
  { name: '10% canary', split: [{ version: 'v2', weight: 1_000 }, { version: 'v1', weight: 9_000 }] },
  { name: '50/50', split: [{ version: 'v2', weight: 5_000 }, { version: 'v1', weight: 5_000 }] },
  { name: 'three-way 50/30/20', split: [{ version: 'a', weight: 5_000 }, { version: 'b', weight: 3_000 }, { version: 'c', weight: 2_000 }] },
  { name: 'A/B/n with a zero-weight arm', split: [{ version: 'a', weight: 2_500 }, { version: 'z', weight: 0 }, { version: 'b', weight: 7_500 }] }
]
const seeds = [releaseSeed('fraud', 'v1>v2#1'), releaseSeed('churn', 'a>#7'), 0]

describe('sticky split over 100,000 distinct keys', () => {
  for (const c of cases) {
    for (const seed of seeds) {
      it(`${c.name}, seed ${seed}: every version within ±${TOLERANCE_PP} pp of its weight`, () => {
        const input = choiceInput(c.split, seed)
        const counts = new Map<string, number>()
        for (let i = 0; i < KEYS; i++) {
          const v = selectVersion(input, `user-${i}`, undefined, () => { throw new Error('a keyed request must not draw a random number') })!
          counts.set(v, (counts.get(v) ?? 0) + 1)
        }
        for (const e of c.split) {
          const sharePct = 100 * (counts.get(e.version) ?? 0) / KEYS
          expect(Math.abs(sharePct - e.weight / 100), `${e.version}: ${sharePct.toFixed(3)}% vs ${e.weight / 100}%`).toBeLessThanOrEqual(TOLERANCE_PP)
          if (e.weight === 0) expect(counts.get(e.version) ?? 0).toBe(0)
        }
      })
    }
  }
})

describe('bucket layout', () => {
  it('gives each entry the contiguous range [previous end, end)', () => {
    const l = layout([{ version: 'a', weight: 5_000 }, { version: 'b', weight: 3_000 }, { version: 'c', weight: 2_000 }], v => v)
    expect(Array.from(l.ends)).toEqual([5_000, 8_000, 10_000])
    expect(targetForBucket(l, 0)).toBe('a')
    expect(targetForBucket(l, 4_999)).toBe('a')
    expect(targetForBucket(l, 5_000)).toBe('b')
    expect(targetForBucket(l, 7_999)).toBe('b')
    expect(targetForBucket(l, 8_000)).toBe('c')
    expect(targetForBucket(l, 9_999)).toBe('c')
  })

  it('rejects weights that do not add up to 10000', () => {
    expect(() => layout([{ version: 'a', weight: 5_000 }, { version: 'b', weight: 4_000 }], v => v)).toThrow(/add up to 9000, expected 10000/)
  })

  it('puts every key in a bucket 0..9999', () => {
    for (let i = 0; i < 10_000; i++) {
      const b = bucketOf(`k${i}`, 12345)
      expect(Number.isInteger(b) && b >= 0 && b < 10_000).toBe(true)
    }
  })
})
