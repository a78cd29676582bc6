import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { adminCall, backgroundLoad, fastPlan, splitOf, startRollout, TOKEN, waitForRollout, warm, warmModel } from './release-harness.js'

// A blue-green model under the controller: green is judged on its own
// explicit-version traffic against blue's live traffic (the preview step),
// then switched to, then watched against blue's last window before the switch.
// A green that turns bad after the switch (SIGUSR2) is switched back by itself;
// a good one completes.

const PLAN = fastPlan({ strategy: 'blue-green', steps: [{ preview: { bake: '6s' } }], watch: { duration: '8s' }, holdback: '1h' })

async function setup (green: Partial<Parameters<typeof startModel>[0]>): Promise<{ blue: ModelProcess, green: ModelProcess, gw: GatewayProcess, stop: () => Promise<void> }> {
  const blue = await startModel({ version: 'blue', extraArgs: ['--weights', 'v1'] })
  const g = await startModel({ version: 'green', extraArgs: ['--weights', 'v1'], ...green })
  const gw = await startGatewayProcess({
    admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
    rollouts: { tickMs: 100 },
    models: {
      fraud: {
        sticky: { header: 'x-user-id' },
        versions: { blue: { replicas: [blue.url] }, green: { replicas: [g.url] } },
        release: { strategy: 'blue-green', active: 'blue', preview: 'green' },
        healthCheck: { enabled: false },
        outlierDetection: { enabled: false },
        sampling: { rate: 1, captureBodies: true }
      }
    }
  }, { env: { LOG_LEVEL: 'info' } })
  await Promise.all([warmModel(blue.url), warmModel(g.url)])
  return { blue, green: g, gw, stop: async () => { await gw.stop(); await Promise.all([blue.stop(), g.stop()]) } }
}

/** Live users on the active version, and testers sending to the preview by name. */
async function releaseUnderLoad (gw: GatewayProcess, during: () => Promise<void>): Promise<void> {
  const live = backgroundLoad(gw.url, { concurrency: 4 })
  const testers = backgroundLoad(gw.url, { concurrency: 3, path: '/v2/models/fraud/versions/green/infer' })
  try {
    await warm(live)
    await during()
  } finally {
    await Promise.all([live.stop(), testers.stop()])
  }
}

describe('blue-green under the rollout controller', () => {
  let bad: Awaited<ReturnType<typeof setup>>
  let good: Awaited<ReturnType<typeof setup>>
  beforeAll(async () => {
    bad = await setup({ degradedErrorRate: 0.3 })
    good = await setup({})
  })
  afterAll(async () => {
    await bad?.stop()
    await good?.stop()
  })

  it('a green that goes bad after the switch is switched back to blue by the watch', { timeout: 90_000 }, async () => {
    await releaseUnderLoad(bad.gw, async () => {
      expect((await startRollout(bad.gw, PLAN, 'green')).status).toBe(201)
      const switched = await waitForRollout(bad.gw, r => r.status !== 'running')
      expect(switched.json.rollout).toMatchObject({ status: 'watching', baseline: { version: 'blue' } })
      expect(await splitOf(bad.gw)).toEqual({ green: 10_000, blue: 0 })
      bad.green.degrade()
      const done = await waitForRollout(bad.gw, r => r.status !== 'watching')
      expect(done.json.rollout.status).toBe('rolled-back')
      expect(done.json.rollout.reason).toMatch(/^post-promotion watch: errors failed/)
    })
    expect(await splitOf(bad.gw)).toEqual({ blue: 10_000, green: 0 })
    const model = (await adminCall(bad.gw, 'GET', '/admin/models/fraud')).json.model
    expect(model).toMatchObject({ strategy: 'blue-green', stable: 'blue', candidate: 'green' })
  })

  it('a good green is judged in preview, switched to, watched and completes, blue kept as the preview', { timeout: 90_000 }, async () => {
    await releaseUnderLoad(good.gw, async () => {
      expect((await startRollout(good.gw, PLAN, 'green')).status).toBe(201)
      expect(await splitOf(good.gw)).toEqual({ blue: 10_000, green: 0 })
      const done = await waitForRollout(good.gw, r => r.status !== 'running' && r.status !== 'watching')
      expect(done.json.rollout.status).toBe('promoted')
      expect(done.json.rollout.reason).toBe('watch of green over after 8.0s, every check passing')
    })
    expect(await splitOf(good.gw)).toEqual({ green: 10_000, blue: 0 })
    const explain = (await adminCall(good.gw, 'GET', '/admin/models/fraud/rollout/explain')).json.entries as Array<{ action: string, checks: Array<{ check: string, verdict: string }> }>
    const promote = explain.find(e => e.action === 'promote')!
    expect(promote.checks.map(c => `${c.check}:${c.verdict}`)).toEqual(['errors:pass', 'latency:pass', 'outputs:pass'])
  })
})
