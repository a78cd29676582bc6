import { describe, expect, it } from 'vitest'
import { layout } from '../../gateway/routing/buckets.js'
import { releaseSeed } from '../../gateway/state/split.js'
import { selectVersion } from '../../gateway/routing/select-version.js'
import { modelStateFromConfig } from '../../gateway/config/initial-state.js'
import { releaseName } from '../../gateway/state/routing-state.js'

// Each release gets a fresh sticky seed, so a new canary samples a fresh set of
// users: the overlap between two releases' canary sets is what independence
// predicts (share x share), not the whole set.

const KEYS = Array.from({ length: 100_000 }, (_, i) => `user-${i}`)
const CANARY_BP = 1_000

function canarySet (seed: number): Set<string> {
  const input = { layout: layout([{ version: 'v2', weight: CANARY_BP }, { version: 'v1', weight: 10_000 - CANARY_BP }], v => v), seed, versions: new Map<string, string>() }
  const s = new Set<string>()
  for (const k of KEYS) if (selectVersion(input, k, undefined) === 'v2') s.add(k)
  return s
}

function overlapShare (a: Set<string>, b: Set<string>): number {
  let n = 0
  for (const k of a) if (b.has(k)) n++
  return n / a.size
}

describe('release seed', () => {
  const pairs: Array<[string, string, string]> = [
    ['fraud', 'v1>v2#1', 'v1>v2#2'],
    ['fraud', 'v1>v2#2', 'v1>v2#3'],
    ['fraud', 'v1>v2#1', 'v1>v3#1'],
    ['churn', 'a>b#1', 'a>b#2']
  ]
  for (const [model, r1, r2] of pairs) {
    it(`${model}: the canary sets of releases ${r1} and ${r2} overlap about as much as independent 10% samples`, () => {
      const s1 = releaseSeed(model, r1)
      const s2 = releaseSeed(model, r2)
      expect(s2).not.toBe(s1)
      const a = canarySet(s1)
      const b = canarySet(s2)
      // Independence predicts 10% of one canary in the other; the same seed would give 100%.
      expect(overlapShare(a, b)).toBeGreaterThan(0.085)
      expect(overlapShare(a, b)).toBeLessThan(0.115)
    })
  }

  it('the same release keeps the same canary set', () => {
    const s = releaseSeed('fraud', 'v1>v2#4')
    expect(overlapShare(canarySet(s), canarySet(releaseSeed('fraud', 'v1>v2#4')))).toBe(1)
  })

  it('derives the default seed of a config from the release name, and honours an explicit seed', () => {
    const versions = { v1: { replicas: ['http://127.0.0.1:1'] }, v2: { replicas: ['http://127.0.0.1:2'] } }
    const ms = modelStateFromConfig('fraud', { versions, release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 100 } })
    expect(releaseName(ms)).toBe('v1>v2#1')
    expect(ms.seed).toBe(releaseSeed('fraud', 'v1>v2#1'))
    expect(releaseSeed('fraud', releaseName({ ...ms, release: 2 }))).not.toBe(ms.seed)
    expect(modelStateFromConfig('fraud', { versions, release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 100, seed: 42 } }).seed).toBe(42)
  })
})
