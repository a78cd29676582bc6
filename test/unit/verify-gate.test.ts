import { describe, expect, it } from 'vitest'
import { assertMayReceiveTraffic, recordVerification, setShadow, stopShadow, syncRequireVerification } from '../../gateway/control/release-gate.js'
import type { RoutingState, VerificationRecord } from '../../gateway/state/routing-state.js'

function state (requireVerification: boolean): RoutingState {
  return {
    revision: 3,
    models: {
      fraud: {
        versions: { v1: { replicas: ['http://a:1'] }, v2: { replicas: ['http://b:1'] }, v3: { replicas: ['http://c:1'] } },
        strategy: 'canary',
        split: [{ version: 'v2', weight: 1000 }, { version: 'v1', weight: 9000 }],
        stable: 'v1',
        candidate: 'v2',
        release: 1,
        seed: 1,
        requireVerification
      }
    }
  }
}

const record = (passed: boolean, replicas = ['http://c:1']): VerificationRecord => ({ passed, at: 't', by: 'ops', replicas, baseline: 'v1', goldenRequests: 1, checks: [{ name: 'errors', passed, detail: '', figures: {} }] })

describe('verification gate', () => {
  it('refuses an unverified version only when the model requires verification, and not with force', () => {
    expect(assertMayReceiveTraffic(state(false), 'fraud', 'v3', false)).toBe(false)
    expect(() => assertMayReceiveTraffic(state(true), 'fraud', 'v3', false)).toThrow('may not receive traffic: it has not been verified')
    expect(assertMayReceiveTraffic(state(true), 'fraud', 'v3', true)).toBe(true)
  })

  it('lets the stable version and a version that already has weight through', () => {
    expect(assertMayReceiveTraffic(state(true), 'fraud', 'v1', false)).toBe(false)
    expect(assertMayReceiveTraffic(state(true), 'fraud', 'v2', false)).toBe(false)
  })

  it('a passed verification opens the gate; a failed one or changed replicas keep it shut', () => {
    const passed = recordVerification('fraud', 'v3', record(true))(state(true))
    expect(passed.revision).toBe(4)
    expect(assertMayReceiveTraffic(passed, 'fraud', 'v3', false)).toBe(false)
    const failed = recordVerification('fraud', 'v3', record(false))(state(true))
    expect(() => assertMayReceiveTraffic(failed, 'fraud', 'v3', false)).toThrow('failed (errors)')
    const moved = structuredClone(passed)
    moved.models.fraud!.versions.v3!.replicas = ['http://d:1']
    expect(() => assertMayReceiveTraffic(moved, 'fraud', 'v3', false)).toThrow('its replicas changed since the verification')
  })

  it('a result for replicas that changed meanwhile is refused', () => {
    expect(() => recordVerification('fraud', 'v3', record(true, ['http://x:1']))(state(true))).toThrow('changed while it was verified')
  })

  it('the config decides requireVerification', () => {
    expect(syncRequireVerification(state(false))(state(true)).models.fraud!.requireVerification).toBe(false)
  })

  it('a shadow names a registered version other than the stable one, and stops', () => {
    const s = setShadow('fraud', 'v3', 1000, 'ops')(state(false))
    expect(s.models.fraud!.shadow).toMatchObject({ version: 'v3', weight: 1000, by: 'ops' })
    expect(stopShadow('fraud')(s).models.fraud!.shadow).toBeNull()
    expect(() => setShadow('fraud', 'v1', 1000, 'ops')(state(false))).toThrow('is the stable version')
    expect(() => setShadow('fraud', 'v9', 1000, 'ops')(state(false))).toThrow('has no version "v9"')
  })
})
