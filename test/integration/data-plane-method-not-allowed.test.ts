import { describe, expect, it } from 'vitest'
import { useOneModelGateway } from '../support/one-model-gateway.js'
import { expectGatewayError } from '../support/oip.js'

// A wrong method on a known route gets 405 GW_METHOD_NOT_ALLOWED with an Allow
// header (HEAD is allowed wherever GET is), not a generic 404 (issue 9: routes and 405s come from one list, so
// the version readiness route and /v2 are covered too).

const setup = useOneModelGateway()

const cases: Array<[string, string, string]> = [
  ['GET', '/v2/models/fraud/infer', 'POST'],
  ['PUT', '/v2/models/fraud/infer', 'POST'],
  ['DELETE', '/v2/models/fraud/versions/v1/infer', 'POST'],
  ['POST', '/v2/models/fraud', 'GET, HEAD'],
  ['POST', '/v2/models/fraud/ready', 'GET, HEAD'],
  ['POST', '/v2/models/fraud/versions/v1/ready', 'GET, HEAD'],
  ['DELETE', '/v2/models/fraud/versions/v1/ready', 'GET, HEAD'],
  ['POST', '/v2', 'GET, HEAD'],
  ['PUT', '/v2', 'GET, HEAD'],
  ['POST', '/v2/health/live', 'GET, HEAD'],
  ['PATCH', '/v2/health/ready', 'GET, HEAD']
]

describe('wrong method', () => {
  for (const [method, path, allowed] of cases) {
    it(`${method} ${path}: 405 GW_METHOD_NOT_ALLOWED with Allow: ${allowed}, naming the method, path and allowed method`, async () => {
      const res = await fetch(`${setup.gw.url}${path}`, { method, headers: { 'x-request-id': 'm-1' } })
      expect(res.headers.get('allow')).toBe(allowed)
      expect(res.headers.get('x-request-id')).toBe('m-1')
      const body = await expectGatewayError(res, 405, 'GW_METHOD_NOT_ALLOWED')
      expect(body.error).toContain(method)
      expect(body.error).toContain(path)
      expect(body.error).toContain(allowed)
    })
  }
})
