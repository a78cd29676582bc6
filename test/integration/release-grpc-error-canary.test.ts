import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCall, fastPlan, grpcBackgroundLoad, splitOf, startRollout, startSetup, waitForRollout, warm, type ReleaseSetup } from './release-harness.js'

// A release like release-error-canary.test.ts with only gRPC traffic: replicas
// behind grpc:// URLs, sticky users in request metadata. The canary's INTERNAL
// answers count as 5xx in the rollups the analysis reads, so the errors check
// rolls it back before it is promoted. (On a busy machine gRPC calls are
// latency-bound: the load keeps more in flight, and the verdict may come in
// the second step rather than the first.)

describe('a canary answering 5% of gRPC calls with INTERNAL, under gRPC traffic only', () => {
  let s: ReleaseSetup
  beforeAll(async () => { s = await startSetup({ errorRate: 0.05 }, 0, { transport: 'grpc' }) })
  afterAll(async () => { await s?.stop() })

  it('is rolled back by the errors check before promotion, stable back at 100%, audited as the controller\'s', async () => {
    const load = grpcBackgroundLoad(s.gw.grpcTarget!, { concurrency: 24 })
    try {
      await warm(load)
      expect((await startRollout(s.gw, fastPlan({ maxExtension: '90s' }))).status).toBe(201)
      const done = await waitForRollout(s.gw, r => r.status !== 'running', 150_000)
      expect(done.json.rollout.status).toBe('rolled-back')
      expect(done.json.rollout.reason).toMatch(/^errors failed/)
    } finally {
      await load.stop()
    }
    expect(await splitOf(s.gw)).toEqual({ v1: 10_000 })
    const audit = await adminCall(s.gw, 'GET', '/admin/audit?limit=5')
    const entry = audit.json.entries.find((e: { action: string }) => e.action === 'rollout-rollback')
    expect(entry.actor).toMatch(/^rollout-controller@/)
    expect(entry.detail.checks.find((c: { check: string }) => c.check === 'errors').figures.canaryErrorRate).toBeGreaterThan(0.02)
  }, 200_000)
})
