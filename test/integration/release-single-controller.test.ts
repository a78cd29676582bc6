import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serviceEnv } from '../../scripts/services/control.js'
import { adminCall, backgroundLoad, fastPlan, journalOf, startFleet, startRollout, waitForRollout, warm, ROLLOUT_TEST_TIMEOUT_MS, type BackgroundLoad, type Fleet } from './release-harness.js'

// Two gateways, two controller loops, one model: only the holder of the
// model's lease analyses and writes.

describe('two rollout controllers on one model', () => {
  let fleet: Fleet
  beforeAll(async () => { fleet = await startFleet(2, serviceEnv().REDIS_URL) })
  afterAll(async () => { await fleet?.stop() })

  it('only one of them analyses and acts, from start to promotion', async () => {
    const loads: BackgroundLoad[] = fleet.gateways.map(g => backgroundLoad(g.url, { concurrency: 3 }))
    try {
      await Promise.all(loads.map(l => warm(l, 150)))
      const [a, b] = fleet.gateways
      expect((await startRollout(b!, fastPlan())).status).toBe(201)
      const done = await waitForRollout(a!, r => r.status !== 'running', 90_000)
      expect(done.json.rollout.status).toBe('promoted')
    } finally {
      await Promise.all(loads.map(l => l.stop()))
    }
    const analysts = new Set((await journalOf(fleet.gateways[0]!)).filter(e => e.action !== 'start').map(e => e.instanceId))
    expect(analysts.size).toBe(1)
    const audit = await adminCall(fleet.gateways[0]!, 'GET', '/admin/audit?limit=50')
    const writers = new Set((audit.json.entries as Array<{ actor: string }>).filter(e => e.actor.startsWith('rollout-controller@')).map(e => e.actor))
    expect([...writers]).toEqual([`rollout-controller@${[...analysts][0]}`])
    expect(fleet.gateways.every(g => g.alive())).toBe(true)
  }, ROLLOUT_TEST_TIMEOUT_MS)
})
