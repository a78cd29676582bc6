import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCall, backgroundLoad, warm, fastPlan, splitOf, startRollout, startSetup, waitForRollout, ROLLOUT_TEST_TIMEOUT_MS, type ReleaseSetup } from './release-harness.js'

describe('a good canary', () => {
  let s: ReleaseSetup
  beforeAll(async () => { s = await startSetup() })
  afterAll(async () => { await s?.stop() })

  it('is promoted through every step: v3 ends stable at 100% with each step journaled', async () => {
    const load = backgroundLoad(s.gw.url)
    try {
      await warm(load)
      const started = await startRollout(s.gw, fastPlan())
      expect(started.status).toBe(201)
      expect(started.json.view).toMatchObject({ status: 'running', step: 1, weight: 2000 })
      const done = await waitForRollout(s.gw, r => r.status !== 'running')
      expect({ status: done.json.rollout.status, reason: done.json.rollout.reason }).toEqual({ status: 'promoted', reason: 'all checks passed at 50%: promoted v3 (2 steps)' })
    } finally {
      await load.stop()
    }
    expect(await splitOf(s.gw)).toEqual({ v3: 10_000 })
    const explain = await adminCall(s.gw, 'GET', '/admin/models/fraud/rollout/explain')
    const actions = (explain.json.entries as Array<{ action: string }>).map(e => e.action).filter(a => !['wait', 'extend'].includes(a))
    expect(actions).toEqual(['start', 'advance', 'promote'])
    const last = explain.json.entries.at(-1)
    expect(last.checks.map((c: { check: string, verdict: string }) => `${c.check}:${c.verdict}`)).toEqual(['errors:pass', 'latency:pass', 'outputs:pass'])
    expect(load.versions.get('v3') ?? 0).toBeGreaterThan(0)
  }, ROLLOUT_TEST_TIMEOUT_MS)
})
