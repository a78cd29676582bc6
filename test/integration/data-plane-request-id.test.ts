import { describe, expect, it } from 'vitest'
import { useOneModelGateway } from '../support/one-model-gateway.js'

// Every response carries x-request-id: the client's when it sent a usable one,
// a generated UUID otherwise; the model sees the same id.

const INPUT = JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP64', data: [620, 200, 7, 265] }] })
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const setup = useOneModelGateway()

async function infer (headers: Record<string, string> = {}) {
  const res = await fetch(`${setup.gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: INPUT })
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

  it('is set on metadata responses and on errors', async () => {
    const meta = await fetch(`${setup.gw.url}/v2/models/fraud`, { headers: { 'x-request-id': 'meta-1' } })
    expect(meta.headers.get('x-request-id')).toBe('meta-1')
    expect(meta.headers.get('x-model-version')).toBe('v1')
    await meta.arrayBuffer()
    const bad = await fetch(`${setup.gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' })
    expect(bad.status).toBe(400)
    expect(bad.headers.get('x-request-id')).toMatch(UUID)
    await bad.arrayBuffer()
    expect(setup.gw.alive()).toBe(true)
  })
})
