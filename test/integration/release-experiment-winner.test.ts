// An experiment between stable v1 and a truly better v3 (v3 is the model the
// simulated world follows; v1 is not): the split is held until the sequential
// test on accuracy decides, and v3 is promoted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCall, splitOf, startRollout, waitForRollout } from './release-harness.js'
import { labelledTraffic, startOutcomeRelease, type OutcomeReleaseSetup } from './release-outcomes-harness.js'

let s: OutcomeReleaseSetup | undefined
beforeAll(async () => { s = await startOutcomeRelease('owin', 'v3', { extraArgs: ['--weights', 'v2'] }) })
afterAll(async () => { await s?.stop() })

const PLAN = {
  experiment: { split: '50%', maxDuration: '150s' },
  interval: '1s',
  alpha: 0.05,
  checks: { outcomes: { metric: 'accuracy', maturity: '2s', minSamples: 300 } }
}

describe('an experiment with a better candidate', () => {
  it('holds the 50/50 split until the test decides, then promotes the candidate', async () => {
    const traffic = labelledTraffic(s!.gw.url, 'v2', { delayMs: 500 })
    let done
    try {
      expect((await startRollout(s!.gw, PLAN, 'v3')).status).toBe(201)
      expect(await splitOf(s!.gw)).toEqual({ v3: 5_000, v1: 5_000 })
      done = await waitForRollout(s!.gw, r => r.status !== 'running', 200_000)
    } finally {
      await traffic.stop()
    }
    expect(done.json.rollout.status).toBe('promoted')
    expect(done.json.rollout.reason).toMatch(/experiment decided: v3 wins \(accuracy canary/)
    const outcomes = (done.json.rollout.checks as Array<{ check: string, verdict: string, figures: Record<string, number> }>).find(c => c.check === 'outcomes')!
    expect(outcomes.verdict).toBe('pass')
    expect(outcomes.figures.canaryValue).toBeGreaterThan(outcomes.figures.stableValue)
    expect(outcomes.figures.pBetter).toBeLessThanOrEqual(outcomes.figures.alpha)
    expect(await splitOf(s!.gw)).toEqual({ v3: 10_000 })
    const audit = await adminCall(s!.gw, 'GET', '/admin/audit?limit=5')
    expect(audit.json.entries.find((e: { action: string }) => e.action === 'rollout-promote').actor).toMatch(/^rollout-controller@/)
  }, 300_000)
})
