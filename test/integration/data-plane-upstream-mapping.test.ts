import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js'
import { FRAUD_REQUEST } from '../support/oip.js'
import { eventually } from '../support/eventually.js'

// Per-version upstream mapping: gateway versions v1/v2 of "fraud" live on one
// server as versions 1 and 2 of "fraud-model"; v3 lives under another name.
// Inference, metadata, readiness and health probes use the mapped paths;
// answers still name the gateway's version.

let upstream: RecordingUpstream
let gw: GatewayProcess

beforeAll(async () => {
  upstream = await startRecordingUpstream('echo')
  gw = await startGatewayProcess({
    models: {
      fraud: {
        versions: {
          v1: { replicas: [upstream.url], upstream: { model: 'fraud-model', version: '1' } },
          v2: { replicas: [upstream.url], upstream: { model: 'fraud-model', version: '2' } },
          v3: { replicas: [upstream.url], upstream: { model: 'fraud-xgb' } }
        },
        release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 0 },
        healthCheck: { intervalMs: 60_000 }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await upstream?.close()
})

describe('upstream mapping', () => {
  it('sends inference for v2 to /v2/models/fraud-model/versions/2/infer and answers x-model-version v2', async () => {
    const res = await fetch(`${gw.url}/v2/models/fraud/versions/v2/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: FRAUD_REQUEST })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-model-version')).toBe('v2')
    expect(upstream.seen.at(-1)!.path).toBe('/v2/models/fraud-model/versions/2/infer')
  })

  it('sends inference for v3 to /v2/models/fraud-xgb/infer', async () => {
    const res = await fetch(`${gw.url}/v2/models/fraud/versions/v3/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: FRAUD_REQUEST })
    expect(res.status).toBe(200)
    expect(upstream.seen.at(-1)!.path).toBe('/v2/models/fraud-xgb/infer')
  })

  it('asks the mapped version for metadata', async () => {
    const res = await fetch(`${gw.url}/v2/models/fraud/versions/v1`)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-model-version')).toBe('v1')
    expect((await res.json() as { path: string }).path).toBe('/v2/models/fraud-model/versions/1')
  })

  it('probes each mapped version at its own readiness URL', async () => {
    await eventually(() => {
      const probed = new Set(upstream.seen.filter(r => r.method === 'GET' && r.path.endsWith('/ready')).map(r => r.path))
      expect([...probed].sort()).toEqual(['/v2/models/fraud-model/versions/1/ready', '/v2/models/fraud-model/versions/2/ready', '/v2/models/fraud-xgb/ready'])
    })
  })
})
