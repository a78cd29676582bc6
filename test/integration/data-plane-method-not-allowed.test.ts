import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../support/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'

// A wrong method on a known route gets 405 GW_METHOD_NOT_ALLOWED with an Allow
// header, not a generic 404.

let model: ModelProcess
let gw: GatewayProcess

beforeAll(async () => {
  model = await startModel({ version: 'v1' })
  gw = await startGatewayProcess({
    models: {
      fraud: {
        versions: { v1: { replicas: [model.url] } },
        release: { strategy: 'canary', stable: 'v1' },
        healthCheck: { enabled: false }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await model?.stop()
})

const cases: Array<[string, string, string]> = [
  ['GET', '/v2/models/fraud/infer', 'POST'],
  ['PUT', '/v2/models/fraud/infer', 'POST'],
  ['DELETE', '/v2/models/fraud/versions/v1/infer', 'POST'],
  ['POST', '/v2/models/fraud', 'GET'],
  ['POST', '/v2/models/fraud/ready', 'GET'],
  ['POST', '/v2/health/live', 'GET'],
  ['PATCH', '/v2/health/ready', 'GET']
]

describe('wrong method', () => {
  for (const [method, path, allowed] of cases) {
    it(`${method} ${path}: 405 with Allow: ${allowed}`, async () => {
      const res = await fetch(`${gw.url}${path}`, { method, headers: { 'x-request-id': 'm-1' } })
      expect(res.status).toBe(405)
      expect(res.headers.get('allow')).toBe(allowed)
      const body = await res.json() as { error: { code: string, message: string } }
      expect(body.error.code).toBe('GW_METHOD_NOT_ALLOWED')
      expect(body.error.message).toContain(method)
      expect(body.error.message).toContain(path)
      expect(body.error.message).toContain(allowed)
    })
  }

  it('leaves the gateway alive', async () => {
    const res = await fetch(`${gw.url}/v2/health/live`)
    expect(res.status).toBe(200)
    expect(gw.alive()).toBe(true)
  })
})
