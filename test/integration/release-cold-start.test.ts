import { afterEach, describe, expect, it } from 'vitest'
import { backgroundLoad, fastPlan, GOLDEN_FILE, splitOf, startRollout, startSetup, waitForRollout, warm, type ReleaseSetup } from './release-harness.js'

// A canary process that has never served (not warmed before the rollout) and
// answers its first 200 requests 40 ms slower, then as fast as stable: a cold
// start. Judged on it, it is rolled back by latency; warmed up first, or with
// its first requests left out of the analysis, it is promoted. The exclusion
// leaves a margin past the 200 slow answers: a process that has just started
// is also slower for a while (JIT, first allocations); with 250 left out, one
// full run on a shared machine rolled it back.
// (bench/rollout.ts repeats the warm-up case: ROLLOUT_COLD_RUNS.)

const COLD = { coldRequests: 200, coldDelayMs: 40 }
const SUITES = { base: { files: [{ file: GOLDEN_FILE, tolerance: 0.00001 }] } }

async function run (s: ReleaseSetup, plan: Record<string, unknown>): Promise<{ status: string, reason: string }> {
  const load = backgroundLoad(s.gw.url)
  try {
    await warm(load)
    expect((await startRollout(s.gw, plan)).status).toBe(201)
    const done = await waitForRollout(s.gw, r => r.status !== 'running', 90_000)
    return done.json.rollout
  } finally {
    await load.stop()
  }
}

describe('a canary with a cold start', () => {
  let s: ReleaseSetup | undefined
  afterEach(async () => { await s?.stop() })

  it('judged from its first request, is rolled back by the latency check in its first step', { timeout: 120_000 }, async () => {
    s = await startSetup(COLD, 0, { suites: SUITES }, false)
    const r = await run(s, fastPlan())
    expect(r).toMatchObject({ status: 'rolled-back', step: 0 })
    expect(r.reason).toMatch(/^latency failed/)
  })

  it('warmed up first (600 golden requests to its replica) is promoted', { timeout: 120_000 }, async () => {
    s = await startSetup(COLD, 0, { suites: SUITES }, false)
    const plan = fastPlan()
    const r = await run(s, { ...plan, steps: [{ warmup: { requests: 600, suite: 'base', concurrency: 4 } }, ...(plan.steps as unknown[])] })
    expect(r.status).toBe('promoted')
    expect(await splitOf(s.gw)).toEqual({ v3: 10_000 })
  })

  it('with its first 400 requests left out of the analysis is promoted', { timeout: 120_000 }, async () => {
    s = await startSetup(COLD, 0, { suites: SUITES }, false)
    const r = await run(s, fastPlan({ exclude: { requests: 400 } }))
    // Status and reason together, so a rollback says which check failed.
    expect(`${r.status}: ${r.reason}`).toMatch(/^promoted: /)
  })
})
