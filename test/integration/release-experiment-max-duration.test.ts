// An experiment between stable v1 and a v4 that is the same model: no
// sequential test decides, and at the maximum duration the experiment ends
// with stable kept at 100%.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { splitOf, startRollout, waitForRollout } from './release-harness.js'
import { labelledTraffic, startOutcomeRelease, type OutcomeReleaseSetup } from './release-outcomes-harness.js'

let s: OutcomeReleaseSetup | undefined
beforeAll(async () => { s = await startOutcomeRelease('oequal', 'v4', { extraArgs: ['--weights', 'v1'] }) })
afterAll(async () => { await s?.stop() })

const PLAN = {
  experiment: { split: '50%', maxDuration: '25s' },
  interval: '1s',
  alpha: 0.05,
  checks: { outcomes: { metric: 'accuracy', maturity: '2s', minSamples: 300 } }
}

describe('an experiment with a candidate equal to stable', () => {
  it('ends at the maximum duration with stable kept at 100%', async () => {
    const traffic = labelledTraffic(s!.gw.url, 'v1', { delayMs: 500 })
    let done
    try {
      const started = await startRollout(s!.gw, PLAN, 'v4')
      expect(started.status).toBe(201)
      done = await waitForRollout(s!.gw, r => r.status !== 'running', 120_000)
    } finally {
      await traffic.stop()
    }
    expect(done.json.rollout.status).toBe('rolled-back')
    expect(done.json.rollout.reason).toMatch(/experiment reached its maximum duration \(25\.0s\) without a decision: stable kept/)
    expect(done.json.rollout.endedAt - done.json.rollout.startedAt).toBeGreaterThanOrEqual(25_000)
    const outcomes = (done.json.rollout.checks as Array<{ check: string, verdict: string, figures: Record<string, number> }>).find(c => c.check === 'outcomes')!
    expect(outcomes.verdict).toBe('inconclusive')
    // Enough matured, labelled requests on both sides that the test could have decided.
    expect(outcomes.figures.canarySamples).toBeGreaterThan(300)
    expect(outcomes.figures.stableSamples).toBeGreaterThan(300)
    expect(await splitOf(s!.gw)).toEqual({ v1: 10_000 })
  }, 240_000)
})
