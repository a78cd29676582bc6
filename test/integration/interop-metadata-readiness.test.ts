import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../support/eventually.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { expectOk, PYTHON_ENV_TIMEOUT_MS, startOipClient, type OipClient } from '../support/oip-client.js'
import { startMlserver, type OipServer } from '../support/oip-servers.js'
import { closedPort } from '../support/ports.js'

// tritonclient's metadata and readiness calls through the gateway, MLServer
// behind it: model metadata comes from MLServer; server and model readiness
// follow the gateway's health checks (a preview version on a dead port is not
// ready, the model and the server still are through the active version).

const HEALTH = { enabled: true, intervalMs: 100, timeoutMs: 500, jitter: 0, unhealthyThreshold: 1, healthyThreshold: 1 }
let client: OipClient
let mlserver: OipServer
let gw: GatewayProcess

beforeAll(async () => {
  client = await startOipClient()
  mlserver = await startMlserver([{ name: 'scale', factor: 2 }])
  gw = await startGatewayProcess({
    models: {
      scale: {
        versions: { v1: { replicas: [mlserver.url] }, v2: { replicas: [`http://127.0.0.1:${await closedPort()}`] } },
        release: { strategy: 'blue-green', active: 'v1', preview: 'v2' },
        healthCheck: HEALTH
      }
    }
  })
  // Synchronise on the checks having run: the dead preview reported not ready by the gateway itself.
  await eventually(async () => {
    const res = await fetch(`${gw.url}/v2/models/scale/versions/v2/ready`)
    await res.arrayBuffer()
    expect(res.status).toBe(503)
  })
}, PYTHON_ENV_TIMEOUT_MS)
afterAll(async () => {
  await client?.close()
  await gw?.stop()
  await mlserver?.stop()
})

describe('metadata and readiness: tritonclient -> gateway -> MLServer', () => {
  it('model metadata is MLServer\'s: name, input x and output y as FP32', async () => {
    const results = await client.calls(gw.url, [{ op: 'metadata', model: 'scale' }, { op: 'metadata', model: 'scale', version: 'v1' }])
    expect(results).toHaveLength(2)
    for (const r of results) {
      expect(expectOk(r).metadata).toMatchObject({
        name: 'scale',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
        outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, -1] }]
      })
    }
  })

  it('the server is live and ready', async () => {
    expect(expectOk(await client.call(gw.url, { op: 'server' }))).toMatchObject({ live: true, ready: true })
  })

  it('the model and its healthy version are ready; the version on a dead port and an unknown model are not', async () => {
    const results = await client.calls(gw.url, [
      { op: 'model_ready', model: 'scale' },
      { op: 'model_ready', model: 'scale', version: 'v1' },
      { op: 'model_ready', model: 'scale', version: 'v2' },
      { op: 'model_ready', model: 'nope' }
    ])
    expect(results.map(r => expectOk(r).ready)).toEqual([true, true, false, false])
  })
})
