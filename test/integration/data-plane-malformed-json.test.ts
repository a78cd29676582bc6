import { describe, expect, it } from 'vitest'
import { useOneModelGateway } from '../support/one-model-gateway.js'

// A body that is not JSON is refused at the gateway with 400 GW_MALFORMED_JSON
// naming the model; the model never sees it.

const setup = useOneModelGateway()

async function post (body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${setup.gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
  return { status: res.status, headers: res.headers, body: await res.json() as { error: { code: string, message: string, model?: string } } }
}

describe('malformed JSON', () => {
  it('answers 400 GW_MALFORMED_JSON naming the model and the parse problem', async () => {
    const res = await post('{"inputs": [', { 'x-request-id': 'bad-json-1' })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('GW_MALFORMED_JSON')
    expect(res.body.error.message).toContain('"fraud"')
    expect(res.body.error.message).toMatch(/not valid JSON: .+/)
    expect(res.body.error.model).toBe('fraud')
    expect(res.headers.get('x-request-id')).toBe('bad-json-1')
    expect(res.headers.get('content-type')).toMatch(/application\/json/)
  })

  it('names an empty body as such', async () => {
    const res = await post('')
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('GW_MALFORMED_JSON')
    expect(res.body.error.message).toContain('the body is empty')
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('still proxies well-formed requests afterwards, and the gateway is alive', async () => {
    const res = await fetch(`${setup.gw.url}/v2/models/fraud/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP64', data: [620, 200, 7, 265] }] })
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-model-version')).toBe('v1')
    await res.arrayBuffer()
    expect(setup.gw.alive()).toBe(true)
  })
})
