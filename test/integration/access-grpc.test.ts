// Access control covers the gRPC listener too: the same gate reads the key
// from `authorization` metadata. No key: UNAUTHENTICATED; a key scoped to
// fraud: the call is scored, and a model outside its scope is PERMISSION_DENIED.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { fraudRequest, OipGrpcClient } from '../support/grpc-client.js'

const KEY = 'grpc-caller-key-0123456789abcdef'
let model: ModelProcess
let gw: GatewayProcess
let client: OipGrpcClient

beforeAll(async () => {
  model = await startModel({ version: 'v1', grpc: true })
  const one = { versions: { v1: { replicas: [model.grpcUrl!] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false } }
  gw = await startGatewayProcess({
    grpc: { enabled: true },
    access: { enabled: true, applications: { checkout: { models: ['fraud'], keys: [{ name: 'main', key: KEY }] } } },
    models: { fraud: one, churn: one }
  })
  client = new OipGrpcClient(gw.grpcTarget!)
})
afterAll(async () => {
  client?.close()
  await gw?.stop()
  await model?.stop()
})

describe('access control on gRPC', () => {
  it('a call without a key is UNAUTHENTICATED (16) with the gateway\'s code in the trailers', async () => {
    const a = await client.call('ModelInfer', fraudRequest('fraud', [620, 200, 7, 265]))
    expect(a.code).toBe(16)
    expect(a.trailers['x-gateway-error-code']).toBe('GW_UNAUTHORIZED')
  })

  it('a key scoped to fraud scores fraud over gRPC', async () => {
    const a = await client.call('ModelInfer', fraudRequest('fraud', [620, 200, 7, 265]), { metadata: { authorization: `Bearer ${KEY}` } })
    expect(a.code).toBe(0)
    expect(a.headers['x-model-version']).toBe('v1')
  })

  it('the same key on model churn is PERMISSION_DENIED (7)', async () => {
    const a = await client.call('ModelInfer', fraudRequest('churn', [620, 200, 7, 265]), { metadata: { authorization: `Bearer ${KEY}` } })
    expect(a.code).toBe(7)
    expect(a.details).toBe('application "checkout" may not use model "churn"')
  })
})
