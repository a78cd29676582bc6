import { describe, expect, it } from 'vitest'
import { validatePlan } from '../../gateway/release/plan.js'
import { approveRollout, resumeRollout, startRollout, type WriteContext } from '../../gateway/release/operations.js'
import { admitNext, inProgress, mayAdmitNow, queuePosition } from '../../gateway/release/queue.js'
import type { ModelState, RoutingState } from '../../gateway/state/routing-state.js'

const T0 = 1_000_000
const at = (now: number, actor = 'alice'): WriteContext => ({ now, holdbackMs: 3_600_000, actor })

function model (): ModelState {
  return { versions: { v1: { replicas: ['http://a'] }, v3: { replicas: ['http://b'] } }, strategy: 'canary', split: [{ version: 'v1', weight: 10_000 }], stable: 'v1', candidate: null, release: 1, seed: 1 }
}
function state (n: number): RoutingState {
  const models: Record<string, ModelState> = {}
  for (let i = 0; i < n; i++) models[`m${i}`] = model()
  return { revision: 1, models }
}

describe('approval steps', () => {
  const plan = validatePlan({ steps: [{ approval: { distinct: true } }, { weight: '10%', bake: '1m' }] })

  it('a rollout opening with an approval waits at 0% for "rollout approve"; resume does not pass it', () => {
    const s = startRollout('m0', 'v3', plan, at(T0))(state(1))
    expect(s.models.m0!.rollout).toMatchObject({ status: 'paused', step: 0, reason: 'started by alice: waiting for "rollout approve" by another token than alice\'s' })
    expect(s.models.m0!.split).toEqual([{ version: 'v3', weight: 0 }, { version: 'v1', weight: 10_000 }])
    expect(() => resumeRollout('m0', at(T0 + 1, 'bob'))(s)).toThrow(/waits for an approval/)
  })

  it('a distinct approval refuses the starter\'s token (403) and takes another, recording who approved', () => {
    const s = startRollout('m0', 'v3', plan, at(T0))(state(1))
    expect(() => approveRollout('m0', at(T0 + 1, 'alice'))(s)).toThrow(/needs a different token than the one that started the rollout \("alice"\)/)
    const ok = approveRollout('m0', at(T0 + 2, 'bob'))(s).models.m0!
    expect(ok.rollout).toMatchObject({ status: 'running', step: 1, approvals: [{ step: 0, by: 'bob', at: T0 + 2 }] })
    expect(ok.split).toEqual([{ version: 'v3', weight: 1000 }, { version: 'v1', weight: 9000 }])
  })
})

describe('release queue', () => {
  const plan = validatePlan({ steps: [{ weight: '10%', bake: '1m' }] })
  const start = (s: RoutingState, m: string, t: number): RoutingState => startRollout(m, 'v3', plan, at(t), { admit: (x) => mayAdmitNow(x, 2) })(s)

  it('beyond K in progress, rollouts queue in start order with their position, and are admitted oldest first as slots free', () => {
    let s = state(4)
    for (let i = 0; i < 4; i++) s = start(s, `m${i}`, T0 + i)
    expect(inProgress(s)).toBe(2)
    expect([0, 1, 2, 3].map(i => s.models[`m${i}`]!.rollout!.status)).toEqual(['running', 'running', 'queued', 'queued'])
    expect([queuePosition(s, 'm2'), queuePosition(s, 'm3')]).toEqual([1, 2])
    expect(s.models.m2!.split).toEqual([{ version: 'v1', weight: 10_000 }])
    expect(() => admitNext(2, at(T0 + 10))(s)).toThrow(/2 rollouts are in progress; at most 2/)
    s = { ...s, models: { ...s.models, m0: { ...s.models.m0!, rollout: { ...s.models.m0!.rollout!, status: 'promoted' } } } }
    s = admitNext(2, at(T0 + 20))(s)
    expect(s.models.m2!.rollout).toMatchObject({ status: 'running', admittedAt: T0 + 20 })
    expect(s.models.m2!.split).toEqual([{ version: 'v3', weight: 1000 }, { version: 'v1', weight: 9000 }])
    expect(queuePosition(s, 'm3')).toBe(1)
  })

  it('a new rollout queues behind waiting ones even when a slot is free', () => {
    let s = state(3)
    s = start(s, 'm0', T0)
    s = start(s, 'm1', T0 + 1)
    s = start(s, 'm2', T0 + 2)
    s = { ...s, models: { ...s.models, m0: { ...s.models.m0!, rollout: { ...s.models.m0!.rollout!, status: 'aborted' } } } }
    const m3 = { ...s, models: { ...s.models, m3: model() } }
    expect(start(m3, 'm3', T0 + 3).models.m3!.rollout!.status).toBe('queued')
  })
})
