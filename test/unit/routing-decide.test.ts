import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decide, type RequestFacts } from '../../gateway/routing/decide.js'
import { buildSnapshot, type ModelRoute } from '../../gateway/routing/snapshot.js'
import { selectVersion } from '../../gateway/routing/select-version.js'
import type { RoutingState } from '../../gateway/state/routing-state.js'
import type { ResolvedModel } from '../../gateway/config/load.js'

// The whole routing decision (explicit version, header override, sticky or
// weighted choice, replica choice, fallback to stable) as one pure function,
// driven with random snapshots, replica health and request facts.

interface FakeReplica { url: string, inflight: number, available: boolean }

interface World {
  versions: string[]
  weights: number[]
  /** Per version, per replica: available? */
  health: boolean[][]
  allowVersionHeader: boolean
  fallbackToStable: boolean
  seed: number
}

const worldArb: fc.Arbitrary<World> = fc.integer({ min: 1, max: 4 }).chain(n => fc.record({
  versions: fc.constant(Array.from({ length: n }, (_, i) => `v${i + 1}`)),
  weights: fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: n - 1, maxLength: n - 1 }).map(cuts => {
    const b = [0, ...[...cuts].sort((x, y) => x - y), 10_000]
    return b.slice(1).map((end, i) => end - b[i]!)
  }),
  health: fc.array(fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }), { minLength: n, maxLength: n }),
  allowVersionHeader: fc.boolean(),
  fallbackToStable: fc.boolean(),
  seed: fc.integer({ min: 0, max: 0xffffffff })
}))

const factsArb = (versions: readonly string[]): fc.Arbitrary<RequestFacts> => {
  const name = fc.oneof(fc.constantFrom(...versions), fc.constant('v9'))
  return fc.record({
    stickyKey: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
    explicitVersion: fc.option(name, { nil: undefined }),
    headerVersion: fc.option(name, { nil: undefined })
  })
}

function modelOf (w: World): ModelRoute<FakeReplica> {
  const state: RoutingState = {
    revision: 1,
    models: {
      m: {
        versions: Object.fromEntries(w.versions.map((v, i) => [v, { replicas: w.health[i]!.map((_, j) => `http://127.0.0.1:${9000 + i * 10 + j}`) }])),
        strategy: 'split',
        split: w.versions.map((v, i) => ({ version: v, weight: w.weights[i]! })),
        stable: w.versions[0]!,
        candidate: null,
        release: 1,
        seed: w.seed
      }
    }
  }
  const cfg = { name: 'm', allowVersionHeader: w.allowVersionHeader, fallbackToStable: w.fallbackToStable } as ResolvedModel
  return buildSnapshot(state, { m: cfg }, (url) => {
    const [vi, ri] = [Math.floor((Number(url.slice(-4)) - 9000) / 10), (Number(url.slice(-4)) - 9000) % 10]
    return { url, inflight: 0, available: w.health[vi]![ri]! }
  }).models.get('m')!
}

const randomArb = fc.double({ min: 0, max: 0.9999, noNaN: true })

describe('decide', () => {
  it('routes to an available replica of the decided version, or says why it cannot', () => {
    fc.assert(fc.property(worldArb.chain(w => fc.tuple(fc.constant(w), factsArb(w.versions), randomArb)), ([w, facts, r]) => {
      const model = modelOf(w)
      const d = decide(model, facts, () => r)
      if (d.kind === 'route') {
        expect(d.replica.available).toBe(true)
        expect(d.version.replicas).toContain(d.replica)
      } else if (d.kind === 'no-replica') {
        expect(d.version.replicas.some(x => x.available)).toBe(false)
      } else {
        expect(model.versions.has(d.version)).toBe(false)
      }
    }), { numRuns: 500 })
  })

  it('honours the URL version first, the header version only when allowed and the URL names none', () => {
    fc.assert(fc.property(worldArb.chain(w => fc.tuple(fc.constant(w), factsArb(w.versions))), ([w, facts]) => {
      const model = modelOf(w)
      const d = decide(model, facts, () => 0.5)
      const asked = facts.explicitVersion ?? (w.allowVersionHeader ? facts.headerVersion : undefined)
      if (asked === undefined) return
      if (!model.versions.has(asked)) {
        expect(d).toEqual({ kind: 'unknown-version', version: asked })
        return
      }
      const chosen = d.kind === 'route' ? (d.fallbackFrom ?? d.version).name : d.kind === 'no-replica' ? d.version.name : undefined
      expect(chosen).toBe(asked)
    }), { numRuns: 500 })
  })

  it('ignores the version header when the model does not allow it', () => {
    fc.assert(fc.property(worldArb.filter(w => !w.allowVersionHeader), fc.string({ minLength: 1, maxLength: 20 }), (w, key) => {
      const model = modelOf(w)
      const withHeader = decide(model, { stickyKey: key, explicitVersion: undefined, headerVersion: 'v9' }, () => 0)
      const without = decide(model, { stickyKey: key, explicitVersion: undefined, headerVersion: undefined }, () => 0)
      expect(withHeader.kind).not.toBe('unknown-version')
      expect(withHeader).toEqual(without)
    }), { numRuns: 300 })
  })

  it('chooses the sticky version of the key when nothing is explicit', () => {
    fc.assert(fc.property(worldArb, fc.string({ minLength: 1, maxLength: 20 }), randomArb, (w, key, r) => {
      const model = modelOf(w)
      const d = decide(model, { stickyKey: key, explicitVersion: undefined, headerVersion: undefined }, () => r)
      const sticky = selectVersion(model, key, undefined)!
      const chosen = d.kind === 'route' ? (d.fallbackFrom ?? d.version) : d.kind === 'no-replica' ? d.version : null
      expect(chosen).toBe(sticky)
    }), { numRuns: 500 })
  })

  it('falls back to stable exactly when enabled, the chosen version has no available replica and stable has one', () => {
    fc.assert(fc.property(worldArb.chain(w => fc.tuple(fc.constant(w), factsArb(w.versions), randomArb)), ([w, facts, r]) => {
      const model = modelOf(w)
      const d = decide(model, facts, () => r)
      if (d.kind === 'unknown-version') return
      const first = d.kind === 'route' ? (d.fallbackFrom ?? d.version) : d.version
      const firstDown = !first.replicas.some(x => x.available)
      const stableUp = model.stable.replicas.some(x => x.available)
      const expectFallback = firstDown && w.fallbackToStable && first !== model.stable && stableUp
      expect(d.kind === 'route' && d.fallbackFrom !== null).toBe(expectFallback)
      if (expectFallback && d.kind === 'route') expect(d.version).toBe(model.stable)
      if (firstDown && !expectFallback) expect(d.kind).toBe('no-replica')
    }), { numRuns: 500 })
  })
})
