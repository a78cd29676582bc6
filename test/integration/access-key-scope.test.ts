// Data-plane API keys: a key scoped to the fraud model scores fraud and is
// refused (403) on another model and on explicit versions it was not given;
// no key, a wrong key and a malformed header are refused with 401. Every
// refusal is the one error shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { expectGatewayError, FRAUD_REQUEST } from '../support/oip.js'

const FRAUD_KEY = 'fraud-only-key-0123456789abcdef'
const PREVIEW_KEY = 'preview-tester-key-0123456789ab'
let v1: ModelProcess
let v2: ModelProcess
let gw: GatewayProcess

beforeAll(async () => {
  [v1, v2] = await Promise.all([startModel({ version: 'v1' }), startModel({ version: 'v2' })])
  const model = (): object => ({
    versions: { v1: { replicas: [v1.url] }, v2: { replicas: [v2.url] } },
    release: { strategy: 'blue-green', active: 'v1', preview: 'v2' },
    healthCheck: { enabled: false }
  })
  gw = await startGatewayProcess({
    access: {
      enabled: true,
      applications: {
        checkout: { models: ['fraud'], keys: [{ name: 'main', key: FRAUD_KEY }] },
        qa: { models: ['fraud'], versions: { fraud: ['v2'] }, keys: [{ name: 'main', key: PREVIEW_KEY }] }
      }
    },
    models: { fraud: model(), churn: model() }
  })
})
afterAll(async () => {
  await gw?.stop()
  await Promise.all([v1?.stop(), v2?.stop()])
})

function infer (path: string, authorization?: string): Promise<Response> {
  return fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) }, body: FRAUD_REQUEST })
}

describe('API keys scoped to models', () => {
  it('a key scoped to fraud scores fraud (200 from the active version)', async () => {
    const res = await infer('/v2/models/fraud/infer', `Bearer ${FRAUD_KEY}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-model-version')).toBe('v1')
  })

  it('the same key gets 403 GW_FORBIDDEN on model churn, naming application and model', async () => {
    const body = await expectGatewayError(await infer('/v2/models/churn/infer', `Bearer ${FRAUD_KEY}`), 403, 'GW_FORBIDDEN')
    expect(body.error).toBe('application "checkout" may not use model "churn"')
  })

  it('the same key gets 403 on the preview version named explicitly; a key given v2 reaches it', async () => {
    const refused = await expectGatewayError(await infer('/v2/models/fraud/versions/v2/infer', `Bearer ${FRAUD_KEY}`), 403, 'GW_FORBIDDEN')
    expect(refused.error).toContain('may not select version "v2" of model "fraud" explicitly')
    const res = await infer('/v2/models/fraud/versions/v2/infer', `Bearer ${PREVIEW_KEY}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-model-version')).toBe('v2')
  })

  it('no key, an unknown key and a non-bearer header get 401 GW_UNAUTHORIZED with www-authenticate', async () => {
    for (const auth of [undefined, 'Bearer not-a-key-of-this-gateway-0000', `Basic ${Buffer.from(`x:${FRAUD_KEY}`).toString('base64')}`]) {
      const res = await infer('/v2/models/fraud/infer', auth)
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="model-gateway"')
      const body = await expectGatewayError(res, 401, 'GW_UNAUTHORIZED')
      expect(body.error).toMatch(auth?.startsWith('Bearer') === true ? /API key is not valid/ : /no API key or token/)
    }
  })

  it('an unknown caller gets 401 on a model that does not exist, not 404', async () => {
    await expectGatewayError(await infer('/v2/models/no-such-model/infer'), 401, 'GW_UNAUTHORIZED')
  })

  it('metadata needs a key too; health and readiness do not', async () => {
    expect((await fetch(`${gw.url}/v2/models/fraud`)).status).toBe(401)
    expect((await fetch(`${gw.url}/v2/models/fraud`, { headers: { authorization: `Bearer ${FRAUD_KEY}` } })).status).toBe(200)
    expect((await fetch(`${gw.url}/v2/health/ready`)).status).toBe(200)
    expect((await fetch(`${gw.url}/v2/models/fraud/ready`)).status).toBe(200)
  })
})
