import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { expectOk, PYTHON_ENV_TIMEOUT_MS } from '../support/oip-client.js'
import { startGrpcInteropClient, type GrpcClientCall } from '../support/grpc-interop-client.js'
import type { PythonClient } from '../support/oip-client.js'
import { startKserve, startMlserver, type OipServer } from '../support/oip-servers.js'
import { closedPort } from '../support/ports.js'
import { eventuallyNotReady } from '../support/grpc-client.js'

// tritonclient.grpc's metadata and readiness calls through the gateway's gRPC
// listener; MLServer (two versions of one model under one name) and KServe
// serve gRPC behind it. The gateway health-checks those replicas over gRPC:
// a preview version on a dead port is not ready, the model still is.

const HEALTH = { enabled: true, intervalMs: 100, timeoutMs: 1_000, jitter: 0, unhealthyThreshold: 1, healthyThreshold: 1 }
let client: PythonClient<GrpcClientCall>
let mlserver: OipServer
let kserve: OipServer
let gw: GatewayProcess
let target: string

beforeAll(async () => {
  client = await startGrpcInteropClient()
  ;[mlserver, kserve] = await Promise.all([
    startMlserver([{ name: 'scale', version: '1', factor: 10 }, { name: 'scale', version: '2', factor: 20 }]),
    startKserve('doubler', 2, { grpc: true })
  ])
  gw = await startGatewayProcess({
    grpc: { enabled: true },
    models: {
      scale: {
        versions: {
          v1: { replicas: [mlserver.grpcUrl!], upstream: { version: '1' } },
          v2: { replicas: [mlserver.grpcUrl!], upstream: { version: '2' } },
          v3: { replicas: [`grpc://127.0.0.1:${await closedPort()}`] }
        },
        release: { strategy: 'blue-green', active: 'v1', preview: 'v2' },
        healthCheck: HEALTH
      },
      doubler: { versions: { v1: { replicas: [kserve.grpcUrl!] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: HEALTH }
    }
  })
  target = `grpc://${gw.grpcTarget!}`
  // Synchronise on the gRPC checks having run: the dead version reported not ready by the gateway itself.
  await eventuallyNotReady(gw.grpcTarget!, 'scale', 'v3')
}, PYTHON_ENV_TIMEOUT_MS)
afterAll(async () => {
  await client?.close()
  await gw?.stop()
  await Promise.all([mlserver?.stop(), kserve?.stop()])
})

describe('gRPC metadata and readiness: tritonclient.grpc -> gateway -> MLServer and KServe', () => {
  it('the server is live and ready, and names itself model-gateway', async () => {
    expect(expectOk(await client.call(target, { op: 'server' }))).toMatchObject({ live: true, ready: true, name: 'model-gateway' })
  })

  it('model metadata comes from the chosen version, named as the gateway names model and version', async () => {
    const [m1, m2, k] = (await client.calls(target, [
      { op: 'metadata', model: 'scale' },
      { op: 'metadata', model: 'scale', version: 'v2' },
      { op: 'metadata', model: 'doubler' }
    ])).map(r => expectOk(r).metadata)
    const tensors = { inputs: [{ name: 'x', datatype: 'FP32', shape: ['-1', '-1'] }], outputs: [{ name: 'y', datatype: 'FP32', shape: ['-1', '-1'] }] }
    expect(m1).toMatchObject({ name: 'scale', versions: ['v1'], ...tensors })
    expect(m2).toMatchObject({ name: 'scale', versions: ['v2'], ...tensors })
    expect(k).toMatchObject({ name: 'doubler' })
  })

  it('the model and its versions on live replicas are ready; the version on a dead port is not', async () => {
    const ready = (await client.calls(target, [
      { op: 'model_ready', model: 'scale' },
      { op: 'model_ready', model: 'scale', version: 'v1' },
      { op: 'model_ready', model: 'scale', version: 'v2' },
      { op: 'model_ready', model: 'scale', version: 'v3' },
      { op: 'model_ready', model: 'doubler' }
    ])).map(r => expectOk(r).ready)
    expect(ready).toEqual([true, true, true, false, true])
  })

  it('readiness of a model the gateway does not serve is NOT_FOUND with the gateway\'s message', async () => {
    const r = await client.call(target, { op: 'model_ready', model: 'nope' })
    expect(r).toMatchObject({ ok: false, exception: 'InferenceServerException', status: 'StatusCode.NOT_FOUND', message: 'model "nope" is not served by this gateway' })
  })
})
