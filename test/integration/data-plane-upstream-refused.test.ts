import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { closedPort } from '../support/ports.js'
import { expectGatewayError, FRAUD_REQUEST } from '../support/oip.js'

// Every replica of a version refusing connections (health checks off): the
// gateway tries another replica (the request never reached a model), then answers 502
// GW_UPSTREAM_UNAVAILABLE naming the model and version. Passive outlier ejection
// never takes the last available replica out, so without active checks the
// answer stays 502 and never becomes 503.

let stable: ModelProcess
let gw: GatewayProcess

beforeAll(async () => {
  stable = await startModel({ version: 'v1' })
  const [p1, p2] = await Promise.all([closedPort(), closedPort()])
  gw = await startGatewayProcess({
    models: {
      fraud: {
        versions: {
          v1: { replicas: [stable.url] },
          v2: { replicas: [`http://127.0.0.1:${p1}`, `http://127.0.0.1:${p2}`] }
        },
        release: { strategy: 'blue-green', active: 'v1', preview: 'v2' },
        fallbackToStable: false,
        healthCheck: { enabled: false }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await stable?.stop()
})

describe('upstream refusing connections', () => {
  it('answers 502 GW_UPSTREAM_UNAVAILABLE naming the model and version, on every request', async () => {
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${gw.url}/v2/models/fraud/versions/v2/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': `refused-${i}` }, body: FRAUD_REQUEST })
      const body = await expectGatewayError(res, 502, 'GW_UPSTREAM_UNAVAILABLE')
      expect(body.error).toContain('"fraud"')
      expect(body.error).toContain('"v2"')
      expect(body).toMatchObject({ model: 'fraud', version: 'v2' })
      expect(JSON.stringify(body)).not.toContain('127.0.0.1')
      expect(res.headers.get('x-request-id')).toBe(`refused-${i}`)
      expect(res.headers.get('x-model-version')).toBe('v2')
    }
  })

  it('answers a request for the active version 200 from v1 meanwhile', async () => {
    const res = await fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: FRAUD_REQUEST })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-model-version')).toBe('v1')
    await res.arrayBuffer()
    expect(gw.alive()).toBe(true)
  })
})
