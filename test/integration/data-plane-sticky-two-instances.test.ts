import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { FRAUD_REQUEST } from '../support/oip.js'

// Same key + same config = same version on every gateway instance: two separate
// gateway processes route 200 users identically.

const USERS = Array.from({ length: 200 }, (_, i) => `customer-${i * 7919}`)

const models: ModelProcess[] = []
const gateways: GatewayProcess[] = []

beforeAll(async () => {
  const [v1, v2] = await Promise.all([startModel({ version: 'v1' }), startModel({ version: 'v2' })])
  models.push(v1!, v2!)
  const config = {
    models: {
      fraud: {
        sticky: { header: 'x-user-id' },
        versions: { v1: { replicas: [v1!.url] }, v2: { replicas: [v2!.url] } },
        release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 3_000 },
        healthCheck: { enabled: false }
      }
    }
  }
  gateways.push(...await Promise.all([startGatewayProcess(config), startGatewayProcess(config)]))
})
afterAll(async () => {
  await Promise.all(gateways.map(g => g.stop()))
  await Promise.all(models.map(m => m.stop()))
})

async function versionFor (gw: GatewayProcess, user: string): Promise<string> {
  const res = await fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-user-id': user }, body: FRAUD_REQUEST })
  expect(res.status).toBe(200)
  const body = await res.json() as { model_version: string }
  const header = res.headers.get('x-model-version')!
  expect(body.model_version).toBe(header)
  return header
}

describe('stickiness across gateway instances', () => {
  it('two gateway processes with the same config send each of 200 users to the same version', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess]
    expect(a.pid).not.toBe(b.pid)
    const fromA: string[] = []
    const fromB: string[] = []
    for (const user of USERS) {
      fromA.push(await versionFor(a, user))
      fromB.push(await versionFor(b, user))
    }
    expect(fromB).toEqual(fromA)
    // A 30% canary over 200 users puts some on each version (expected 60 on v2).
    const onCanary = fromA.filter(v => v === 'v2').length
    expect(onCanary).toBeGreaterThan(30)
    expect(onCanary).toBeLessThan(90)
  })
})
