import { describe, expect, it } from 'vitest'
import { useOneModelGateway } from '../support/one-model-gateway.js'
import { expectGatewayError, FRAUD_REQUEST } from '../support/oip.js'

// Every response carries x-request-id: the client's when it sent a usable one,
// a generated UUID otherwise; the model sees the same id. Issue 9: that holds
// for answers fastify produced too (404, 405, readiness, health).

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const setup = useOneModelGateway()

async function infer (headers: Record<string, string> = {}) {
  const res = await fetch(`${setup.gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: FRAUD_REQUEST })
  return { status: res.status, headers: res.headers, body: await res.json() as { id?: string, model_version?: string } }
}

describe('x-request-id', () => {
  it('propagates the client id to the model and back', async () => {
    const res = await infer({ 'x-request-id': 'client-chosen-42' })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-request-id')).toBe('client-chosen-42')
    // The OIP response id is the model's view of the request id.
    expect(res.body.id).toBe('client-chosen-42')
    expect(res.headers.get('x-model-version')).toBe('v1')
  })

  it('generates a distinct UUID when none is sent, and the model sees it too', async () => {
    const a = await infer()
    const b = await infer()
    const idA = a.headers.get('x-request-id')!
    expect(idA).toMatch(UUID)
    expect(b.headers.get('x-request-id')).toMatch(UUID)
    expect(b.headers.get('x-request-id')).not.toBe(idA)
    expect(a.body.id).toBe(idA)
  })

  it('replaces an unusable (over-long) id with a generated one', async () => {
    const res = await infer({ 'x-request-id': 'x'.repeat(500) })
    expect(res.headers.get('x-request-id')).toMatch(UUID)
  })

  it('is the client\'s on a metadata answer, which also names the version', async () => {
    const meta = await fetch(`${setup.gw.url}/v2/models/fraud`, { headers: { 'x-request-id': 'meta-1' } })
    expect(meta.status).toBe(200)
    expect(meta.headers.get('x-request-id')).toBe('meta-1')
    expect(meta.headers.get('x-model-version')).toBe('v1')
    await meta.arrayBuffer()
  })

  it('is a generated UUID on a 400 for a malformed body', async () => {
    const bad = await fetch(`${setup.gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' })
    await expectGatewayError(bad, 400, 'GW_MALFORMED_JSON')
    expect(bad.headers.get('x-request-id')).toMatch(UUID)
  })

  for (const [method, path, status] of [
    ['GET', '/v2/health/live', 200],
    ['GET', '/v2/health/ready', 200],
    ['GET', '/v2/models/fraud/ready', 200],
    ['GET', '/v2/models/fraud/versions/v1/ready', 200],
    ['GET', '/v2', 200],
    ['GET', '/no/such/route', 404],
    ['POST', '/v2/health/live', 405],
    ['POST', '/v2/models/fraud/versions/v1/ready', 405]
  ] as const) {
    it(`${method} ${path} (${status}): the client's id when sent, a generated UUID otherwise`, async () => {
      const sent = await fetch(`${setup.gw.url}${path}`, { method, headers: { 'x-request-id': `rid-${status}` } })
      await sent.arrayBuffer()
      expect(sent.status).toBe(status)
      expect(sent.headers.get('x-request-id')).toBe(`rid-${status}`)
      const generated = await fetch(`${setup.gw.url}${path}`, { method })
      await generated.arrayBuffer()
      expect(generated.status).toBe(status)
      expect(generated.headers.get('x-request-id')).toMatch(UUID)
    })
  }

  it('is set on a 404 for an unknown route, in the project\'s error shape', async () => {
    const res = await fetch(`${setup.gw.url}/no/such/route`, { headers: { 'x-request-id': 'nf-1' } })
    await expectGatewayError(res, 404, 'GW_NOT_FOUND')
    expect(res.headers.get('x-request-id')).toBe('nf-1')
  })
})
