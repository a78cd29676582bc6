import { describe, expect, it } from 'vitest'
import { abortRollout, applyDecision, pauseRollout, resumeRollout, startRollout, type WriteContext } from '../../gateway/release/operations.js'
import { validatePlan } from '../../gateway/release/plan.js'
import { GatewayError } from '../../gateway/errors.js'
import type { RoutingState } from '../../gateway/state/routing-state.js'

const plan = validatePlan({ steps: [{ weight: '10%', bake: '1m' }, { gate: 'manual' }, { weight: '50%', bake: '1m' }] })

function state (): RoutingState {
  return {
    revision: 7,
    models: {
      fraud: { versions: { v1: { replicas: ['http://a'] }, v3: { replicas: ['http://b'] } }, strategy: 'canary', split: [{ version: 'v1', weight: 10_000 }], stable: 'v1', candidate: null, release: 1, seed: 1 }
    }
  }
}

/** The rollout writes' context at time `now`, by the token "ops". */
const at = (now: number, actor = 'ops'): WriteContext => ({ now, holdbackMs: 3_600_000, actor })

function codeOf (fn: () => unknown): string {
  try { fn() } catch (err) { if (err instanceof GatewayError) return `${err.code}: ${err.message}`; throw err }
  return 'no error'
}

describe('rollout operations', () => {
  it('start gives the canary the first weight and stores the rollout in one revision', () => {
    const s = startRollout('fraud', 'v3', plan, at(1000))(state())
    expect(s.revision).toBe(8)
    expect(s.models.fraud!.split).toEqual([{ version: 'v3', weight: 1000 }, { version: 'v1', weight: 9000 }])
    expect(s.models.fraud!.rollout).toMatchObject({ version: 'v3', stable: 'v1', status: 'running', step: 0, startedBy: 'ops' })
  })

  it('a second start, the stable version or an unknown version are refused', () => {
    const s = startRollout('fraud', 'v3', plan, at(1000))(state())
    expect(codeOf(() => startRollout('fraud', 'v3', plan, at(2000))(s))).toMatch(/^GW_CONFLICT: .*already has a rollout of "v3" in progress/)
    expect(codeOf(() => startRollout('fraud', 'v1', plan, at(2000))(state()))).toMatch(/^GW_INVALID_ARGUMENT: "v1" is the stable version/)
    expect(codeOf(() => startRollout('fraud', 'v9', plan, at(2000))(state()))).toMatch(/^GW_UNKNOWN_VERSION/)
  })

  it('pause, resume and abort: abort puts stable back at 100% in the same revision', () => {
    let s = startRollout('fraud', 'v3', plan, at(1000))(state())
    s = pauseRollout('fraud', at(2000))(s)
    expect(s.models.fraud!.rollout).toMatchObject({ status: 'paused', reason: expect.stringContaining('paused by ops') })
    s = resumeRollout('fraud', at(3000))(s)
    expect(s.models.fraud!.rollout).toMatchObject({ status: 'running', step: 0, stepStartedAt: 3000 })
    s = abortRollout('fraud', at(4000))(s)
    expect(s.models.fraud!.split).toEqual([{ version: 'v1', weight: 10_000 }])
    expect(s.models.fraud!.rollout).toMatchObject({ status: 'aborted', endedAt: 4000 })
    expect(codeOf(() => pauseRollout('fraud', at(5000))(s))).toMatch(/^GW_CONFLICT: .*no rollout in progress \(the last one is aborted\)/)
  })

  it('a controller decision based on a rollout that changed meanwhile is refused (fencing)', () => {
    const s = startRollout('fraud', 'v3', plan, at(1000))(state())
    const seen = s.models.fraud!.rollout!
    const paused = pauseRollout('fraud', at(2000))(s)
    expect(codeOf(() => applyDecision('fraud', seen, { ...seen, status: 'promoted' }, at(3000))(paused))).toMatch(/^GW_CONFLICT: the rollout of "v3" changed meanwhile/)
  })
})
