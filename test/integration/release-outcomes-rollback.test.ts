// A canary whose predictions have the same distribution as stable's but are
// wrong more often (the fraud model answering each user with another user's
// score): the outputs check passes it, and the outcomes check rolls it back
// once its requests' labels have matured.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCall, journalOf, splitOf, startRollout, waitForRollout } from './release-harness.js'
import { labelledTraffic, startOutcomeRelease, type OutcomeReleaseSetup } from './release-outcomes-harness.js'

let s: OutcomeReleaseSetup | undefined
beforeAll(async () => { s = await startOutcomeRelease('oroll', 'v2', { extraArgs: ['--shuffle', '--weights', 'v1'] }) })
afterAll(async () => { await s?.stop() })

const PLAN = {
  steps: [{ weight: '50%', bake: '60s' }],
  interval: '1s',
  maxExtension: '60s',
  alpha: 0.05,
  checks: {
    outputs: { output: 'fraud_probability', minSamples: 100 },
    outcomes: { metric: 'accuracy', maturity: '3s', minSamples: 150, minEffect: 0.02 }
  }
}

interface Check { check: string, verdict: string, figures: Record<string, number> }

describe('a canary as confident as stable but wrong more often', () => {
  it('passes the outputs check, and is rolled back by the outcomes check once labels mature', async () => {
    const traffic = labelledTraffic(s!.gw.url, 'v1', { delayMs: 1_000 })
    try {
      expect((await startRollout(s!.gw, PLAN, 'v2')).status).toBe(201)
      const done = await waitForRollout(s!.gw, r => r.status !== 'running', 120_000)
      expect(done.json.rollout).toMatchObject({ status: 'rolled-back', step: 0 })
      expect(done.json.rollout.reason).toMatch(/outcomes failed: accuracy canary/)
      const final = Object.fromEntries((done.json.rollout.checks as Check[]).map(c => [c.check, c]))
      expect(final.outputs!.verdict).toBe('pass')
      expect(final.outcomes!.verdict).toBe('fail')
      expect(final.outcomes!.figures.canaryValue).toBeLessThan(final.outcomes!.figures.stableValue - 0.05)
    } finally {
      await traffic.stop()
    }
    // Before the labels had matured, the outputs check already passed while the outcomes check waited.
    const explain = await adminCall(s!.gw, 'GET', '/admin/models/fraud/rollout/explain')
    const entries = explain.json.entries as Array<{ checks: Check[] }>
    const early = entries.filter(e => e.checks.some(c => c.check === 'outputs' && c.verdict === 'pass') && e.checks.some(c => c.check === 'outcomes' && c.verdict === 'inconclusive'))
    expect(early.length).toBeGreaterThan(0)
    expect((await journalOf(s!.gw)).at(-1)?.action).toBe('rollback')
    expect(await splitOf(s!.gw)).toEqual({ v1: 10_000 })
  }, 240_000)
})
