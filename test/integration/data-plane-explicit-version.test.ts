import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { FRAUD_REQUEST } from '../support/oip.js'

// Blue-green: the preview gets no traffic unless a request names it, by path
// (/v2/models/m/versions/v/infer) or, where allowed, by the x-model-version header.


const models: ModelProcess[] = []
let gw: GatewayProcess

beforeAll(async () => {
  const started = await Promise.all([
    startModel({ version: 'blue' }),
    startModel({ version: 'green' }),
    startModel({ version: 'blue', name: 'fraud-strict' }),
    startModel({ version: 'green', name: 'fraud-strict' })
  ])
  models.push(...started)
  const [blue, green, strictBlue, strictGreen] = started as [ModelProcess, ModelProcess, ModelProcess, ModelProcess]
  const release = { strategy: 'blue-green', active: 'blue', preview: 'green' }
  gw = await startGatewayProcess({
    models: {
      fraud: {
        sticky: { header: 'x-user-id' },
        allowVersionHeader: true,
        versions: { blue: { replicas: [blue.url] }, green: { replicas: [green.url] } },
        release,
        healthCheck: { enabled: false }
      },
      'fraud-strict': {
        versions: { blue: { replicas: [strictBlue.url] }, green: { replicas: [strictGreen.url] } },
        release,
        healthCheck: { enabled: false }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await Promise.all(models.map(m => m.stop()))
})

async function infer (path: string, headers: Record<string, string> = {}): Promise<{ header: string | null, body: string }> {
  const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: FRAUD_REQUEST })
  expect(res.status).toBe(200)
  const body = await res.json() as { model_version: string }
  return { header: res.headers.get('x-model-version'), body: body.model_version }
}

describe('explicit version selection', () => {
  it('without selection, keyed and unkeyed requests all go to the active version', async () => {
    for (let i = 0; i < 40; i++) {
      const r = await infer('/v2/models/fraud/infer', i % 2 === 0 ? { 'x-user-id': `u${i}` } : {})
      expect(r).toEqual({ header: 'blue', body: 'blue' })
    }
  })

  it('by path reaches the preview (and the active version)', async () => {
    expect(await infer('/v2/models/fraud/versions/green/infer')).toEqual({ header: 'green', body: 'green' })
    expect(await infer('/v2/models/fraud/versions/green/infer', { 'x-user-id': 'u1' })).toEqual({ header: 'green', body: 'green' })
    expect(await infer('/v2/models/fraud/versions/blue/infer')).toEqual({ header: 'blue', body: 'blue' })
  })

  it('by x-model-version header reaches the preview where allowVersionHeader is on', async () => {
    expect(await infer('/v2/models/fraud/infer', { 'x-model-version': 'green' })).toEqual({ header: 'green', body: 'green' })
    expect(await infer('/v2/models/fraud/infer', { 'x-model-version': 'green', 'x-user-id': 'u2' })).toEqual({ header: 'green', body: 'green' })
  })

  it('ignores the header where allowVersionHeader is off; the path still works', async () => {
    expect(await infer('/v2/models/fraud-strict/infer', { 'x-model-version': 'green' })).toEqual({ header: 'blue', body: 'blue' })
    expect(await infer('/v2/models/fraud-strict/versions/green/infer')).toEqual({ header: 'green', body: 'green' })
  })

  it('reaches the version metadata by path', async () => {
    const res = await fetch(`${gw.url}/v2/models/fraud/versions/green`)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-model-version')).toBe('green')
    await res.arrayBuffer()
    expect(gw.alive()).toBe(true)
  })
})
