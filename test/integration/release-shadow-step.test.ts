import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { repoRoot } from '../../scripts/processes/ready-process.js'
import { adminCall, backgroundLoad, fastPlan, splitOf, startRollout, startSetup, TOKEN, waitForRollout, warm, type ReleaseSetup } from './release-harness.js'

// v3 answers 200 with the same schema but flips its prediction for amounts
// above 500: a plan that shadows before any weight sees the disagreement on
// mirrored requests and stops the release before a single user is answered by v3.

describe('a shadow step with low agreement', () => {
  let s: ReleaseSetup
  beforeAll(async () => { s = await startSetup({ extraArgs: ['--flip-above-amount', '500'] }) })
  afterAll(async () => { await s?.stop() })

  it('rolls back at the shadow step: no user answer from v3, v3 never given weight, the shadow checks in status and explain', { timeout: 90_000 }, async () => {
    const load = backgroundLoad(s.gw.url, { watch: 'v3' })
    try {
      await warm(load)
      const plan = fastPlan({ steps: [{ shadow: { share: '50%', duration: '5s', minPairs: 100, minAgreement: 0.99 } }, { weight: '20%', bake: '6s' }] })
      const started = await startRollout(s.gw, plan)
      expect(started.status).toBe(201)
      expect(started.json.rollout.reason).toBe('started by ops: step 1 mirroring 50% of live requests to v3 for 5.0s')
      expect((await adminCall(s.gw, 'GET', '/admin/models/fraud')).json.model.shadow).toEqual({ version: 'v3', weight: 5000 })
      const done = await waitForRollout(s.gw, r => r.status !== 'running')
      expect(done.json.rollout).toMatchObject({ status: 'rolled-back', step: 0 })
      expect(done.json.rollout.reason).toMatch(/^shadow-agreement failed: \d+\.\d+% of \d+ answered pairs within 0\.000001 \(min 99\.00%\)/)
    } finally {
      await load.stop()
    }
    expect(load.firstFrom).toBeNull()
    expect(await splitOf(s.gw)).toEqual({ v1: 10_000 })
    expect((await adminCall(s.gw, 'GET', '/admin/models/fraud')).json.model.shadow).toBeNull()
    const audit = (await adminCall(s.gw, 'GET', '/admin/audit?limit=50')).json.entries as Array<{ after: { split: Array<{ version: string, weight: number }> } | null }>
    expect(audit.flatMap(e => e.after?.split ?? []).filter(x => x.version === 'v3' && x.weight > 0)).toEqual([])

    const cli = async (...args: string[]): Promise<string> => (await promisify(execFile)('node', [join(repoRoot(), 'dist', 'gateway', 'cli', 'main.js'), 'rollout', ...args, '--admin-url', s.gw.adminUrl!, '--token', TOKEN])).stdout
    const status = await cli('status', 'fraud', '--once')
    expect(status).toMatch(/^rollout of fraud v3 \(stable v1\): ROLLED-BACK — shadow-agreement failed/)
    expect(status).toMatch(/shadow-agreement FAIL/)
    expect(status).toMatch(/shadow-errors PASS/)
    const explain = await cli('explain', 'fraud')
    expect(explain).toMatch(/rollback {3}step 1 at 0%: shadow-agreement failed/)
  })
})
