// A model replica served over HTTPS that requires a client certificate
// (mutual TLS): the gateway reaches it with the model's `tls` (CA, client
// certificate and key), for scoring and for active health checks. The replica
// refuses a client without a certificate, so the gateway's is what opens it.
import { readFile } from 'node:fs/promises'
import { Agent, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { makeCa, type CertFiles, type TestCa } from '../support/certs.js'
import { eventually } from '../support/eventually.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { FRAUD_REQUEST } from '../support/oip.js'

const TOKEN = 'mtls-admin-token-0123456789'
let ca: TestCa
let clientCert: CertFiles
let model: ModelProcess
let gw: GatewayProcess

beforeAll(async () => {
  ca = await makeCa()
  const serverCert = await ca.issue('model')
  clientCert = await ca.issue('gateway-client', 'client')
  model = await startModel({ version: 'v1', tls: { ...serverCert, clientCa: ca.cert } })
  gw = await startGatewayProcess({
    admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
    models: {
      fraud: {
        versions: { v1: { replicas: [model.url] } },
        release: { strategy: 'canary', stable: 'v1' },
        tls: { ca: ca.cert, cert: clientCert.cert, key: clientCert.key },
        healthCheck: { enabled: true, intervalMs: 200, timeoutMs: 2_000, jitter: 0 }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await model?.stop()
  await ca?.remove()
})

describe('TLS with a client certificate to a replica', () => {
  it('the replica refuses a TLS client without a certificate', async () => {
    const agent = new Agent({ connect: { ca: await readFile(ca.cert) } })
    const err = await request(`${model.url}/v2/health/ready`, { dispatcher: agent }).then(async (r) => { await r.body.dump(); return null }, (e: unknown) => e as Error & { code?: string })
    await agent.close()
    expect(err).not.toBeNull()
  })

  it('scores fraud through the gateway on the replica\'s https:// URL', async () => {
    expect(model.url.startsWith('https://')).toBe(true)
    const res = await fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: FRAUD_REQUEST })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-model-version')).toBe('v1')
    expect((await res.json() as { model_name: string }).model_name).toBe('fraud')
  })

  it('active health checks reach the replica with the certificate (ok results counted)', async () => {
    await eventually(async () => {
      const text = await (await fetch(`${gw.adminUrl!}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()
      const ok = /model_gateway_health_check_duration_seconds_count\{model="fraud",version="v1",result="ok"\} (\d+)/.exec(text)
      expect(Number(ok?.[1] ?? 0)).toBeGreaterThanOrEqual(2)
      expect(text).not.toMatch(/result="fail"\} [1-9]/)
    }, { timeoutMs: 15_000, intervalMs: 200 })
  })
})
