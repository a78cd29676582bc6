import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { expectOk, oipClient, preparePythonClient, PYTHON_ENV_TIMEOUT_MS, type InferOk } from '../support/oip-client.js'
import { startMlserver, type OipServer } from '../support/oip-servers.js'

// One MLServer hosts two versions of one model under one name ("scale" 1 and 2,
// at /v2/models/scale/versions/{n}/…). The gateway maps its versions onto them
// with versions.<v>.upstream { model, version }, and serves version 2 under a
// second gateway name too; tritonclient picks versions explicitly.

const HEALTH = { enabled: true, intervalMs: 200, timeoutMs: 1_000, jitter: 0, unhealthyThreshold: 1, healthyThreshold: 1 }
let mlserver: OipServer
let gw: GatewayProcess

beforeAll(async () => {
  await preparePythonClient()
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
  await gw?.stop()
  await mlserver?.stop()
})

const x = { name: 'x', datatype: 'FP32', shape: [3, 4] } as const
const infer = async (model: string, version: string | undefined, factor: number): Promise<InferOk> =>
  expectOk(await oipClient<InferOk>(gw.url, { op: 'infer', model, ...(version ? { version } : {}), inputs: [x], expect: { input: 'x', output: 'y', factor } }))

describe('two versions of one model under one name upstream', () => {
  it('gateway version v1 is computed by upstream version 1 (y = 10x), v2 by version 2 (y = 20x)', async () => {
    const v1 = await infer('scale', 'v1', 10)
    expect(v1.max_abs_error).toBe(0)
    expect(v1.model_version).toBe('1')
    const v2 = await infer('scale', 'v2', 20)
    expect(v2.max_abs_error).toBe(0)
    expect(v2.model_version).toBe('2')
  })

  it('without an explicit version the active version v1 answers', async () => {
    expect((await infer('scale', undefined, 10)).max_abs_error).toBe(0)
  })

  it('a gateway model under another name reaches upstream scale version 2', async () => {
    expect((await infer('scorer', undefined, 20)).max_abs_error).toBe(0)
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
    for (const [version, upstream] of [['v1', '1'], ['v2', '2']] as const) {
      const meta = expectOk(await oipClient<{ metadata: { name: string, versions: string[] } }>(gw.url, { op: 'metadata', model: 'scale', version }))
      expect(meta.metadata).toMatchObject({ name: 'scale', versions: [upstream] })
      expect(expectOk(await oipClient<{ ready: boolean }>(gw.url, { op: 'model_ready', model: 'scale', version })).ready).toBe(true)
    }
  })
})
