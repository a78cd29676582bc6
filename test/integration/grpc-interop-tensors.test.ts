import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { expectOk, PYTHON_ENV_TIMEOUT_MS, type PythonClient } from '../support/oip-client.js'
import { startGrpcInteropClient, type GrpcClientCall, type GrpcInferOk } from '../support/grpc-interop-client.js'
import { startKserve, startMlserver, type OipServer } from '../support/oip-servers.js'

// ModelInfer through the gateway's gRPC listener with tritonclient.grpc in
// front and MLServer and KServe behind: tensors as typed contents and as
// raw_input_contents, and a 1 MiB tensor each way compared byte for byte
// (factor 1: the output must be the input's exact bytes).

let client: PythonClient<GrpcClientCall>
let mlserver: OipServer
let kserve: OipServer
let gw: GatewayProcess
let target: string

/** 262,144 FP32 values: 1 MiB of tensor data. */
const MIB = { name: 'x', datatype: 'FP32', shape: [512, 512] } as const
const SMALL = { name: 'x', datatype: 'FP32', shape: [3, 4] } as const

beforeAll(async () => {
  client = await startGrpcInteropClient()
  ;[mlserver, kserve] = await Promise.all([
    startMlserver([{ name: 'scale', factor: 3 }, { name: 'identity', factor: 1 }]),
    startKserve('identity', 1, { grpc: true })
  ])
  const model = (replica: string): Record<string, unknown> => ({ versions: { v1: { replicas: [replica] } }, release: { strategy: 'canary', stable: 'v1' }, bodyLimitBytes: 4 * 1024 * 1024, healthCheck: { enabled: false } })
  gw = await startGatewayProcess({
    grpc: { enabled: true },
    models: {
      scale: model(mlserver.grpcUrl!),
      identity: model(mlserver.grpcUrl!),
      'kserve-identity': { ...model(kserve.grpcUrl!), versions: { v1: { replicas: [kserve.grpcUrl!], upstream: { model: 'identity' } } } }
    }
  })
  target = `grpc://${gw.grpcTarget!}`
}, PYTHON_ENV_TIMEOUT_MS)
afterAll(async () => {
  await client?.close()
  await gw?.stop()
  await Promise.all([mlserver?.stop(), kserve?.stop()])
})

const infer = async (call: Omit<Extract<GrpcClientCall, { op: 'infer' }>, 'op'>): Promise<GrpcInferOk> =>
  expectOk(await client.call<GrpcInferOk>(target, { op: 'infer', ...call }))

describe('gRPC ModelInfer tensors: tritonclient.grpc -> gateway -> MLServer / KServe', () => {
  it('typed contents (fp32_contents) reach MLServer and its answer comes back: y = 3x', async () => {
    const r = await infer({ model: 'scale', inputs: [SMALL], typed: true, expect: { input: 'x', output: 'y', factor: 3 } })
    expect(r.max_abs_error).toBe(0)
    expect(r.outputs.y).toMatchObject({ shape: [3, 4], datatype: 'FP32', count: 12 })
  })

  it('raw_input_contents reach MLServer and its answer comes back: y = 3x', async () => {
    const r = await infer({ model: 'scale', inputs: [SMALL], expect: { input: 'x', output: 'y', factor: 3 } })
    expect(r.max_abs_error).toBe(0)
    expect(r.model_name).toBe('scale')
  })

  it('a 1 MiB raw tensor goes to MLServer and comes back byte for byte', async () => {
    const r = await infer({ model: 'identity', inputs: [MIB] })
    expect(r.outputs.y).toMatchObject({ shape: [512, 512], count: 262_144 })
    expect(r.outputs.y!.sha256).toBe(r.input_sha256.x)
  })

  it('a 1 MiB raw tensor goes to KServe (mapped to its model name) and comes back byte for byte, named as the gateway names it', async () => {
    const r = await infer({ model: 'kserve-identity', inputs: [MIB] })
    expect(r.outputs.y).toMatchObject({ shape: [512, 512], count: 262_144 })
    expect(r.outputs.y!.sha256).toBe(r.input_sha256.x)
    expect(r.model_name).toBe('kserve-identity')
    expect(r.model_version).toBe('v1')
  })

  it('a 1 MiB tensor as typed contents reaches KServe and comes back byte for byte', async () => {
    const r = await infer({ model: 'kserve-identity', inputs: [MIB], typed: true })
    expect(r.outputs.y!.sha256).toBe(r.input_sha256.x)
  })
})
