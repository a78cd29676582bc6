import { describe, expect, it } from 'vitest'
import { modelStateFromConfig } from '../../gateway/config/initial-state.js'
import type { RoutingState } from '../../gateway/state/routing-state.js'
import { registerVersion, retireVersion, setSampleRate } from '../../gateway/control/operations.js'
import type { GatewayError } from '../../gateway/errors.js'
import { Sampler } from '../../gateway/observe/sampler.js'

function state (): RoutingState {
  return {
    revision: 4,
    models: {
      fraud: modelStateFromConfig('fraud', {
        versions: { v1: { replicas: ['http://127.0.0.1:9101'] } },
        release: { strategy: 'canary', stable: 'v1' }
      })
    }
  }
}

const CONFIG = { fraud: { sampling: { rate: 0, versions: { v1: 0 }, alwaysSampleErrors: true, captureBodies: false, maxBodyBytes: 0 } } }

function codeOf (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    return (err as GatewayError).code
  }
  return 'none'
}

describe('runtime sampling rates', () => {
  it('a version registered at runtime gets a rate in the state, the sampler records all of its requests, and clearing it returns to the config', () => {
    const s0 = registerVersion('fraud', 'v3', ['http://127.0.0.1:9301'])(state())
    const s1 = setSampleRate('fraud', 'v3', 1)(s0)
    expect(s1.revision).toBe(s0.revision + 1)
    expect(s1.models.fraud!.versions.v3!.sampleRate).toBe(1)
    expect(s1.models.fraud!.seed).toBe(s0.models.fraud!.seed)
    const sampler = new Sampler(CONFIG)
    expect(sampler.decide('fraud', 'v3', 'a', 200, null)).toBeNull()
    sampler.applyState(s1)
    for (let i = 0; i < 100; i++) expect(sampler.decide('fraud', 'v3', `r${i}`, 200, null)?.rate).toBe(1)
    // The config's own override of v1 stays in force.
    expect(sampler.rateOf('fraud', 'v1')).toBe(0)
    const s2 = setSampleRate('fraud', 'v3', null)(s1)
    expect(s2.models.fraud!.versions.v3!.sampleRate).toBeUndefined()
    sampler.applyState(s2)
    expect(sampler.decide('fraud', 'v3', 'a', 200, null)).toBeNull()
  })

  it('a runtime rate overrides the config\'s per-version rate and goes with the version when it is retired', () => {
    const sampler = new Sampler(CONFIG)
    const s1 = setSampleRate('fraud', 'v1', 0.5)(state())
    sampler.applyState(s1)
    expect(sampler.rateOf('fraud', 'v1')).toBe(0.5)
    const s2 = retireVersion('fraud', 'v3', Date.now())(setSampleRate('fraud', 'v3', 1)(registerVersion('fraud', 'v3', ['http://127.0.0.1:9301'])(s1)))
    expect(s2.models.fraud!.versions.v3).toBeUndefined()
    sampler.applyState(s2)
    expect(sampler.rateOf('fraud', 'v3')).toBe(0)
  })

  it('refuses rates outside 0..1 and unknown versions', () => {
    expect(codeOf(() => setSampleRate('fraud', 'v1', 1.5)(state()))).toBe('GW_INVALID_ARGUMENT')
    expect(codeOf(() => setSampleRate('fraud', 'v1', -0.1)(state()))).toBe('GW_INVALID_ARGUMENT')
    expect(codeOf(() => setSampleRate('fraud', 'v1', Number.NaN)(state()))).toBe('GW_INVALID_ARGUMENT')
    expect(codeOf(() => setSampleRate('fraud', 'v9', 1)(state()))).toBe('GW_UNKNOWN_VERSION')
    expect(codeOf(() => setSampleRate('nope', 'v1', 1)(state()))).toBe('GW_UNKNOWN_MODEL')
  })
})
