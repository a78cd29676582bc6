import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serviceEnv } from '../../scripts/services/control.js'
import { backgroundLoad, fastPlan, journalOf, startFleet, startRollout, waitForRollout, warm, ROLLOUT_TEST_TIMEOUT_MS, type BackgroundLoad, type Fleet } from './release-harness.js'

// Two gateways share the routing state in Redis; the one holding the model's
// lease runs the rollout. Killed mid-rollout, the other takes the lease when it
// expires and carries the stored rollout on from its step.

describe('rollout controller killed mid-rollout', () => {
  let fleet: Fleet
  beforeAll(async () => { fleet = await startFleet(2, serviceEnv().REDIS_URL) })
  afterAll(async () => { await fleet?.stop() })

  it('is replaced by the other instance, which resumes from the stored step and promotes', async () => {
    const loads: BackgroundLoad[] = fleet.gateways.map(g => backgroundLoad(g.url, { concurrency: 3 }))
    try {
      await Promise.all(loads.map(l => warm(l, 150)))
      const [a] = fleet.gateways
      expect((await startRollout(a!, fastPlan({ steps: [{ weight: '20%', bake: '6s' }, { weight: '50%', bake: '6s' }, { weight: '80%', bake: '3s' }] }))).status).toBe(201)
      // Mid-rollout: the first step has been passed by whichever instance holds the lease.
      const mid = await waitForRollout(a!, r => r.step >= 1 || r.status !== 'running')
      expect(mid.json.rollout).toMatchObject({ status: 'running', step: 1 })
      const first = (await journalOf(a!)).filter(e => e.action === 'advance')
      const leader = first[0]!.instanceId
      const victim = fleet.gateways.find(g => g.instanceId === leader)!
      const survivor = fleet.gateways.find(g => g !== victim)!
      victim.kill('SIGKILL')
      const done = await waitForRollout(survivor, r => r.status !== 'running', 90_000)
      expect(done.json.rollout.status).toBe('promoted')
      const journal = await journalOf(survivor)
      const killedAt = journal.findIndex(e => e.instanceId === survivor.instanceId && e.action !== 'start')
      const resumedFrom = journal[killedAt]!
      expect(resumedFrom.step).toBeGreaterThanOrEqual(1)
      expect(journal.filter(e => ['advance', 'promote'].includes(e.action)).map(e => e.instanceId)).toContain(survivor.instanceId)
      expect(journal.find(e => e.action === 'promote')!.instanceId).toBe(survivor.instanceId)
    } finally {
      await Promise.all(loads.map(l => l.stop()))
    }
  }, ROLLOUT_TEST_TIMEOUT_MS)
})
