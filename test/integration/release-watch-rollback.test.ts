import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCall, backgroundLoad, expectControllerRollback, fastPlan, splitOf, startRollout, startSetup, waitForRollout, warm, type ReleaseSetup } from './release-harness.js'
import { eventually } from '../support/eventually.js'

// v3 is a good canary until it is promoted; then (SIGUSR2) it answers 30% of
// requests with 500. The post-promotion watch compares it with v1's last step
// before promotion and rolls back to the held-back v1 by itself.

describe('a version that degrades after its promotion', () => {
  let s: ReleaseSetup
  beforeAll(async () => { s = await startSetup({ degradedErrorRate: 0.3 }) })
  afterAll(async () => { await s?.stop() })

  it('is rolled back by the post-promotion watch: v1 back at 100%, the rollback audited as the controller\'s', { timeout: 90_000 }, async () => {
    const load = backgroundLoad(s.gw.url)
    try {
      await warm(load)
      expect((await startRollout(s.gw, fastPlan({ watch: { duration: '5m' } }))).status).toBe(201)
      const watching = await waitForRollout(s.gw, r => r.status !== 'running')
      expect(watching.json.rollout).toMatchObject({ status: 'watching', baseline: { version: 'v1' } })
      expect(await splitOf(s.gw)).toEqual({ v3: 10_000 })
      expect((await adminCall(s.gw, 'GET', '/admin/models/fraud')).json.model.holdback).toMatchObject({ version: 'v1' })
      // Healthy for a while under the watch: it keeps watching.
      await eventually(async () => {
        const explain = await adminCall(s.gw, 'GET', '/admin/models/fraud/rollout/explain')
        const looks = explain.json.entries.filter((e: { action: string, step: number }) => e.action === 'wait' && e.step === 2)
        expect(looks.length).toBeGreaterThanOrEqual(4)
      }, { timeoutMs: 30_000 })
      expect((await adminCall(s.gw, 'GET', '/admin/models/fraud/rollout')).json.rollout.status).toBe('watching')
      s.canary.degrade()
      const done = await waitForRollout(s.gw, r => r.status !== 'watching')
      expect(done.json.rollout.status).toBe('rolled-back')
      expect(done.json.rollout.reason).toMatch(/^post-promotion watch: errors failed/)
    } finally {
      await load.stop()
    }
    const entry = await expectControllerRollback(s.gw)
    expect(entry.after).toMatchObject({ stable: 'v1', holdback: null })
  })
})
