import { describe, expect, it } from 'vitest'
import { useOneModelGateway } from '../support/one-model-gateway.js'
import { expectGatewayError, FRAUD_REQUEST } from '../support/oip.js'

// A body that is not JSON is refused at the gateway with 400 GW_MALFORMED_JSON
// naming the model; the model never sees it.

const setup = useOneModelGateway()

function post (body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${setup.gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
}

describe('malformed JSON', () => {
  it('answers 400 GW_MALFORMED_JSON naming the model and the parse problem, with the client\'s request id', async () => {
    const res = await post('{"inputs": [', { 'x-request-id': 'bad-json-1' })
    const body = await expectGatewayError(res, 400, 'GW_MALFORMED_JSON')
    expect(body.error).toContain('"fraud"')
    expect(body.error).toMatch(/not valid JSON: .+/)
    expect(body.model).toBe('fraud')
    expect(res.headers.get('x-request-id')).toBe('bad-json-1')
  })

  it('answers an empty body with 400 GW_MALFORMED_JSON saying the body is empty', async () => {
    const res = await post('')
    const body = await expectGatewayError(res, 400, 'GW_MALFORMED_JSON')
    expect(body.error).toContain('the body is empty')
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('answers a well-formed request after a malformed one with 200 from v1', async () => {
    await expectGatewayError(await post('{'), 400, 'GW_MALFORMED_JSON')
    const res = await post(FRAUD_REQUEST)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-model-version')).toBe('v1')
    await res.arrayBuffer()
    expect(setup.gw.alive()).toBe(true)
  })
})
