import { describe, expect, it } from 'vitest'
import { ControlLog } from '../../gateway/control/control-log.js'
import { MemoryStateStore } from '../../gateway/control/store-memory.js'
import { createLogger } from '../../gateway/observe/log.js'
import { MemoryCoordination } from '../../gateway/release/coordination.js'
import { RolloutController } from '../../gateway/release/controller.js'
import { startRollout } from '../../gateway/release/operations.js'
import { validatePlan } from '../../gateway/release/plan.js'
import { emptyVersionWindow, type AnalysisSource, type WindowData } from '../../gateway/release/source.js'

// One tick of the rollout controller over the in-memory store, with a fake
// analysis source whose windows are set by the test: the candidate's error
// count decides the errors check (200 requests per version at least).

const T0 = 1_700_000_000_000
const MINUTE = 60_000
const logger = createLogger('silent')

/** Stable and candidate each answered 1,000 requests; the candidate `canaryErrors` of them with a 5xx. */
function fakeSource (canaryErrors: number, now: () => number): AnalysisSource & { windows: number } {
  return {
    name: 'local',
    windows: 0,
    async window (): Promise<WindowData> {
      this.windows++
      const stable = { ...emptyVersionWindow(14), requests: 1000 }
      const canary = { ...emptyVersionWindow(14), requests: 1000, errors: canaryErrors }
      return { stable, canary, newestAt: now() }
    },
    watch () {},
    async close () {}
  }
}

async function runningRollout (): Promise<MemoryStateStore> {
  const store = new MemoryStateStore({ instanceId: 'gw', logger })
  await store.init({
    revision: 1,
    models: {
      fraud: {
        versions: { v1: { replicas: ['http://127.0.0.1:1'] }, v3: { replicas: ['http://127.0.0.1:2'] } },
        strategy: 'canary', split: [{ version: 'v1', weight: 10_000 }], stable: 'v1', candidate: null, release: 1, seed: 1
      }
    }
  })
  const plan = validatePlan({ steps: [{ weight: '10%', bake: '1m' }, { weight: '50%', bake: '1m' }], interval: '1s', checks: { errors: {} } })
  await store.update(undefined, startRollout('fraud', 'v3', plan, { now: T0, holdbackMs: 60_000, actor: 'ops' }), { actor: 'ops', action: 'rollout-start', model: 'fraud' })
  return store
}

/** Another instance holds every lease. */
class LeaseHeldElsewhere extends MemoryCoordination {
  override async lease (): Promise<boolean> {
    return false
  }
}

function weights (store: MemoryStateStore): Record<string, number> {
  return Object.fromEntries(store.get().models.fraud!.split.map(s => [s.version, s.weight]))
}

describe('RolloutController.tick', () => {
  it('keeps a running rollout whose checks pass at its step during the bake, and advances it to the next step once the bake is over', async () => {
    const store = await runningRollout()
    let t = T0
    const coordination = new MemoryCoordination('gw', ControlLog.none(logger))
    const c = new RolloutController({ store, source: fakeSource(0, () => t), coordination, instanceId: 'gw', logger, now: () => t })
    expect(store.get().models.fraud!.rollout).toMatchObject({ status: 'running', step: 0 })
    expect(weights(store)).toEqual({ v1: 9_000, v3: 1_000 })

    t = T0 + 30_000
    await c.tick()
    expect(store.get().models.fraud!.rollout).toMatchObject({ status: 'running', step: 0 })
    expect(weights(store)).toEqual({ v1: 9_000, v3: 1_000 })

    t = T0 + MINUTE + 1_000
    await c.tick()
    expect(store.get().models.fraud!.rollout).toMatchObject({ status: 'running', step: 1, stepStartedAt: t })
    expect(weights(store)).toEqual({ v1: 5_000, v3: 5_000 })
    expect((await coordination.journal('fraud', 10)).map(e => e.action)).toEqual(['advance', 'wait'])
    await c.close()
  })

  it('rolls back a running rollout whose errors check fails: all traffic back on stable', async () => {
    const store = await runningRollout()
    let t = T0
    const coordination = new MemoryCoordination('gw', ControlLog.none(logger))
    const c = new RolloutController({ store, source: fakeSource(200, () => t), coordination, instanceId: 'gw', logger, now: () => t })
    t = T0 + 10_000
    await c.tick()
    expect(store.get().models.fraud!.rollout).toMatchObject({ status: 'rolled-back', version: 'v3' })
    expect(weights(store)).toEqual({ v1: 10_000 })
    const [entry] = await coordination.journal('fraud', 10)
    expect(entry).toMatchObject({ action: 'rollback' })
    expect(entry!.checks.find(k => k.check === 'errors')?.verdict).toBe('fail')
    await c.close()
  })

  it('does nothing without the model\'s lease: no analysis, no journal entry, no write', async () => {
    const store = await runningRollout()
    let t = T0
    const coordination = new LeaseHeldElsewhere('gw', ControlLog.none(logger))
    const source = fakeSource(200, () => t)
    const c = new RolloutController({ store, source, coordination, instanceId: 'gw', logger, now: () => t })
    const before = store.get()
    t = T0 + 2 * MINUTE
    await c.tick()
    expect(store.get().revision).toBe(before.revision)
    expect(store.get().models.fraud!.rollout).toEqual(before.models.fraud!.rollout)
    expect(source.windows).toBe(0)
    expect(await coordination.journal('fraud', 10)).toEqual([])
    expect(c.lastAnalysisAt('fraud')).toBeNull()
    await c.close()
  })
})
