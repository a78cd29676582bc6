import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { layout } from '../../gateway/routing/buckets.js'
import { type SplitEntry } from '../../gateway/state/split.js'
import { selectVersion } from '../../gateway/routing/select-version.js'
import { buildSnapshot } from '../../gateway/routing/snapshot.js'
import { modelStateFromConfig } from '../../gateway/config/initial-state.js'
import { type RoutingState } from '../../gateway/state/routing-state.js'
import type { ModelConfig } from '../../gateway/config/schema.js'
import type { ResolvedModel } from '../../gateway/config/load.js'
import type { Replica } from '../../gateway/proxy/replica.js'

// Same key + same state = same version: across calls, across rebuilt snapshots,
// and whatever the per-request random source says.

/** A split of 2..4 versions whose weights add up to 10000. */
const splitArb: fc.Arbitrary<SplitEntry[]> = fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 3 })
  .map(cuts => {
    const sorted = [...cuts].sort((a, b) => a - b)
    const bounds = [0, ...sorted, 10_000]
    return bounds.slice(1).map((end, i) => ({ version: `v${i + 1}`, weight: end - bounds[i]! }))
  })

const keyArb = fc.string({ minLength: 1, maxLength: 64, unit: 'grapheme' })
const seedArb = fc.integer({ min: 0, max: 0xffffffff })

const fakeReplica = (url: string): Replica => ({ url, inflight: 0, available: true }) as unknown as Replica

function snapshotOf (cfg: ModelConfig) {
  const state: RoutingState = { revision: 1, models: { m: modelStateFromConfig('m', cfg) } }
  return buildSnapshot(state, { m: { name: 'm' } as ResolvedModel }, fakeReplica).models.get('m')!
}

describe('stickiness', () => {
  it('gives a key the same version on every call, whatever the random source', () => {
    fc.assert(fc.property(splitArb, seedArb, fc.array(keyArb, { minLength: 1, maxLength: 50 }), fc.double({ min: 0, max: 0.9999, noNaN: true }), (split, seed, keys, r) => {
      const input = { layout: layout(split, v => v), seed, versions: new Map(split.map(e => [e.version, e.version] as const)) }
      for (const key of keys) {
        const first = selectVersion(input, key, undefined)
        expect(selectVersion(input, key, undefined)).toBe(first)
        expect(selectVersion(input, key, undefined, () => r)).toBe(first)
        // Never a zero-weight version.
        expect(split.find(e => e.version === first)!.weight).toBeGreaterThan(0)
      }
    }))
  })

  it('gives a key the same version in two snapshots built independently from the same config', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10_000 }), fc.array(keyArb, { minLength: 1, maxLength: 50 }), (w, keys) => {
      const cfg: ModelConfig = {
        versions: { v1: { replicas: ['http://127.0.0.1:1'] }, v2: { replicas: ['http://127.0.0.1:2'] } },
        release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: w }
      }
      const a = snapshotOf(cfg)
      const b = snapshotOf(structuredClone(cfg))
      expect(b.seed).toBe(a.seed)
      for (const key of keys) expect(selectVersion(b, key, undefined)!.name).toBe(selectVersion(a, key, undefined)!.name)
    }))
  })

  it('derives the default seed from the model and the release, not from the weights', () => {
    const cfg = (w: number): ModelConfig => ({
      versions: { v1: { replicas: ['http://127.0.0.1:1'] }, v2: { replicas: ['http://127.0.0.1:2'] } },
      release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: w }
    })
    const s = modelStateFromConfig('fraud', cfg(100)).seed
    expect(modelStateFromConfig('fraud', cfg(5_000)).seed).toBe(s)
    expect(modelStateFromConfig('churn', cfg(100)).seed).not.toBe(s)
  })
})
