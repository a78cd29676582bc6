import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { expectOk, PYTHON_ENV_TIMEOUT_MS, type PythonClient } from '../support/oip-client.js'
import { startGrpcInteropClient, type GrpcClientCall } from '../support/grpc-interop-client.js'
import { startMlserver, type OipServer } from '../support/oip-servers.js'

// 200 ModelInfer calls in flight at once from tritonclient.grpc's async_infer,
// through the gateway's gRPC listener, to MLServer's gRPC listener (a model
// that sleeps 50 ms, so the calls overlap at the gateway and upstream).

const N = 200
let client: PythonClient<GrpcClientCall>
let mlserver: OipServer
let gw: GatewayProcess

beforeAll(async () => {
  client = await startGrpcInteropClient()
  mlserver = await startMlserver([{ name: 'scale', factor: 2, delaySeconds: 0.05 }])
  gw = await startGatewayProcess({
    grpc: { enabled: true },
    models: { scale: { versions: { v1: { replicas: [mlserver.grpcUrl!] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false } } }
  })
}, PYTHON_ENV_TIMEOUT_MS)
afterAll(async () => {
  await client?.close()
  await gw?.stop()
  await mlserver?.stop()
})

describe('concurrent async calls over gRPC', () => {
  it(`${N} calls in flight at once are all answered OK by the model`, async () => {
    const r = expectOk(await client.call<{ answered: number, errors: string[], unanswered: number }>(`grpc://${gw.grpcTarget!}`, {
      op: 'concurrent', model: 'scale', n: N, input: { name: 'x', datatype: 'FP32', shape: [1, 4] }
    }))
    expect(r).toMatchObject({ answered: N, errors: [], unanswered: 0 })
  })
})
