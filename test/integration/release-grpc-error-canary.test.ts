import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectRolledBackInFirstStep, fastPlan, startSetup, type ReleaseSetup } from './release-harness.js'

// The same release as release-error-canary.test.ts, with only gRPC traffic:
// replicas behind grpc:// URLs, sticky users in request metadata. The canary's
// INTERNAL answers count as 5xx in the rollups the analysis reads.

describe('a canary answering 5% of gRPC calls with INTERNAL, under gRPC traffic only', () => {
  let s: ReleaseSetup
  beforeAll(async () => { s = await startSetup({ errorRate: 0.05 }, 0, { transport: 'grpc' }) })
  afterAll(async () => { await s?.stop() })

  it('is rolled back in its first step by the errors check, stable back at 100%', async () => {
    // The first step may extend while the canary gathers its sample on a busy machine; the verdict must still come in that step.
    const figures = await expectRolledBackInFirstStep(s, 'errors', /^errors failed/, fastPlan({ maxExtension: '90s' }), 120_000)
    expect(figures.canaryErrorRate).toBeGreaterThan(0.02)
  }, 180_000)
})
