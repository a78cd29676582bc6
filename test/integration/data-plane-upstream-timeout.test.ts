import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { expectGatewayError, FRAUD_REQUEST } from '../support/oip.js'

// A model slower than timeouts.requestMs gets 504 GW_UPSTREAM_TIMEOUT naming the
// model, the version and the timeout; the request is not retried elsewhere.

const REQUEST_TIMEOUT_MS = 400
const MODEL_DELAY_MS = 4_000

let slow: ModelProcess
let gw: GatewayProcess

beforeAll(async () => {
  slow = await startModel({ version: 'v2', delayMs: MODEL_DELAY_MS })
  gw = await startGatewayProcess({
    models: {
      fraud: {
        versions: { v2: { replicas: [slow.url] } },
        release: { strategy: 'canary', stable: 'v2' },
        timeouts: { requestMs: REQUEST_TIMEOUT_MS },
        healthCheck: { enabled: false }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await slow?.stop()
})

describe('upstream timeout', () => {
  it('answers 504 GW_UPSTREAM_TIMEOUT naming the model, version and timeout, before the model answers', async () => {
    const started = Date.now()
    const res = await fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'slow-1' }, body: FRAUD_REQUEST })
    const elapsed = Date.now() - started
    const body = await expectGatewayError(res, 504, 'GW_UPSTREAM_TIMEOUT')
    expect(body.error).toContain('"fraud"')
    expect(body.error).toContain('"v2"')
    expect(body.error).toContain(`${REQUEST_TIMEOUT_MS} ms`)
    expect(body).toMatchObject({ model: 'fraud', version: 'v2' })
    // The replica URL is internal and stays out of the client's error.
    expect(JSON.stringify(body)).not.toContain(slow.url)
    expect(res.headers.get('x-request-id')).toBe('slow-1')
    expect(res.headers.get('x-model-version')).toBe('v2')
    // Functional bound, not a speed check: the gateway gave up instead of waiting for the model.
    expect(elapsed).toBeLessThan(MODEL_DELAY_MS)
  })

  it('answers a metadata call (which the model answers without delay) 200 within the same timeout', async () => {
    const meta = await fetch(`${gw.url}/v2/models/fraud`)
    expect(meta.status).toBe(200)
    expect(meta.headers.get('x-model-version')).toBe('v2')
    await meta.arrayBuffer()
    expect(gw.alive()).toBe(true)
  })
})
