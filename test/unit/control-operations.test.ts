import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { modelStateFromConfig } from '../../gateway/config/initial-state.js'
import { type RoutingState } from '../../gateway/state/routing-state.js'
import { promote, registerVersion, retireVersion, rollback, setCanary, setSplit, switchActive } from '../../gateway/control/operations.js'
import { GatewayError as ControlError } from '../../gateway/errors.js'
import { bucketOf, layout, targetForBucket } from '../../gateway/routing/buckets.js'

const R = ['http://127.0.0.1:9101']
/** The operations' clock in these tests. */
const T = 1_700_000_000_000

function canaryState (canaryWeight?: number): RoutingState {
  return {
    revision: 7,
    models: {
      fraud: modelStateFromConfig('fraud', {
        versions: { v1: { replicas: R }, v2: { replicas: ['http://127.0.0.1:9201'] }, v3: { replicas: ['http://127.0.0.1:9301'] } },
        release: canaryWeight === undefined ? { strategy: 'canary', stable: 'v1' } : { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight }
      })
    }
  }
}

function blueGreenState (): RoutingState {
  return {
    revision: 3,
    models: {
      fraud: modelStateFromConfig('fraud', {
        versions: { blue: { replicas: R }, green: { replicas: ['http://127.0.0.1:9201'] } },
        release: { strategy: 'blue-green', active: 'blue', preview: 'green' }
      })
    }
  }
}

function versionFor (s: RoutingState, key: string): string {
  const m = s.models.fraud!
  return targetForBucket(layout(m.split, v => v), bucketOf(key, m.seed))
}

function codeOf (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ControlError)
    return `${(err as ControlError).statusCode} ${(err as ControlError).code}`
  }
  throw new Error('expected a ControlError')
}

function errorOf (fn: () => unknown): ControlError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ControlError)
    return err as ControlError
  }
  throw new Error('expected a ControlError')
}

describe('control operations: validation', () => {
  const s = canaryState(1000)
  it.each([
    ['unknown model', () => setSplit('nope', { v1: 10000 })(s), '404 GW_UNKNOWN_MODEL'],
    ['unknown version in weights', () => setSplit('fraud', { v1: 9000, v9: 1000 })(s), '404 GW_UNKNOWN_VERSION'],
    ['weights not adding up', () => setSplit('fraud', { v1: 9000, v2: 900 })(s), '400 GW_INVALID_ARGUMENT'],
    ['negative weight', () => setSplit('fraud', { v1: 11000, v2: -1000 })(s), '400 GW_INVALID_ARGUMENT'],
    ['fractional weight', () => setSplit('fraud', { v1: 8999.5, v2: 1000.5 })(s), '400 GW_INVALID_ARGUMENT'],
    ['empty weights', () => setSplit('fraud', {})(s), '400 GW_INVALID_ARGUMENT'],
    ['canary of the stable version', () => setCanary('fraud', 'v1', 500)(s), '400 GW_INVALID_ARGUMENT'],
    ['canary of an unknown version', () => setCanary('fraud', 'v9', 500)(s), '404 GW_UNKNOWN_VERSION'],
    ['switch on a canary model', () => switchActive('fraud')(s), '400 GW_INVALID_ARGUMENT'],
    ['promote with nothing to promote', () => promote('fraud')(canaryState()), '400 GW_INVALID_ARGUMENT'],
    ['register an existing version', () => registerVersion('fraud', 'v2', R)(s), '409 GW_CONFLICT'],
    ['register without replicas', () => registerVersion('fraud', 'v4', [])(s), '400 GW_INVALID_ARGUMENT'],
    ['register a bad URL', () => registerVersion('fraud', 'v4', ['ftp://x'])(s), '400 GW_INVALID_ARGUMENT'],
    ['register a bad name', () => registerVersion('fraud', '../v4', R)(s), '400 GW_INVALID_ARGUMENT'],
    ['retire the stable version', () => retireVersion('fraud', 'v1', T)(s), '409 GW_CONFLICT'],
    ['retire the canary', () => retireVersion('fraud', 'v2', T)(s), '409 GW_CONFLICT'],
    ['retire an unknown version', () => retireVersion('fraud', 'v9', T)(s), '404 GW_UNKNOWN_VERSION']
  ])('%s', (_name, fn, expected) => {
    expect(codeOf(fn)).toBe(expected)
  })

  it('never changes its input', () => {
    const before = structuredClone(s)
    setSplit('fraud', { v1: 5000, v2: 5000 })(s)
    promote('fraud')(s)
    rollback('fraud', T)(s)
    registerVersion('fraud', 'v4', R)(s)
    retireVersion('fraud', 'v3', T)(s)
    expect(s).toEqual(before)
  })
})

describe('control operations: canary', () => {
  it('keeps the layout [canary, stable] and the seed when only the weight changes', () => {
    const s0 = canaryState(1000)
    const s1 = setSplit('fraud', { v1: 5000, v2: 5000 })(s0)
    expect(s1.revision).toBe(8)
    expect(s1.models.fraud!.split).toEqual([{ version: 'v2', weight: 5000 }, { version: 'v1', weight: 5000 }])
    expect(s1.models.fraud!.seed).toBe(s0.models.fraud!.seed)
    expect(s1.models.fraud!.release).toBe(s0.models.fraud!.release)
    // The order of keys in the request does not matter: the canary stays first.
    const s2 = setSplit('fraud', { v2: 9000, v1: 1000 })(s1)
    expect(s2.models.fraud!.split).toEqual([{ version: 'v2', weight: 9000 }, { version: 'v1', weight: 1000 }])
  })

  it('starts a new release with a new seed when the canary version changes', () => {
    const s0 = canaryState(1000)
    const s1 = setCanary('fraud', 'v3', 1000)(s0)
    const m0 = s0.models.fraud!
    const m1 = s1.models.fraud!
    expect(m1.candidate).toBe('v3')
    expect(m1.release).toBe(m0.release + 1)
    expect(m1.seed).not.toBe(m0.seed)
    expect(m1.split).toEqual([{ version: 'v3', weight: 1000 }, { version: 'v1', weight: 9000 }])
  })

  it('a growing canary keeps every user it already has (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 10000 }), fc.integer({ min: 0, max: 10000 }), fc.array(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 50 }),
      (a, b, users) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a]
        const small = setCanary('fraud', 'v2', lo)(canaryState(1000))
        const large = setSplit('fraud', { v1: 10000 - hi, v2: hi })(small)
        for (const u of users) {
          if (versionFor(small, u) === 'v2') expect(versionFor(large, u)).toBe('v2')
          // Users leave the stable version only towards the canary.
          if (versionFor(large, u) === 'v1') expect(versionFor(small, u)).toBe('v1')
        }
      }))
  })

  it('every operation bumps the revision by one and leaves valid weights (property)', () => {
    const opArb = fc.oneof(
      fc.integer({ min: 0, max: 10000 }).map(w => setCanary('fraud', 'v2', w)),
      fc.integer({ min: 0, max: 10000 }).map(w => setCanary('fraud', 'v3', w)),
      fc.integer({ min: 0, max: 10000 }).map(w => setSplit('fraud', { v1: w, v2: 10000 - w })),
      fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5000 })).map(([x, y]) => setSplit('fraud', { v1: x, v2: y, v3: 10000 - x - y })),
      fc.constant(promote('fraud')),
      fc.constant(rollback('fraud', T))
    )
    fc.assert(fc.property(fc.array(opArb, { maxLength: 20 }), (list) => {
      let s = canaryState(1000)
      for (const op of list) {
        let next: RoutingState
        try {
          next = op(s)
        } catch (err) {
          expect(err).toBeInstanceOf(ControlError)
          continue
        }
        expect(next.revision).toBe(s.revision + 1)
        const m = next.models.fraud!
        expect(m.split.reduce((acc, e) => acc + e.weight, 0)).toBe(10000)
        expect(m.versions[m.stable]).toBeDefined()
        s = next
      }
    }))
  })

  it('promote makes the canary stable at 100% in a new release; rollback returns to stable at 100%', () => {
    const s0 = setSplit('fraud', { v1: 5000, v2: 5000 })(canaryState(1000))
    const p = promote('fraud')(s0).models.fraud!
    expect(p).toMatchObject({ stable: 'v2', candidate: null, split: [{ version: 'v2', weight: 10000 }], release: s0.models.fraud!.release + 1 })
    const r = rollback('fraud', T)(s0).models.fraud!
    expect(r).toMatchObject({ stable: 'v1', candidate: null, split: [{ version: 'v1', weight: 10000 }] })
  })

  it('rollback with no canary and nothing held back is refused with 409, naming why, and changes nothing', () => {
    const s = canaryState()
    const before = structuredClone(s)
    const e = errorOf(() => rollback('fraud', T)(s))
    expect(`${e.statusCode} ${e.code}`).toBe('409 GW_CONFLICT')
    expect(e.message).toBe('model "fraud" has nothing to roll back: "v1" serves 100% with no canary, and no previous version is held back')
    expect(s).toEqual(before)
  })

  it('promote with a hold keeps the old stable held back; rollback returns to it at 100% until the holdback ends', () => {
    const promoted = promote('fraud', undefined, { now: T, holdbackMs: 3_600_000 })(canaryState(1000))
    expect(promoted.models.fraud!.holdback).toEqual({ version: 'v1', since: T, until: T + 3_600_000 })
    const back = rollback('fraud', T + 3_599_999)(promoted).models.fraud!
    expect(back).toMatchObject({ stable: 'v1', candidate: null, holdback: null, split: [{ version: 'v1', weight: 10000 }] })
    expect(back.release).toBe(promoted.models.fraud!.release + 1)
    expect(errorOf(() => rollback('fraud', T + 3_600_000)(promoted)).message).toMatch(/the holdback of "v1" ended at /)
  })

  it('retire refuses the held-back version until its holdback ends, unless forced', () => {
    const promoted = promote('fraud', undefined, { now: T, holdbackMs: 60_000 })(canaryState(0))
    expect(errorOf(() => retireVersion('fraud', 'v1', T + 1000)(promoted)).message).toMatch(/^"v1" is held back after the promotion of "v2" until /)
    expect(retireVersion('fraud', 'v1', T + 1000, true)(promoted).models.fraud!).toMatchObject({ holdback: null })
    expect(retireVersion('fraud', 'v1', T + 60_000)(promoted).models.fraud!.versions.v1).toBeUndefined()
  })

  it('more than one version besides stable turns the model into an A/B/n split', () => {
    const s = setSplit('fraud', { v1: 4000, v2: 3000, v3: 3000 })(canaryState(1000)).models.fraud!
    expect(s.strategy).toBe('split')
    expect(s.candidate).toBeNull()
    expect(s.split.map(e => e.version)).toEqual(['v2', 'v1', 'v3'])
  })
})

describe('control operations: blue-green', () => {
  it('switch makes the preview active and keeps the old active as a 0% preview; rollback switches back', () => {
    const s0 = blueGreenState()
    const s1 = switchActive('fraud')(s0)
    expect(s1.models.fraud!).toMatchObject({ stable: 'green', candidate: 'blue', previous: 'blue', split: [{ version: 'green', weight: 10000 }, { version: 'blue', weight: 0 }] })
    const s2 = rollback('fraud', T)(s1)
    expect(s2.models.fraud!).toMatchObject({ stable: 'blue', candidate: 'green', split: [{ version: 'blue', weight: 10000 }, { version: 'green', weight: 0 }] })
    expect(s2.revision).toBe(s0.revision + 2)
  })

  it('a split moving all traffic to the preview is a switch; anything in between is refused', () => {
    const s = setSplit('fraud', { green: 10000, blue: 0 })(blueGreenState())
    expect(s.models.fraud!.stable).toBe('green')
    expect(codeOf(() => setSplit('fraud', { green: 5000, blue: 5000 })(blueGreenState()))).toBe('400 GW_INVALID_ARGUMENT')
  })

  it('a registered version becomes the preview when there is none, and a retired one leaves the split', () => {
    const base = blueGreenState()
    const noPreview = retireVersion('fraud', 'green', T)
    expect(codeOf(() => noPreview(base))).toBe('409 GW_CONFLICT')
    const promoted = switchActive('fraud')(base) // green active, blue preview
    const s1 = registerVersion('fraud', 'teal', ['http://127.0.0.1:9401', 'http://127.0.0.1:9402'])(promoted)
    expect(s1.models.fraud!.candidate).toBe('blue')
    expect(s1.models.fraud!.versions.teal).toEqual({ replicas: ['http://127.0.0.1:9401', 'http://127.0.0.1:9402'] })
    const s2 = switchActive('fraud', 'teal')(s1)
    expect(s2.models.fraud!).toMatchObject({ stable: 'teal', candidate: 'green' })
    const s3 = retireVersion('fraud', 'blue', T)(s2)
    expect(s3.models.fraud!.versions.blue).toBeUndefined()
    expect(s3.models.fraud!.split.map(e => e.version)).not.toContain('blue')
  })
})
