import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { expectOk, PYTHON_ENV_TIMEOUT_MS, startOipClient, type ClientCall, type InferOk, type OipClient } from '../support/oip-client.js'
import { startMlserver, type OipServer } from '../support/oip-servers.js'

// One MLServer hosts two versions of one model under one name ("scale" 1 and 2,
// at /v2/models/scale/versions/{n}/…). The gateway maps its versions onto them
// with versions.<v>.upstream { model, version }, and serves version 2 under a
// second gateway name too; tritonclient picks versions explicitly.

const HEALTH = { enabled: true, intervalMs: 200, timeoutMs: 1_000, jitter: 0, unhealthyThreshold: 1, healthyThreshold: 1 }
let client: OipClient
let mlserver: OipServer
let gw: GatewayProcess

beforeAll(async () => {
  client = await startOipClient()
  mlserver = await startMlserver([{ name: 'scale', version: '1', factor: 10 }, { name: 'scale', version: '2', factor: 20 }])
  const replicas = [mlserver.url]
  gw = await startGatewayProcess({
    models: {
      scale: {
        versions: { v1: { replicas, upstream: { version: '1' } }, v2: { replicas, upstream: { model: 'scale', version: '2' } } },
        release: { strategy: 'blue-green', active: 'v1', preview: 'v2' },
        healthCheck: HEALTH
      },
      scorer: {
        versions: { green: { replicas, upstream: { model: 'scale', version: '2' } } },
        release: { strategy: 'canary', stable: 'green' },
        healthCheck: HEALTH
      }
    }
  })
}, PYTHON_ENV_TIMEOUT_MS)
afterAll(async () => {
  await client?.close()
  await gw?.stop()
  await mlserver?.stop()
})

const x = { name: 'x', datatype: 'FP32', shape: [3, 4] } as const
const inferCall = (model: string, version: string | undefined, factor: number): ClientCall =>
  ({ op: 'infer', model, ...(version ? { version } : {}), inputs: [x], expect: { input: 'x', output: 'y', factor } })
const infer = async (...calls: ClientCall[]): Promise<InferOk[]> =>
  (await client.calls(gw.url, calls)).map(r => expectOk(r) as unknown as InferOk)

describe('two versions of one model under one name upstream', () => {
  it('gateway version v1 is computed by upstream version 1 (y = 10x), v2 by version 2 (y = 20x)', async () => {
    const [v1, v2] = await infer(inferCall('scale', 'v1', 10), inferCall('scale', 'v2', 20))
    expect(v1).toMatchObject({ max_abs_error: 0, model_version: '1' })
    expect(v2).toMatchObject({ max_abs_error: 0, model_version: '2' })
  })

  it('without an explicit version the active version v1 answers', async () => {
    const [r] = await infer(inferCall('scale', undefined, 10))
    expect(r!.max_abs_error).toBe(0)
  })

  it('a gateway model under another name reaches upstream scale version 2', async () => {
    const [r] = await infer(inferCall('scorer', undefined, 20))
    expect(r!.max_abs_error).toBe(0)
  })

  it('the answer names the gateway\'s version in x-model-version, the body keeps the upstream one', async () => {
    const res = await fetch(`${gw.url}/v2/models/scale/versions/v2/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [1] }] })
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-model-version')).toBe('v2')
    expect(await res.json()).toMatchObject({ model_name: 'scale', model_version: '2', outputs: [{ name: 'y', data: [20] }] })
  })

  it('metadata of each version is the mapped upstream version\'s, and each version is ready', async () => {
    const [meta1, meta2, ready1, ready2] = (await client.calls(gw.url, [
      { op: 'metadata', model: 'scale', version: 'v1' },
      { op: 'metadata', model: 'scale', version: 'v2' },
      { op: 'model_ready', model: 'scale', version: 'v1' },
      { op: 'model_ready', model: 'scale', version: 'v2' }
    ])).map(r => expectOk(r))
    expect(meta1!.metadata).toMatchObject({ name: 'scale', versions: ['1'] })
    expect(meta2!.metadata).toMatchObject({ name: 'scale', versions: ['2'] })
    expect([ready1!.ready, ready2!.ready]).toEqual([true, true])
  })
})
