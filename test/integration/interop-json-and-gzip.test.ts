import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { expectOk, PYTHON_ENV_TIMEOUT_MS, startOipClient, type InferOk, type OipClient } from '../support/oip-client.js'
import { startMlserver, type OipServer } from '../support/oip-servers.js'

// A third-party client (tritonclient) and a third-party server (MLServer) with
// the gateway between them: JSON tensors both ways, and request bodies the
// client gzip-compresses (the gateway passes them through; MLServer inflates).

const FACTOR = 10
let client: OipClient
let mlserver: OipServer
let gw: GatewayProcess

beforeAll(async () => {
  client = await startOipClient()
  mlserver = await startMlserver([{ name: 'scale', factor: FACTOR }])
  gw = await startGatewayProcess({
    models: {
      scale: {
        versions: { v1: { replicas: [mlserver.url] } },
        release: { strategy: 'canary', stable: 'v1' },
        healthCheck: { enabled: false }
      }
    }
  })
}, PYTHON_ENV_TIMEOUT_MS)
afterAll(async () => {
  await client?.close()
  await gw?.stop()
  await mlserver?.stop()
})

describe('tritonclient -> gateway -> MLServer', () => {
  it('a JSON tensor request gets the JSON tensor MLServer computed (y = 10x)', async () => {
    const r = expectOk(await client.call<InferOk>(gw.url, {
      op: 'infer',
      model: 'scale',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3] }],
      outputs: [{ name: 'y', binary: false }],
      expect: { input: 'x', output: 'y', factor: FACTOR }
    }))
    expect(r.model_name).toBe('scale')
    expect(r.outputs.y).toMatchObject({ shape: [2, 3], datatype: 'FP32', binary_data_size: null, head: [0, 10, 20, 30, 40, 50] })
    expect(r.max_abs_error).toBe(0)
  })

  it('a gzip-compressed request body reaches MLServer and is answered correctly', async () => {
    const r = expectOk(await client.call<InferOk>(gw.url, {
      op: 'infer',
      model: 'scale',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [50, 40] }],
      compression: 'gzip',
      expect: { input: 'x', output: 'y', factor: FACTOR }
    }))
    expect(r.outputs.y!.shape).toEqual([50, 40])
    expect(r.max_abs_error).toBe(0)
  })
})
