import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCall, backgroundLoad, warm, fastPlan, splitOf, startRollout, startSetup, waitForRollout, type ReleaseSetup } from './release-harness.js'

describe('a canary three times slower than stable', () => {
  let s: ReleaseSetup
  beforeAll(async () => { s = await startSetup({ delayMs: 60 }, 20) })
  afterAll(async () => { await s?.stop() })

  it('is rolled back in its first step by the latency check, stable back at 100%', async () => {
    const load = backgroundLoad(s.gw.url)
    try {
      await warm(load)
      expect((await startRollout(s.gw, fastPlan())).status).toBe(201)
      const done = await waitForRollout(s.gw, r => r.status !== 'running')
      expect(done.json.rollout).toMatchObject({ status: 'rolled-back', step: 0 })
      expect(done.json.rollout.reason).toMatch(/^latency failed/)
    } finally {
      await load.stop()
    }
    expect(await splitOf(s.gw)).toEqual({ v1: 10_000 })
    const audit = await adminCall(s.gw, 'GET', '/admin/audit?limit=5')
    const entry = audit.json.entries.find((e: { action: string }) => e.action === 'rollout-rollback')
    expect(entry.actor).toMatch(/^rollout-controller@/)
    expect(entry.detail.checks.find((c: { check: string }) => c.check === 'latency').figures.ratio_p50).toBeGreaterThan(1.5)
  })
})
