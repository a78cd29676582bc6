import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectRolledBackInFirstStep, startSetup, ROLLOUT_TEST_TIMEOUT_MS, type ReleaseSetup } from './release-harness.js'

describe('a canary answering 5% of requests with 500', () => {
  let s: ReleaseSetup
  beforeAll(async () => { s = await startSetup({ errorRate: 0.05 }) })
  afterAll(async () => { await s?.stop() })

  it('is rolled back in its first step by the errors check, stable back at 100%', async () => {
    const figures = await expectRolledBackInFirstStep(s, 'errors', /^errors failed/)
    expect(figures.canaryErrorRate).toBeGreaterThan(0.02)
  }, ROLLOUT_TEST_TIMEOUT_MS)
})
