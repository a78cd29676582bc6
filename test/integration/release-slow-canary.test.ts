import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectRolledBackInFirstStep, startSetup, ROLLOUT_TEST_TIMEOUT_MS, type ReleaseSetup } from './release-harness.js'

describe('a canary three times slower than stable', () => {
  let s: ReleaseSetup
  beforeAll(async () => { s = await startSetup({ delayMs: 60 }, 20) })
  afterAll(async () => { await s?.stop() })

  it('is rolled back in its first step by the latency check, stable back at 100%', async () => {
    const figures = await expectRolledBackInFirstStep(s, 'latency', /^latency failed/)
    expect(figures.ratio_p50).toBeGreaterThan(1.5)
  }, ROLLOUT_TEST_TIMEOUT_MS)
})
