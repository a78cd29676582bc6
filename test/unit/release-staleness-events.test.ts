import { describe, expect, it } from 'vitest'
import { MemoryStateStore } from '../../gateway/control/store-memory.js'
import { MemoryCoordination } from '../../gateway/release/coordination.js'
import { ControlLog } from '../../gateway/control/control-log.js'
import { RolloutController } from '../../gateway/release/controller.js'
import { startRollout } from '../../gateway/release/operations.js'
import { validatePlan } from '../../gateway/release/plan.js'
import { createLogger } from '../../gateway/observe/log.js'
import type { ReleaseEvent } from '../../gateway/release/events.js'
import { emptyVersionWindow, SourceUnavailable, type AnalysisSource, type WindowData } from '../../gateway/release/source.js'

// The controller over the in-memory store, with an analysis source that can be
// switched off: one staleness.stale event when it goes, one staleness.recovered
// when it is back, none in between.

function source (): AnalysisSource & { down: boolean } {
  return {
    name: 'local',
    down: false,
    async window (): Promise<WindowData> {
      if (this.down) throw new SourceUnavailable('refused')
      return { stable: emptyVersionWindow(14), canary: emptyVersionWindow(14), newestAt: Date.now() }
    },
    watch () {},
    async close () {}
  }
}

describe('staleness events', () => {
  it('the controller tells once when a rollout\'s data goes missing and once when it is back', async () => {
    const logger = createLogger('silent')
    const store = new MemoryStateStore({ instanceId: 'gw', logger })
    await store.init({ revision: 1, models: { fraud: { versions: { v1: { replicas: ['http://127.0.0.1:1'] }, v3: { replicas: ['http://127.0.0.1:2'] } }, strategy: 'canary', split: [{ version: 'v1', weight: 10_000 }], stable: 'v1', candidate: null, release: 1, seed: 1 } } })
    const plan = validatePlan({ steps: [{ weight: '10%', bake: '1h' }], interval: '100ms' })
    await store.update(undefined, startRollout('fraud', 'v3', plan, { now: Date.now(), holdbackMs: 60_000, actor: 'ops' }), { actor: 'ops', action: 'rollout-start', model: 'fraud' })
    const src = source()
    const events: ReleaseEvent[] = []
    let t = Date.now()
    const c = new RolloutController({ store, source: src, coordination: new MemoryCoordination('gw', ControlLog.none(logger)), instanceId: 'gw', logger, now: () => t, events: { emit: (e) => { events.push(e) } } })
    const look = async (): Promise<void> => { t += 200; await c.tick() }
    await look()
    src.down = true
    await look()
    await look()
    src.down = false
    await look()
    await look()
    expect(events.filter(e => e.event === 'staleness').map(e => e.type)).toEqual(['staleness.stale', 'staleness.recovered'])
    expect(events.find(e => e.type === 'staleness.stale')).toMatchObject({ model: 'fraud', version: 'v3', error: 'local source: refused' })
    await c.close()
  })
})
