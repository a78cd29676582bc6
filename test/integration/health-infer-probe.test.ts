import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { fraudRequest } from '../support/oip.js'

// With healthCheck.inferPayload the probe is a real scoring request to the
// model's infer endpoint; expectBodyContains checks the answer. A model that
// answers its readiness route but cannot score (or scores something else) fails.

const TOKEN = 'infer-probe-token-0123456789'
const GOOD = fraudRequest()
const BAD_SHAPE = { inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }

interface Row { model: string, healthy: boolean, lastCheck: { ok: boolean, status: number | null, error: string | null } | null }

describe('infer health probes', () => {
  const models: ModelProcess[] = []
  let gw: GatewayProcess

  beforeAll(async () => {
    models.push(...await Promise.all(['fraud', 'fraud2', 'fraud3'].map(name => startModel({ version: 'v1', name }))))
    const model = (i: number, healthCheck: object): object => ({
      versions: { v1: { replicas: [models[i]!.url] } },
      release: { strategy: 'canary', stable: 'v1' },
      healthCheck: { intervalMs: 60_000, timeoutMs: 1_000, unhealthyThreshold: 1, ...healthCheck }
    })
    gw = await startGatewayProcess({
      admin: { tokens: [{ name: 'dash', token: TOKEN, role: 'read' }] },
      models: {
        fraud: model(0, { inferPayload: GOOD, expectBodyContains: '"fraud_probability"' }),
        fraud2: model(1, { inferPayload: GOOD, expectBodyContains: 'not-in-the-answer' }),
        fraud3: model(2, { inferPayload: BAD_SHAPE })
      }
    })
  })
  afterAll(async () => {
    await gw?.stop()
    await Promise.all(models.map(m => m.stop()))
  })

  it('passes on an expected answer, fails on an unexpected body or an error status, and logs each failure as an infer probe', async () => {
    const rows = await eventually(async () => {
      const res = await fetch(`${gw.adminUrl!}/admin/health`, { headers: { authorization: `Bearer ${TOKEN}` } })
      const replicas = ((await res.json()) as { replicas: Row[] }).replicas
      expect(replicas.filter(r => r.lastCheck !== null)).toHaveLength(3)
      return replicas
    }, { timeoutMs: 5_000, intervalMs: 25 })
    const by = new Map(rows.map(r => [r.model, r]))
    expect(by.get('fraud')).toMatchObject({ healthy: true, lastCheck: { ok: true, status: 200, error: null } })
    expect(by.get('fraud2')).toMatchObject({ healthy: false, lastCheck: { ok: false, status: 200, error: 'unexpected body' } })
    expect(by.get('fraud3')).toMatchObject({ healthy: false, lastCheck: { ok: false, status: 400, error: 'status 400' } })

    // The failures were infer probes, logged at warn with the result.
    const failed = gw.stderr().split('\n').filter(l => l.includes('"msg":"health check failed"')).map(l => JSON.parse(l) as { healthCheck: { kind: string, model: string } })
    expect(failed.map(f => f.healthCheck.model).sort()).toEqual(['fraud2', 'fraud3'])
    expect(failed.every(f => f.healthCheck.kind === 'infer')).toBe(true)
  })
})
