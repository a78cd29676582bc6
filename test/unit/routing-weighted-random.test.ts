import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { layout } from '../../gateway/routing/buckets.js'
import { type SplitEntry } from '../../gateway/state/split.js'
import { selectVersion } from '../../gateway/routing/select-version.js'
import { seeded } from '../support/seeded-random.js'

// Without a sticky key every request is routed by weighted random.

const DRAWS = 100_000

const cases: SplitEntry[][] = [
  [{ version: 'v2', weight: 100 }, { version: 'v1', weight: 9_900 }],
  [{ version: 'v2', weight: 1_000 }, { version: 'v1', weight: 9_000 }],
  [{ version: 'v2', weight: 5_000 }, { version: 'v1', weight: 5_000 }],
  [{ version: 'a', weight: 5_000 }, { version: 'b', weight: 3_000 }, { version: 'c', weight: 2_000 }]
]

describe('weighted random without a key', () => {
  for (const split of cases) {
    it(`approximates ${split.map(e => `${e.version}=${e.weight / 100}%`).join(' ')} within ±0.5 pp`, () => {
      const input = { layout: layout(split, v => v), seed: 1, versions: new Map<string, string>() }
      const random = seeded(split.length * 7919 + split[0]!.weight)
      const counts = new Map<string, number>()
      for (let i = 0; i < DRAWS; i++) {
        const key = i % 2 === 0 ? undefined : ''
        const v = selectVersion(input, key, undefined, random)!
        counts.set(v, (counts.get(v) ?? 0) + 1)
      }
      for (const e of split) expect(Math.abs(100 * (counts.get(e.version) ?? 0) / DRAWS - e.weight / 100)).toBeLessThanOrEqual(0.5)
    })
  }

  it('maps the random number straight onto the bucket ranges', () => {
    const input = { layout: layout(cases[3]!, v => v), seed: 1, versions: new Map<string, string>() }
    fc.assert(fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), r => {
      const expected = r < 0.5 ? 'a' : r < 0.8 ? 'b' : 'c'
      // Bucket = floor(r * 10000); compare on the bucket to stay clear of float edges.
      const bucket = Math.floor(r * 10_000)
      expect(selectVersion(input, undefined, undefined, () => r)).toBe(bucket < 5_000 ? 'a' : bucket < 8_000 ? 'b' : 'c')
      if (Math.abs(r - 0.5) > 1e-3 && Math.abs(r - 0.8) > 1e-3) expect(selectVersion(input, undefined, undefined, () => r)).toBe(expected)
    }))
  })
})
