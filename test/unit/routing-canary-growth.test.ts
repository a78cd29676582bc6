import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { selectVersion } from '../../gateway/routing/select-version.js'
import { buildSnapshot, type ModelRoute } from '../../gateway/routing/snapshot.js'
import { modelStateFromConfig } from '../../gateway/config/initial-state.js'
import type { ResolvedModel } from '../../gateway/config/load.js'
import type { Replica } from '../../gateway/proxy/replica.js'

// Growing a canary only moves users from stable to canary, never back: a user
// who saw the canary keeps seeing it as its share grows.

const fakeReplica = (url: string): Replica => ({ url, inflight: 0, available: true }) as unknown as Replica

function canaryRoute (canaryWeight: number, model = 'fraud'): ModelRoute {
  const ms = modelStateFromConfig(model, {
    versions: { v1: { replicas: ['http://127.0.0.1:1'] }, v2: { replicas: ['http://127.0.0.1:2'] } },
    release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight }
  })
  return buildSnapshot({ revision: 1, models: { [model]: ms } }, { [model]: { name: model } as ResolvedModel }, fakeReplica).models.get(model)!
}

function canarySet (route: ModelRoute, keys: readonly string[]): Set<string> {
  const s = new Set<string>()
  for (const k of keys) if (selectVersion(route, k, undefined)!.name === 'v2') s.add(k)
  return s
}

describe('canary growth', () => {
  it('1% -> 5% -> 25% -> 50% over 100,000 users: each canary set contains the previous one and has the expected size', () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `user-${i}`)
    let previous = new Set<string>()
    for (const w of [100, 500, 2_500, 5_000]) {
      const current = canarySet(canaryRoute(w), keys)
      for (const k of previous) expect(current.has(k), `${k} left the canary at ${w} bp`).toBe(true)
      expect(Math.abs(current.size / keys.length - w / 10_000)).toBeLessThanOrEqual(0.005)
      previous = current
    }
  })

  it('never moves a key from the canary back to stable, for random keys and random increasing weight sequences', () => {
    const weightsArb = fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 2, maxLength: 8 }).map(ws => [...ws].sort((a, b) => a - b))
    const keysArb = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 300 })
    const modelArb = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/)
    fc.assert(fc.property(weightsArb, keysArb, modelArb, (weights, keys, model) => {
      const routes = weights.map(w => canaryRoute(w, model))
      // Growth keeps the release, hence the seed.
      for (const r of routes) expect(r.seed).toBe(routes[0]!.seed)
      for (const key of keys) {
        let inCanary = false
        for (let i = 0; i < routes.length; i++) {
          const now = selectVersion(routes[i]!, key, undefined)!.name === 'v2'
          if (inCanary) expect(now, `${key} moved back to stable at ${weights[i]} bp`).toBe(true)
          inCanary = now
        }
      }
    }), { numRuns: 200 })
  })

  it('sends nobody to the canary at 0 bp and everybody at 10000 bp', () => {
    const keys = Array.from({ length: 5_000 }, (_, i) => `u${i}`)
    expect(canarySet(canaryRoute(0), keys).size).toBe(0)
    expect(canarySet(canaryRoute(10_000), keys).size).toBe(keys.length)
  })
})
