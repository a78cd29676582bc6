import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { fraudRequest } from '../support/oip.js'

// A real fraud probability comes back through the gateway; the user's version is
// sticky (x-user-id) and named in x-model-version, and v1 and v2 give different
// probabilities for the same transaction.

const TX = [620, 200, 7, 265]
const INPUT = JSON.stringify(fraudRequest(TX))
const V1_P = 0.7502601055951177
const V2_P = 1 / (1 + Math.exp(-0.0775))

const models: ModelProcess[] = []
let gw: GatewayProcess

beforeAll(async () => {
  const [v1, v2] = await Promise.all([startModel({ version: 'v1' }), startModel({ version: 'v2' })])
  models.push(v1!, v2!)
  gw = await startGatewayProcess({
    models: {
      fraud: {
        sticky: { header: 'x-user-id' },
        versions: { v1: { replicas: [v1!.url] }, v2: { replicas: [v2!.url] } },
        release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 5_000 },
        healthCheck: { enabled: false }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await Promise.all(models.map(m => m.stop()))
})

interface Scored { version: string, bodyVersion: string, p: number }

async function score (user: string): Promise<Scored> {
  const res = await fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-user-id': user }, body: INPUT })
  expect(res.status).toBe(200)
  const body = await res.json() as { model_name: string, model_version: string, outputs: Array<{ name: string, data: number[] }> }
  expect(body.model_name).toBe('fraud')
  expect(body.outputs[0]!.name).toBe('fraud_probability')
  return { version: res.headers.get('x-model-version')!, bodyVersion: body.model_version, p: body.outputs[0]!.data[0]! }
}

const USERS = Array.from({ length: 40 }, (_, i) => `user-${i}`)

/** Each user's first answer. */
async function scoreAll (): Promise<Map<string, Scored>> {
  const out = new Map<string, Scored>()
  for (const user of USERS) out.set(user, await score(user))
  return out
}

describe('fraud scoring through the gateway', () => {
  it('returns the probability of the version named in x-model-version, and both versions serve some of 40 users', async () => {
    const seen = await scoreAll()
    for (const s of seen.values()) {
      expect(['v1', 'v2']).toContain(s.version)
      expect(s.bodyVersion).toBe(s.version)
      expect(s.p).toBeCloseTo(s.version === 'v1' ? V1_P : V2_P, 12)
    }
    // 40 users on a 50% canary: both versions serve some of them.
    expect(new Set([...seen.values()].map(s => s.version))).toEqual(new Set(['v1', 'v2']))
  })

  it('keeps every user on their version, with the same probability', async () => {
    const first = await scoreAll()
    for (const [user, s] of first) {
      const again = await score(user)
      expect(again.version).toBe(s.version)
      expect(again.p).toBe(s.p)
    }
  })

  it('v1 and v2 score the same transaction differently', async () => {
    const byVersion = new Map([...(await scoreAll()).values()].map(s => [s.version, s.p]))
    expect(byVersion.get('v1')).not.toBeCloseTo(byVersion.get('v2')!, 3)
  })
})
