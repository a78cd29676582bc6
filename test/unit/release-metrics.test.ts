import { describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { MemoryStateStore } from '../../gateway/control/store-memory.js'
import { modelStateFromConfig } from '../../gateway/config/initial-state.js'
import { MemoryCoordination } from '../../gateway/release/coordination.js'
import { ControlLog } from '../../gateway/control/control-log.js'
import { ReleaseMetrics } from '../../gateway/release/metrics.js'
import { validatePlan } from '../../gateway/release/plan.js'
import { abortRollout, startRollout } from '../../gateway/release/operations.js'

// Release figures on /metrics: phase, weight and the ended counter from the
// routing state, verdicts from the newest journaled analysis.

const logger = pino({ level: 'silent' })
const plan = validatePlan({ steps: [{ weight: '20%', bake: '1m' }], checks: { errors: {} } })

async function setup (): Promise<{ store: MemoryStateStore, registry: Registry, metrics: ReleaseMetrics }> {
  const store = new MemoryStateStore({ instanceId: 'i1', logger })
  await store.init({
    revision: 1,
    models: { fraud: modelStateFromConfig('fraud', { versions: { v1: { replicas: ['http://127.0.0.1:9101'] }, v3: { replicas: ['http://127.0.0.1:9103'] } }, release: { strategy: 'canary', stable: 'v1' } }) }
  })
  const registry = new Registry()
  return { store, registry, metrics: new ReleaseMetrics(registry, store) }
}

const sample = (text: string, line: RegExp): string | undefined => text.split('\n').find(l => line.test(l))

describe('ReleaseMetrics', () => {
  it('starts the ended counter at 0 for every outcome of every model, and counts an abort once', async () => {
    const { store, registry } = await setup()
    expect(await registry.metrics()).toMatch(/^model_gateway_rollouts_ended_total\{model="fraud",outcome="rolled-back"\} 0$/m)
    await store.update(undefined, startRollout('fraud', 'v3', plan, { now: Date.now(), holdbackMs: 3_600_000, actor: 'ops' }), { actor: 'ops', action: 'rollout-start', model: 'fraud' })
    await store.update(undefined, abortRollout('fraud', { now: Date.now(), holdbackMs: 3_600_000, actor: 'ops' }), { actor: 'ops', action: 'rollout-abort', model: 'fraud' })
    // A later state that still carries the ended rollout does not count it again.
    await store.update(undefined, (s) => s, { actor: 'ops', action: 'noop', model: 'fraud' })
    const text = await registry.metrics()
    expect(text).toMatch(/^model_gateway_rollouts_ended_total\{model="fraud",outcome="aborted"\} 1$/m)
    expect(text).toMatch(/^model_gateway_rollout_phase\{model="fraud",version="v3",phase="aborted"\} 1$/m)
    expect(text).toMatch(/^model_gateway_rollout_phase\{model="fraud",version="v3",phase="running"\} 0$/m)
  })

  it('shows the running rollout\'s step, weight and the split in basis points', async () => {
    const { store, registry } = await setup()
    await store.update(undefined, startRollout('fraud', 'v3', plan, { now: Date.now(), holdbackMs: 3_600_000, actor: 'ops' }), { actor: 'ops', action: 'rollout-start', model: 'fraud' })
    const text = await registry.metrics()
    expect(text).toMatch(/^model_gateway_rollout_step\{model="fraud",version="v3"\} 1$/m)
    expect(text).toMatch(/^model_gateway_rollout_weight_bp\{model="fraud",version="v3"\} 2000$/m)
    expect(text).toMatch(/^model_gateway_split_weight_bp\{model="fraud",version="v3"\} 2000$/m)
    expect(text).toMatch(/^model_gateway_split_weight_bp\{model="fraud",version="v1"\} 8000$/m)
  })

  it('gives each check of the newest journaled analysis its verdict: fail -1, inconclusive 0, pass 1', async () => {
    const { store, registry, metrics } = await setup()
    const s = await store.update(undefined, startRollout('fraud', 'v3', plan, { now: Date.now(), holdbackMs: 3_600_000, actor: 'ops' }), { actor: 'ops', action: 'rollout-start', model: 'fraud' })
    const coordination = metrics.watch(new MemoryCoordination('gw-test', ControlLog.none(logger)))
    const checks = [
      { check: 'errors', verdict: 'fail', summary: '', figures: {} },
      { check: 'latency', verdict: 'inconclusive', summary: '', figures: {} },
      { check: 'outputs', verdict: 'pass', summary: '', figures: {} }
    ]
    await coordination.append('fraud', { at: Date.now(), instanceId: 'i1', action: 'wait', step: 0, weight: 2000, reason: '', checks, rolloutId: s.models.fraud!.rollout!.id })
    const text = await registry.metrics()
    expect(sample(text, /^model_gateway_rollout_check_verdict\{model="fraud",version="v3",check="errors"\}/)).toMatch(/ -1$/)
    expect(sample(text, /^model_gateway_rollout_check_verdict\{model="fraud",version="v3",check="latency"\}/)).toMatch(/ 0$/)
    expect(sample(text, /^model_gateway_rollout_check_verdict\{model="fraud",version="v3",check="outputs"\}/)).toMatch(/ 1$/)
    expect((await coordination.journal('fraud', 10)).length).toBe(1)
  })
})
