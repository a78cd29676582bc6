import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCall, fastPlan, splitOf, startRollout, startSetup, type ReleaseSetup } from './release-harness.js'

// A model that requires verification gives no rollout weight to a version
// that has not passed `verify` (the weight gate in control/).

describe('rollout of an unverified version', () => {
  let s: ReleaseSetup
  beforeAll(async () => { s = await startSetup({}, 0, { requireVerification: true }) })
  afterAll(async () => { await s?.stop() })

  it('is refused with 409 GW_NOT_VERIFIED and the split stays as it was', async () => {
    const res = await startRollout(s.gw, fastPlan())
    expect(res.status).toBe(409)
    expect(res.json.code).toBe('GW_NOT_VERIFIED')
    expect(res.json.error).toContain('has not been verified')
    expect(await splitOf(s.gw)).toEqual({ v1: 10_000 })
    expect((await adminCall(s.gw, 'GET', '/admin/models/fraud/rollout')).json.code).toBe('GW_NO_ROLLOUT')
  })
})
