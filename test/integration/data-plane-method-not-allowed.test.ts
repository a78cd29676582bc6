import { describe, expect, it } from 'vitest'
import { useOneModelGateway } from '../support/one-model-gateway.js'

// A wrong method on a known route gets 405 GW_METHOD_NOT_ALLOWED with an Allow
// header, not a generic 404.

const setup = useOneModelGateway()

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
      const res = await fetch(`${setup.gw.url}${path}`, { method, headers: { 'x-request-id': 'm-1' } })
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
    const res = await fetch(`${setup.gw.url}/v2/health/live`)
    expect(res.status).toBe(200)
    expect(setup.gw.alive()).toBe(true)
  })
})
