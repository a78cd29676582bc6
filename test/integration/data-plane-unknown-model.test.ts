import { describe, expect, it } from 'vitest'
import { useOneModelGateway } from '../support/one-model-gateway.js'

// Requests for a model or version the gateway does not serve get 404 with
// GW_UNKNOWN_MODEL / GW_UNKNOWN_VERSION naming what was asked for.

const INPUT = JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP64', data: [620, 200, 7, 265] }] })

const setup = useOneModelGateway({ allowVersionHeader: true })

async function call (method: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${setup.gw.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: method === 'POST' ? INPUT : undefined })
  return { status: res.status, headers: res.headers, body: await res.json() as { error: { code: string, message: string, model?: string, version?: string } } }
}

describe('unknown model', () => {
  for (const [method, path] of [['POST', '/v2/models/churn/infer'], ['GET', '/v2/models/churn'], ['GET', '/v2/models/churn/ready'], ['POST', '/v2/models/churn/versions/v1/infer']] as const) {
    it(`${method} ${path}: 404 GW_UNKNOWN_MODEL naming the model`, async () => {
      const res = await call(method, path, { 'x-request-id': 'unknown-1' })
      expect(res.status).toBe(404)
      expect(res.body.error.code).toBe('GW_UNKNOWN_MODEL')
      expect(res.body.error.message).toContain('"churn"')
      expect(res.body.error.model).toBe('churn')
    })
  }

  it('propagates the request id on the error', async () => {
    const res = await call('POST', '/v2/models/churn/infer', { 'x-request-id': 'unknown-2' })
    expect(res.headers.get('x-request-id')).toBe('unknown-2')
  })
})

describe('unknown version', () => {
  it('by path: 404 GW_UNKNOWN_VERSION naming the model and the version', async () => {
    const res = await call('POST', '/v2/models/fraud/versions/v9/infer')
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe('GW_UNKNOWN_VERSION')
    expect(res.body.error.message).toContain('"fraud"')
    expect(res.body.error.message).toContain('"v9"')
    expect(res.body.error).toMatchObject({ model: 'fraud', version: 'v9' })
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('by x-model-version header: the same error', async () => {
    const res = await call('POST', '/v2/models/fraud/infer', { 'x-model-version': 'v9' })
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe('GW_UNKNOWN_VERSION')
    expect(res.body.error.message).toContain('"v9"')
  })

  it('on the version readiness route', async () => {
    const res = await call('GET', '/v2/models/fraud/versions/v9/ready')
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe('GW_UNKNOWN_VERSION')
  })

  it('leaves the gateway alive and serving', async () => {
    const res = await fetch(`${setup.gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: INPUT })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-model-version')).toBe('v1')
    await res.arrayBuffer()
    expect(setup.gw.alive()).toBe(true)
  })
})
