import { describe, expect, it } from 'vitest'
import { useOneModelGateway } from '../support/one-model-gateway.js'
import { expectGatewayError, FRAUD_REQUEST } from '../support/oip.js'

// Requests for a model or version the gateway does not serve get 404 with
// GW_UNKNOWN_MODEL / GW_UNKNOWN_VERSION naming what was asked for.

const setup = useOneModelGateway({ allowVersionHeader: true })

function call (method: string, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${setup.gw.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: method === 'POST' ? FRAUD_REQUEST : undefined })
}

describe('unknown model', () => {
  for (const [method, path] of [['POST', '/v2/models/churn/infer'], ['GET', '/v2/models/churn'], ['GET', '/v2/models/churn/ready'], ['POST', '/v2/models/churn/versions/v1/infer']] as const) {
    it(`${method} ${path}: 404 GW_UNKNOWN_MODEL naming the model, with the client's request id`, async () => {
      const res = await call(method, path, { 'x-request-id': 'unknown-1' })
      const body = await expectGatewayError(res, 404, 'GW_UNKNOWN_MODEL')
      expect(body.error).toContain('"churn"')
      expect(body.model).toBe('churn')
      expect(res.headers.get('x-request-id')).toBe('unknown-1')
    })
  }
})

describe('unknown version', () => {
  it('by path: 404 GW_UNKNOWN_VERSION naming the model and the version', async () => {
    const res = await call('POST', '/v2/models/fraud/versions/v9/infer')
    const body = await expectGatewayError(res, 404, 'GW_UNKNOWN_VERSION')
    expect(body.error).toContain('"fraud"')
    expect(body.error).toContain('"v9"')
    expect(body).toMatchObject({ model: 'fraud', version: 'v9' })
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('by x-model-version header: 404 GW_UNKNOWN_VERSION naming the version', async () => {
    const body = await expectGatewayError(await call('POST', '/v2/models/fraud/infer', { 'x-model-version': 'v9' }), 404, 'GW_UNKNOWN_VERSION')
    expect(body.error).toContain('"v9"')
  })

  it('on the version readiness route: 404 GW_UNKNOWN_VERSION', async () => {
    await expectGatewayError(await call('GET', '/v2/models/fraud/versions/v9/ready'), 404, 'GW_UNKNOWN_VERSION')
  })

  it('a known model after unknown ones is answered 200 by v1', async () => {
    await expectGatewayError(await call('POST', '/v2/models/churn/infer'), 404, 'GW_UNKNOWN_MODEL')
    const res = await call('POST', '/v2/models/fraud/infer')
    expect(res.status).toBe(200)
    expect(res.headers.get('x-model-version')).toBe('v1')
    await res.arrayBuffer()
    expect(setup.gw.alive()).toBe(true)
  })
})
