import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { expectOk, PYTHON_ENV_TIMEOUT_MS, startOipClient, type InferOk, type OipClient } from '../support/oip-client.js'
import { startKserve, type OipServer } from '../support/oip-servers.js'
import { ensurePythonEnv } from '../../scripts/services/python-env.js'

// The binary tensor extension (Inference-Header-Content-Length: a JSON header,
// then raw tensor bytes) through the gateway in both directions, between
// tritonclient and KServe's model server, including a batch over 1 MiB.

const FACTOR = 3
/** 1024 × 256 FP32 = 1 MiB of raw tensor bytes each way. */
const BIG_SHAPE = [1024, 256]
const MIB = 1024 * 1024

let client: OipClient
let kserve: OipServer
let gw: GatewayProcess

beforeAll(async () => {
  const [started] = await Promise.all([startOipClient(), ensurePythonEnv('interop-kserve')])
  client = started
  kserve = await startKserve('scale', FACTOR)
  gw = await startGatewayProcess({
    models: {
      scale: {
        versions: { v1: { replicas: [kserve.url] } },
        release: { strategy: 'canary', stable: 'v1' },
        bodyLimitBytes: 4 * MIB,
        healthCheck: { enabled: false }
      }
    }
  })
}, PYTHON_ENV_TIMEOUT_MS)
afterAll(async () => {
  await client?.close()
  await gw?.stop()
  await kserve?.stop()
})

const small = { name: 'x', datatype: 'FP32', shape: [4, 8] } as const
const expectY = { input: 'x', output: 'y', factor: FACTOR }

describe('binary tensors: tritonclient -> gateway -> KServe', () => {
  it('a binary request tensor is answered with a binary output tensor of the right values', async () => {
    const r = expectOk(await client.call<InferOk>(gw.url, { op: 'infer', model: 'scale', inputs: [{ ...small, binary: true }], outputs: [{ name: 'y', binary: true }], expect: expectY }))
    expect(r.outputs.y).toMatchObject({ shape: [4, 8], datatype: 'FP32', binary_data_size: 4 * 8 * 4 })
    expect(r.max_abs_error).toBe(0)
  })

  it('a binary request tensor can be answered in JSON', async () => {
    const r = expectOk(await client.call<InferOk>(gw.url, { op: 'infer', model: 'scale', inputs: [{ ...small, binary: true }], outputs: [{ name: 'y', binary: false }], expect: expectY }))
    expect(r.outputs.y!.binary_data_size).toBeNull()
    expect(r.max_abs_error).toBe(0)
  })

  it('a JSON request tensor can be answered in binary', async () => {
    // tritonclient sends an all-JSON request without a content type, which KServe 0.21 reads as
    // binary and refuses for lack of Inference-Header-Content-Length; the content type settles it.
    const r = expectOk(await client.call<InferOk>(gw.url, {
      op: 'infer',
      model: 'scale',
      inputs: [{ ...small, binary: false }],
      outputs: [{ name: 'y', binary: true }],
      headers: { 'Content-Type': 'application/json' },
      expect: expectY
    }))
    expect(r.outputs.y!.binary_data_size).toBe(4 * 8 * 4)
    expect(r.max_abs_error).toBe(0)
  })

  it('a 1 MiB binary batch passes through both ways byte for byte', async () => {
    const r = expectOk(await client.call<InferOk>(gw.url, { op: 'infer', model: 'scale', inputs: [{ name: 'x', datatype: 'FP32', shape: BIG_SHAPE, binary: true }], outputs: [{ name: 'y', binary: true }], expect: expectY }))
    expect(r.outputs.y).toMatchObject({ shape: BIG_SHAPE, binary_data_size: MIB, count: MIB / 4 })
    expect(r.max_abs_error).toBe(0)
  })
})
