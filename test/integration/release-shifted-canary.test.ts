import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectRolledBackInFirstStep, startSetup, ROLLOUT_TEST_TIMEOUT_MS, type ReleaseSetup } from './release-harness.js'

describe('a canary whose predictions shifted (same schema, all 200)', () => {
  let s: ReleaseSetup
  beforeAll(async () => { s = await startSetup({ shift: 0.8 }) })
  afterAll(async () => { await s?.stop() })

  it('is rolled back in its first step by the outputs check, stable back at 100%', async () => {
    const figures = await expectRolledBackInFirstStep(s, 'outputs', /outputs failed/)
    expect(figures.meanShift).toBeGreaterThan(0.02)
  }, ROLLOUT_TEST_TIMEOUT_MS)
})
