import { describe, expect, it } from 'vitest'
import { modelStateFromConfig } from '../../gateway/config/initial-state.js'
import type { RoutingState } from '../../gateway/state/routing-state.js'
import { changeReplicas } from '../../gateway/control/operations.js'
import { GatewayError } from '../../gateway/errors.js'

// replicas add/remove as a pure operation: a new revision with the version's
// list changed, the input untouched, and clear errors for what cannot be done.

const A = 'http://127.0.0.1:9101'
const B = 'http://127.0.0.1:9102'

function state (): RoutingState {
  return {
    revision: 4,
    models: {
      fraud: modelStateFromConfig('fraud', {
        versions: { v1: { replicas: [A] }, v2: { replicas: ['http://127.0.0.1:9201'] } },
        release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 500 }
      })
    }
  }
}

function errorOf (fn: () => unknown): GatewayError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError)
    return err as GatewayError
  }
  throw new Error('the operation succeeded')
}

describe('changeReplicas', () => {
  it('adds and removes URLs in one new revision, leaving the release and the input as they were', () => {
    const s = state()
    const copy = structuredClone(s)
    const added = changeReplicas('fraud', 'v1', [B], [])(s)
    expect(added.revision).toBe(5)
    expect(added.models.fraud!.versions.v1!.replicas).toEqual([A, B])
    const removed = changeReplicas('fraud', 'v1', [], [A])(added)
    expect(removed.models.fraud!.versions.v1!.replicas).toEqual([B])
    expect(removed.models.fraud!.split).toEqual(s.models.fraud!.split)
    expect(removed.models.fraud!.seed).toBe(s.models.fraud!.seed)
    expect(s).toEqual(copy)
  })

  it.each([
    ['an unknown version', () => changeReplicas('fraud', 'v9', [B], []), 'GW_UNKNOWN_VERSION', 'model "fraud" has no version "v9" (have: v1, v2)'],
    ['a URL the version has', () => changeReplicas('fraud', 'v1', [A], []), 'GW_CONFLICT', `version "v1" of "fraud" already has replica ${A}`],
    ['a URL it lacks', () => changeReplicas('fraud', 'v1', [], [B]), 'GW_INVALID_ARGUMENT', `version "v1" of "fraud" has no replica ${B} (have: ${A})`],
    ['a URL that is not http(s)', () => changeReplicas('fraud', 'v1', ['ftp://x'], []), 'GW_INVALID_ARGUMENT', 'replica "ftp://x" is not an http(s) or grpc(s) base URL'],
    ['the last replica', () => changeReplicas('fraud', 'v1', [], [A]), 'GW_CONFLICT', 'removing every replica of version "v1" would leave it none; add others first or retire the version'],
    ['nothing', () => changeReplicas('fraud', 'v1', [], []), 'GW_INVALID_ARGUMENT', 'name at least one replica to add or remove']
  ])('refuses %s', (_what, op, code, message) => {
    const e = errorOf(() => op()(state()))
    expect(e.code).toBe(code)
    expect(e.message).toBe(message)
  })

  it('removes the last replica of a version whose replicas also come from DNS', () => {
    const s = changeReplicas('fraud', 'v2', [], ['http://127.0.0.1:9201'], true)(state())
    expect(s.models.fraud!.versions.v2!.replicas).toEqual([])
  })
})
