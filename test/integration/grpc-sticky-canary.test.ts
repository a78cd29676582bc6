import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { expectOk, PYTHON_ENV_TIMEOUT_MS, type PythonClient } from '../support/oip-client.js'
import { startGrpcInteropClient, type GrpcClientCall } from '../support/grpc-interop-client.js'

// Sticky canary over gRPC: the sticky key comes from request metadata under
// the same name as the REST header (x-user-id), and the one decision function
// places each user. 2,000 users through tritonclient.grpc: the canary's share
// is its weight within tolerance, and each user lands on the same version as
// over REST.

const USERS = 2_000
const CANARY_BP = 2_000
let client: PythonClient<GrpcClientCall>
let v1: ModelProcess
let v2: ModelProcess
let gw: GatewayProcess
let byUser: Record<string, string>

beforeAll(async () => {
  client = await startGrpcInteropClient()
  ;[v1, v2] = await Promise.all([startModel({ version: 'v1', grpc: true }), startModel({ version: 'v2', grpc: true })])
  gw = await startGatewayProcess({
    grpc: { enabled: true },
    models: {
      fraud: {
        sticky: { header: 'x-user-id' },
        versions: { v1: { replicas: [v1.url, v1.grpcUrl!] }, v2: { replicas: [v2.url, v2.grpcUrl!] } },
        release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: CANARY_BP },
        healthCheck: { enabled: false }
      }
    }
  })
  const r = expectOk(await client.call<{ versions: Record<string, string> }>(`grpc://${gw.grpcTarget!}`, {
    op: 'sticky', model: 'fraud', users: USERS, prefix: 'user-', header: 'x-user-id', input: { name: 'features', datatype: 'FP64', shape: [1, 4], fill: 'values', values: [620, 200, 7, 265] }
  }))
  byUser = r.versions
}, PYTHON_ENV_TIMEOUT_MS)
afterAll(async () => {
  await client?.close()
  await gw?.stop()
  await Promise.all([v1?.stop(), v2?.stop()])
})

describe('sticky canary over gRPC', () => {
  it(`the canary serves ${CANARY_BP / 100}% of ${USERS} users within ±3 points`, () => {
    const canary = Object.values(byUser).filter(v => v === 'v2').length
    expect(Object.keys(byUser)).toHaveLength(USERS)
    expect(Math.abs(canary / USERS - CANARY_BP / 10_000)).toBeLessThan(0.03)
  })

  it('every user is served by the same version over REST as over gRPC', async () => {
    const mismatches: string[] = []
    const body = JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP64', shape: [1, 4], data: [620, 200, 7, 265] }] })
    const users = Object.entries(byUser)
    // 16 requests in flight at a time: the check is per user, not about load.
    for (let i = 0; i < users.length; i += 16) {
      await Promise.all(users.slice(i, i + 16).map(async ([user, version]) => {
        const res = await fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-user-id': user }, body })
        await res.arrayBuffer()
        if (res.headers.get('x-model-version') !== version) mismatches.push(user)
      }))
    }
    expect(mismatches).toEqual([])
  })
})
