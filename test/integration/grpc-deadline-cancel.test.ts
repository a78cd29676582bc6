import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { fraudRequest, OipGrpcClient } from '../support/grpc-client.js'

// A gRPC client's deadline (grpc-timeout) is the request's deadline at the
// gateway and upstream, and a client that cancels cancels the upstream call:
// in both cases the replica's slot is free again at once, long before the slow
// model would have answered.

const MODEL_DELAY_MS = 5_000
let model: ModelProcess
let gw: GatewayProcess
let client: OipGrpcClient

beforeAll(async () => {
  model = await startModel({ version: 'v1', grpc: true, delayMs: MODEL_DELAY_MS })
  gw = await startGatewayProcess({
    grpc: { enabled: true },
    admin: { metricsPublic: true },
    models: { fraud: { versions: { v1: { replicas: [model.grpcUrl!] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false }, timeouts: { requestMs: 30_000 } } }
  })
  client = new OipGrpcClient(gw.grpcTarget!)
})
afterAll(async () => {
  client?.close()
  await gw?.stop()
  await model?.stop()
})

async function inFlight (): Promise<number> {
  const text = await (await fetch(`${gw.adminUrl!}/metrics`)).text()
  const line = text.split('\n').find(l => l.startsWith('model_gateway_requests_in_flight{model="fraud",version="v1"}'))
  return Number(line?.split(' ').pop() ?? NaN)
}

describe('gRPC deadlines and cancellation', () => {
  it('a call with a 500 ms deadline ends DEADLINE_EXCEEDED, and the upstream call ends with it', async () => {
    const started = performance.now()
    const a = await client.call('ModelInfer', fraudRequest('fraud', [620, 200, 7, 265]), { timeoutMs: 500 })
    expect(a.code).toBe(4)
    expect(performance.now() - started).toBeLessThan(MODEL_DELAY_MS)
    await eventually(async () => { expect(await inFlight()).toBe(0) }, { timeoutMs: 2_000 })
  })

  it('a call the client cancels frees the replica\'s slot before the model answers', async () => {
    let cancel: (() => void) | undefined
    const pending = client.call('ModelInfer', fraudRequest('fraud', [620, 200, 7, 265]), { started: (c) => { cancel = () => { c.cancel() } } })
    await eventually(async () => { expect(await inFlight()).toBe(1) })
    const at = performance.now()
    cancel!()
    expect((await pending).code).toBe(1)
    await eventually(async () => { expect(await inFlight()).toBe(0) }, { timeoutMs: 2_000 })
    expect(performance.now() - at).toBeLessThan(MODEL_DELAY_MS)
  })
})
